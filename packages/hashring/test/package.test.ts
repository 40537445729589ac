import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const root = join(import.meta.dirname, '..')

describe('package', () => {
  it('has no runtime dependencies', () => {
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, unknown>
    expect(manifest.dependencies ?? {}).toEqual({})
    expect(manifest.peerDependencies ?? {}).toEqual({})
  })

  it('ships sources that import nothing outside the package (no node: modules)', () => {
    for (const file of readdirSync(join(root, 'src'))) {
      const text = readFileSync(join(root, 'src', file), 'utf8')
      const imports = [...text.matchAll(/from '([^']+)'/g)].map((match) => match[1]!)
      for (const specifier of imports) expect(specifier, `${file} imports ${specifier}`).toMatch(/^\.\//)
      expect(text, file).not.toMatch(/(?<![.\w])require\(|\bprocess\.|\bBuffer\b/)
    }
  })
})
