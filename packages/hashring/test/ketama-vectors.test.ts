import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { HashRing } from '../src/index.js'

/**
 * The shared vector folder (`shared/testdata/ketama` beside the repository root);
 * KETAMA_VECTORS points elsewhere. Every pair in it is checked.
 */
const vectorDir =
  process.env.KETAMA_VECTORS ?? fileURLToPath(new URL('../../../../shared/testdata/ketama', import.meta.url))

function parseServers(text: string): { id: string; weight: number }[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !line.startsWith('#'))
    .map((line) => {
      const [id, weight] = line.split(/\s+/)
      return { id: id!, weight: Number(weight ?? 1) }
    })
}

function parseExpected(text: string): [string, string][] {
  return text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => {
      const tab = line.indexOf('\t')
      return [line.slice(0, tab), line.slice(tab + 1)]
    })
}

const names = readdirSync(vectorDir)
  .filter((name) => name.endsWith('.servers'))
  .map((name) => name.slice(0, -'.servers'.length))
  .sort()

describe('ketama vectors', () => {
  it('finds vector files, each .servers with its .expected', () => {
    expect(names.length).toBeGreaterThan(0)
    const expectedNames = readdirSync(vectorDir)
      .filter((name) => name.endsWith('.expected'))
      .map((name) => name.slice(0, -'.expected'.length))
      .sort()
    expect(expectedNames).toEqual(names)
  })

  for (const name of names) {
    it(`agrees on every key of ${name}`, () => {
      const mode = name.startsWith('libmemcached') ? 'libmemcached' : 'libketama'
      if (!name.startsWith('libmemcached') && !name.startsWith('libketama')) {
        throw new Error(`${name}: expected a libketama- or libmemcached- prefix`)
      }
      const servers = parseServers(readFileSync(join(vectorDir, `${name}.servers`), 'utf8'))
      const expected = parseExpected(readFileSync(join(vectorDir, `${name}.expected`), 'utf8'))
      expect(expected.length).toBeGreaterThan(0)
      const ring = new HashRing(servers, { mode })
      const wrong: string[] = []
      for (const [key, server] of expected) {
        const got = ring.get(key)
        if (got !== server) wrong.push(`${key}: expected ${server}, got ${got}`)
      }
      expect(wrong.slice(0, 5)).toEqual([])
      expect(wrong.length).toBe(0)
    })
  }
})
