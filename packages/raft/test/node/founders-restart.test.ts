import { describe, expect, it } from 'vitest'
import { put, TestCluster } from './helpers.js'

describe('restarting every founder before any configuration entry or snapshot', () => {
  it('still elects a leader: the founding voters are the base configuration on every start', async () => {
    const ids = ['a', 'b', 'c']
    const cluster = await TestCluster.create(ids, { snapshotEveryEntries: 0 })
    try {
      const first = await cluster.leader()
      await first.node.propose(put('k', 'before'))
      // every founder stops, keeping its storage: the log holds only the no-op and the write
      const storages = new Map<string, Awaited<ReturnType<typeof cluster.stop>>['storage']>()
      for (const id of ids) storages.set(id, (await cluster.stop(id)).storage)
      for (const id of ids) await cluster.start(id, ids, { snapshotEveryEntries: 0 }, storages.get(id))
      const second = await cluster.leader()
      await second.node.propose(put('k', 'after'))
      await second.node.read()
      expect(second.kv.get('k')).toBe('after')
      expect(second.node.status().membership.voters).toEqual(ids)
    } finally {
      await cluster.close()
    }
  })
})
