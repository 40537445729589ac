import { describe, expect, it } from 'vitest'
import { Cluster } from './helpers.js'

describe('normal case (real Ed25519)', () => {
  it('orders, executes and replies with f+1 matching replies', () => {
    const cluster = new Cluster({ n: 4, crypto: 'ed25519', clients: 2 })
    cluster.submit(0, 'a')
    cluster.submit(1, 'b')
    expect(cluster.runUntil(() => cluster.clients.every((c) => c.outstanding === undefined), 50)).toBe(true)
    const results = [...cluster.results.values()].flat().map((r) => r.result)
    // each operation got its own position in the one order: '1:x' and '2:y'
    expect(results.map((r) => r.split(':')[1]).sort()).toEqual(['a', 'b'])
    expect(results.map((r) => r.split(':')[0]).sort()).toEqual(['1', '2'])
    for (let i = 0; i < 4; i++) {
      expect(cluster.replica(i).lastExecuted).toBeGreaterThanOrEqual(1)
      expect(cluster.apps[i]!.entries).toEqual(cluster.apps[0]!.entries)
    }
    expect(cluster.checkSafety()).toBeUndefined()
  })
})
