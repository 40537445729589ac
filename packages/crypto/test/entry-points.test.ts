import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const src = join(dirname(fileURLToPath(import.meta.url)), '..', 'src')
const packageJson = JSON.parse(readFileSync(join(src, '..', 'package.json'), 'utf8'))

/** Every module specifier `file` and its relative imports reach, transitively. */
function reachable(file: string, seen = new Map<string, string[]>()): Map<string, string[]> {
  if (seen.has(file)) return seen
  const text = readFileSync(join(src, file), 'utf8')
  const specifiers = [...text.matchAll(/(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/g)].map((m) => m[1]!)
  seen.set(file, specifiers)
  for (const specifier of specifiers) {
    if (specifier.startsWith('./')) reachable(specifier.slice(2).replace(/\.js$/, '.ts'), seen)
  }
  return seen
}

describe('entry points', () => {
  it.each(['portable.ts', 'default-suite-portable.ts', 'index.ts'])('%s reaches no node: module', (entry) => {
    const imports = [...reachable(entry).values()].flat()
    expect(imports.filter((specifier) => specifier.startsWith('node:'))).toEqual([])
    expect(imports).not.toContain('./node-suite.js')
  })

  it('index.ts reaches the node code only through #default-suite', () => {
    expect(reachable('index.ts').get('index.ts')).toContain('#default-suite')
  })

  it('#default-suite maps the node condition to the node suite and everything else to the portable one', () => {
    const map = packageJson.imports['#default-suite']
    expect(Object.keys(map)).toEqual(['@synod/source', 'types', 'node', 'default'])
    expect(map.node).toBe('./dist/default-suite-node.js')
    expect(map.default).toBe('./dist/default-suite-portable.js')
    expect(map['@synod/source']).toEqual({
      node: './src/default-suite-node.ts',
      default: './src/default-suite-portable.ts',
    })
  })

  it('the published package depends on noble only', () => {
    expect(Object.keys(packageJson.dependencies).sort()).toEqual(['@noble/curves', '@noble/hashes'])
  })
})
