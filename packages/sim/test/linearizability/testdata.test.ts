import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  checkHistory,
  checkLinearizability,
  readEdnHistory,
  readJepsenLog,
  registerModel,
} from '../../src/check.js'
import { vectors } from './testdata.js'

const all = vectors()

describe('the Porcupine/Jepsen test vectors', () => {
  it('finds the whole set (60 etcd logs, 4 kv histories at least)', () => {
    expect(all.filter((vector) => vector.format === 'jepsen').length).toBeGreaterThanOrEqual(60)
    expect(all.filter((vector) => vector.format === 'edn').length).toBeGreaterThanOrEqual(4)
    expect(all.some((vector) => vector.expected === 'ok')).toBe(true)
    expect(all.some((vector) => vector.expected === 'illegal')).toBe(true)
  })

  it('gives the listed verdict on every history', () => {
    const wrong: string[] = []
    let etcdMs = 0
    let etcdOps = 0
    for (const vector of all) {
      const bytes = readFileSync(vector.path)
      const verdict =
        vector.format === 'jepsen'
          ? checkLinearizability(readJepsenLog(bytes).operations, registerModel, { timeBudgetMs: 30_000 })
          : checkHistory(readEdnHistory(bytes), { model: 'kv', timeBudgetMs: 30_000 })
      if (vector.format === 'jepsen') {
        etcdMs += verdict.ms
        etcdOps += verdict.ops
      }
      if (verdict.result !== vector.expected)
        wrong.push(`${vector.name}: ${verdict.result}, expected ${vector.expected}`)
    }
    console.log(
      `jepsen-etcd: ${etcdOps} operations checked in ${etcdMs.toFixed(0)} ms (${Math.round((etcdOps / etcdMs) * 1000)} ops/s)`,
    )
    expect(wrong).toEqual([])
  })
})
