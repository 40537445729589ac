import { defineConfig, type Options } from 'tsup'

/** The one tsup setup every package builds with: ESM, .d.ts, sourcemaps, Node 20. */
export function packageBuild(entry: Options['entry'], overrides: Options = {}) {
  return defineConfig({
    entry,
    format: ['esm'],
    // declarations resolve sibling packages through their built types, not their sources
    dts: { compilerOptions: { customConditions: [] } },
    sourcemap: true,
    clean: true,
    target: 'node20',
    platform: 'node',
    ...overrides,
  })
}
