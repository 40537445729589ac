import { defineConfig } from 'vitest/config'

/**
 * Shared vitest settings: tests resolve `@synod/*` imports to their TypeScript
 * sources (the `@synod/source` export condition), so no package has to be built
 * before another's tests run; every run leaves a JSON report that the root test
 * command sums into one closing line.
 */
const conditions = ['@synod/source', 'import', 'module', 'node', 'default']

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['@synod/source'] } },
  test: {
    include: ['test/**/*.test.ts'],
    reporters: ['default', 'json'],
    outputFile: { json: '.vitest-report.json' },
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
})
