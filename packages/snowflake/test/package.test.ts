import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const root = join(import.meta.dirname, '..')

describe('the package', () => {
  it('has no runtime dependencies', () => {
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, unknown>
    expect(manifest.dependencies ?? {}).toEqual({})
    expect(manifest.peerDependencies ?? {}).toEqual({})
  })

  it('imports nothing but its own files (no node: built-ins, runs in browsers)', () => {
    const sources = readdirSync(join(root, 'src')).filter((name) => name.endsWith('.ts'))
    expect(sources.length).toBeGreaterThan(5)
    for (const name of sources) {
      // code only: TSDoc examples import '@synod/snowflake'
      const text = readFileSync(join(root, 'src', name), 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/^\s*\/\/.*$/gm, '')
      for (const [, specifier] of text.matchAll(/\bfrom\s+'([^']+)'/g))
        expect(specifier, name).toMatch(/^\.\/[a-z-]+\.js$/)
      expect(text, name).not.toMatch(/\b(require\(|process\.|Buffer\b|import\()/)
    }
  })
})
