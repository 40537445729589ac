import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { HashRing } from '../src/index.js'

/**
 * The vector folders: the copy kept beside this test, and the shared folder
 * (`shared/testdata/ketama` beside the repository root, or KETAMA_VECTORS) when it
 * exists, so vector files added there are checked with no code change.
 */
const vendoredDir = fileURLToPath(new URL('./vectors/ketama', import.meta.url))
const sharedDir =
  process.env.KETAMA_VECTORS ?? fileURLToPath(new URL('../../../../shared/testdata/ketama', import.meta.url))
const vectorDirs = existsSync(sharedDir) ? [vendoredDir, sharedDir] : [vendoredDir]

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

/** Every vector file by name; a name in both folders is checked from the shared one. */
const files = new Map<string, string>()
for (const dir of vectorDirs) for (const file of readdirSync(dir)) files.set(file, join(dir, file))
const names = [...files.keys()]
  .filter((name) => name.endsWith('.servers'))
  .map((name) => name.slice(0, -'.servers'.length))
  .sort()

describe('ketama vectors', () => {
  it('finds vector files, each .servers with its .expected', () => {
    expect(names.length).toBeGreaterThan(0)
    const expectedNames = [...files.keys()]
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
      const servers = parseServers(readFileSync(files.get(`${name}.servers`)!, 'utf8'))
      const expected = parseExpected(readFileSync(files.get(`${name}.expected`)!, 'utf8'))
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
