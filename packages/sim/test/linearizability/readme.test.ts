// The examples of README.md's "Linearizability checker" section: the TypeScript one
// verbatim but for the import path (keep the two in sync), the JSON one read from the README.
import { readFileSync } from 'node:fs'
import { expect, it } from 'vitest'
import {
  checkHistory,
  checkLinearizability,
  HistoryRecorder,
  type KvInput,
  kvModel,
  type RegisterOutput,
  readJsonHistory,
} from '../../src/check.js'

function section(): string {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
  const start = readme.indexOf('## Linearizability checker')
  expect(start).toBeGreaterThan(-1)
  return readme.slice(start)
}

it('runs the recorder example', () => {
  const history = new HistoryRecorder<KvInput, RegisterOutput>()
  const write = history.invoke('c1', { type: 'write', key: 'x', value: 1 }, 0)
  const read = history.invoke('c2', { type: 'read', key: 'x' }, 1)
  history.ok(read, { value: 1 }, 2) // concurrent with the write: may see it
  history.ok(write, undefined, 3)
  const cas = history.invoke('c1', { type: 'cas', key: 'x', from: 7, to: 8 }, 4)
  history.fail(cas, 5) // definitely did nothing: left out
  const late = history.invoke('c3', { type: 'write', key: 'y', value: 2 }, 6)
  history.info(late, 9) // timed out: may take effect any time after 6, or never

  const verdict = checkLinearizability(history.operations(), kvModel, { timeBudgetMs: 10_000 })
  // → { result: 'ok', ops: 3, ms: 0.2, partitions: 2 }
  expect(verdict).toMatchObject({ result: 'ok', ops: 3, partitions: 2 })
  expect(section()).toContain("// → { result: 'ok', ops: 3, ms: 0.2, partitions: 2 }")
})

it('documents a synod-history/1 example that reads and checks', () => {
  const json = /```json\n([\s\S]*?)```/.exec(section())?.[1]
  expect(json).toBeDefined()
  const history = readJsonHistory(json!.replace(/^ {2}/gm, ''))
  expect(history.model).toBe('kv')
  expect(history.operations.map((operation) => operation.outcome.type)).toEqual(['ok', 'ok', 'info'])
  expect(checkHistory(history).result).toBe('ok')
})
