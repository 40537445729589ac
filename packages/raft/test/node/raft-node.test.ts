import { afterEach, describe, expect, it } from 'vitest'
import {
  ConfigChangeRefusedError,
  type KvResult,
  MemoryStorage,
  NotLeaderError,
  ProposalOverwrittenError,
  RaftTimeoutError,
  StoppedError,
  TransferRefusedError,
} from '../../src/index.js'
import { command, type Member, put, TestCluster, waitFor } from './helpers.js'

let cluster: TestCluster | undefined
afterEach(async () => {
  await cluster?.close()
  cluster = undefined
})

describe('RaftNode on a MemoryNetwork', () => {
  it('elects one leader, replicates a write, and serves a linearizable read on a follower', async () => {
    cluster = await TestCluster.create(['a', 'b', 'c'])
    const leader = await cluster.leader()
    const result = (await leader.node.propose(put('x', '1'))) as KvResult
    expect(result).toEqual({ ok: true, previous: null })
    const follower = cluster.running().find((m) => m !== leader)!
    await follower.node.read()
    expect(follower.kv.get('x')).toBe('1')
    const leaders = cluster.running().filter((m) => m.node.status().role === 'leader')
    expect(leaders).toHaveLength(1)
    const status = follower.node.status()
    expect(status.leader).toBe(leader.id)
    expect(status.appliedIndex).toBeGreaterThanOrEqual(2) // the leader's no-op, then x
  })

  it('rejects a proposal on a follower with NotLeaderError naming the leader (never appended)', async () => {
    cluster = await TestCluster.create(['a', 'b', 'c'])
    const leader = await cluster.leader()
    const follower = cluster.running().find((m) => m !== leader)!
    await waitFor(() => follower.node.status().leader === leader.id)
    const before = follower.node.status().lastIndex
    const error = await follower.node.propose(put('x', '1')).catch((e: unknown) => e)
    expect(NotLeaderError.isInstance(error)).toBe(true)
    expect((error as NotLeaderError).leaderHint).toBe(leader.id)
    expect((error as NotLeaderError).message).toBe(`not the leader: the leader is "${leader.id}"`)
    expect(follower.node.status().lastIndex).toBe(before)
  })

  it('proposes a batch and returns every result in order', async () => {
    cluster = await TestCluster.create(['a', 'b', 'c'])
    const leader = await cluster.leader()
    const results = await leader.node.proposeBatch([put('k', '1'), put('k', '2'), put('k', '3')])
    expect(results).toEqual([
      { ok: true, previous: null },
      { ok: true, previous: '1' },
      { ok: true, previous: '2' },
    ])
  })

  it('keeps working when the leader stops: a new leader is elected and has every acknowledged write', async () => {
    cluster = await TestCluster.create(['a', 'b', 'c'])
    const first = await cluster.leader()
    for (let i = 0; i < 5; i++) await first.node.propose(put(`k${i}`, `v${i}`))
    await cluster.stop(first.id)
    const second = await cluster.leader()
    expect(second.id).not.toBe(first.id)
    await second.node.propose(put('after', 'yes'))
    for (const m of cluster.running()) {
      await m.node.read()
      for (let i = 0; i < 5; i++) expect(m.kv.get(`k${i}`)).toBe(`v${i}`)
      expect(m.kv.get('after')).toBe('yes')
    }
  })

  it('transfers leadership', async () => {
    cluster = await TestCluster.create(['a', 'b', 'c'])
    const leader = await cluster.leader()
    const target = cluster.running().find((m) => m !== leader)!
    await leader.node.transferLeadership(target.id)
    await waitFor(() => target.node.status().role === 'leader')
    expect(leader.node.status().role).not.toBe('leader')
    const error = await leader.node.transferLeadership(leader.id).catch((e: unknown) => e)
    expect(NotLeaderError.isInstance(error)).toBe(true)
    const refused = await target.node.transferLeadership('zz').catch((e: unknown) => e)
    expect(TransferRefusedError.isInstance(refused)).toBe(true)
    expect(await target.node.propose(put('x', 'y'))).toEqual({ ok: true, previous: null })
  })

  it('adds a learner, promotes it, and removes a voter', async () => {
    cluster = await TestCluster.create(['a', 'b', 'c'])
    let leader = await cluster.leader()
    await leader.node.propose(put('before', '1'))
    const d = await cluster.start('d', []) // joins: waits for the leader
    let m = await leader.node.changeMembership([{ type: 'add-learner', nodeId: 'd' }])
    expect(m.learners).toEqual(['d'])
    await waitFor(() => d.kv.get('before') === '1')
    expect(d.node.status().role).toBe('follower')
    m = await leader.node.changeMembership([{ type: 'add-voter', nodeId: 'd' }])
    expect([...m.voters].sort()).toEqual(['a', 'b', 'c', 'd'])
    expect(m.learners).toEqual([])
    const victim = ['a', 'b', 'c'].find((id) => id !== leader.id)!
    m = await leader.node.changeMembership([{ type: 'remove-node', nodeId: victim }])
    expect(m.voters).not.toContain(victim)
    await cluster.stop(victim)
    leader = await cluster.leader()
    await leader.node.propose(put('after', '2'))
    await d.node.read()
    expect(d.kv.get('after')).toBe('2')
    // two voters at once without joint consensus... is allowed by 'auto' (joint); a second change in flight is refused
    const first = leader.node.changeMembership([{ type: 'add-learner', nodeId: 'e' }])
    const second = await leader.node
      .changeMembership([{ type: 'add-learner', nodeId: 'f' }])
      .catch((e: unknown) => e)
    expect(ConfigChangeRefusedError.isInstance(second)).toBe(true)
    await first
  })

  it('snapshots, compacts, and catches up a lagging node with InstallSnapshot', async () => {
    cluster = await TestCluster.create(['a', 'b', 'c'], { snapshotEveryEntries: 10 })
    const leader = await cluster.leader()
    const lagging = cluster.running().find((m) => m !== leader)!
    const storage = lagging.storage
    await cluster.stop(lagging.id)
    for (let i = 0; i < 40; i++) await leader.node.propose(put(`k${i % 7}`, `v${i}`))
    await waitFor(() => leader.node.status().appliedIndex >= 40)
    const back = await cluster.start(lagging.id, ['a', 'b', 'c'], { snapshotEveryEntries: 10 }, storage)
    await back.node.read()
    for (let i = 33; i < 40; i++) expect(back.kv.get(`k${i % 7}`)).toBe(`v${i}`)
    const snapshots = leader.transport.sent.filter(
      (msg) => msg.type === 'install-snapshot' && msg.to === back.id,
    )
    expect(snapshots.length).toBeGreaterThan(0)
    expect(back.kv.entries()).toEqual(leader.kv.entries())
  })

  it('keeps committing while a snapshot of its own is still being written', async () => {
    const storages = ['a', 'b', 'c'].map(() => new MemoryStorage())
    // every snapshot finish waits until released: the Ready loop must not wait with it
    let release: () => void = () => {}
    const held = new Promise<void>((resolve) => {
      release = resolve
    })
    let finishesHeld = 0
    for (const storage of storages) {
      const begin = storage.beginSnapshot.bind(storage)
      storage.beginSnapshot = async (meta) => {
        const writer = await begin(meta)
        const finish = writer.finish.bind(writer)
        writer.finish = async () => {
          finishesHeld++
          await held
          await finish()
        }
        return writer
      }
    }
    cluster = new TestCluster()
    for (const [i, id] of ['a', 'b', 'c'].entries())
      await cluster.start(id, ['a', 'b', 'c'], { snapshotEveryEntries: 10 }, storages[i])
    const leader = await cluster.leader()
    for (let i = 0; i < 30; i++) await leader.node.propose(put(`k${i}`, `v${i}`))
    expect(finishesHeld).toBeGreaterThan(0)
    const before = leader.storage as MemoryStorage
    expect((await before.load()).snapshot).toBeNull()
    release()
    let stored = await before.load()
    for (let waited = 0; stored.snapshot === null && waited < 5_000; waited += 5) {
      await new Promise((resolve) => setTimeout(resolve, 5))
      stored = await before.load()
    }
    const snapshot = stored.snapshot!
    expect(snapshot.index).toBeGreaterThanOrEqual(10)
    // the log kept after the snapshot starts right after it, and the node still serves
    expect(stored.entries.every((entry, i) => entry.index === snapshot.index + 1 + i)).toBe(true)
    expect(await leader.node.propose(put('after', 'x'))).toEqual({ ok: true, previous: null })
  })

  it('a fresh leader waits out its first commit before a membership change (within the timeout)', async () => {
    cluster = new TestCluster()
    for (const id of ['a', 'b', 'c']) {
      const member = await cluster.start(id, ['a', 'b', 'c'])
      // votes pass, appends do not: a leader is elected but cannot commit its no-op
      member.transport.dropOutgoing = (message) => message.type === 'append-entries'
    }
    const leader = await cluster.leader()
    const refused = await leader.node
      .changeMembership([{ type: 'add-learner', nodeId: 'd' }], { timeoutMs: 100 })
      .catch((e: unknown) => e)
    expect(RaftTimeoutError.isInstance(refused)).toBe(true)
    const pending = leader.node.changeMembership([{ type: 'add-learner', nodeId: 'd' }])
    for (const member of cluster.running()) member.transport.dropOutgoing = () => false
    const membership = await pending
    expect(membership.learners).toEqual(['d'])
  })

  it('never leaves work for the next tick: proposals commit with the ticker stopped, snapshots included', async () => {
    // ticks only when the test says so: any Ready stranded by the loop would wait forever
    const tickers: (() => void)[] = []
    const timers = {
      every: (_ms: number, fn: () => void) => {
        tickers.push(fn)
        return () => {}
      },
      after: (ms: number, fn: () => void) => {
        const handle = setTimeout(fn, ms)
        return () => clearTimeout(handle)
      },
    }
    cluster = await TestCluster.create(['a', 'b', 'c'], { timers, snapshotEveryEntries: 10 })
    let leaderFound: Member | undefined
    for (let round = 0; round < 1000 && leaderFound === undefined; round++) {
      for (const tick of tickers) tick()
      await new Promise((resolve) => setTimeout(resolve, 1))
      leaderFound = cluster.running().find((m) => m.node.status().role === 'leader')
    }
    const leader = leaderFound!
    await leader.node.propose(put('warm', 'up'), { timeoutMs: 2_000 }).catch(async () => {
      // the no-op of the new term may need a heartbeat round: tick until it commits
      for (let i = 0; i < 20; i++) for (const tick of tickers) tick()
      await leader.node.propose(put('warm', 'up'), { timeoutMs: 2_000 })
    })
    for (let i = 0; i < 200; i++)
      await expect(leader.node.propose(put(`k${i}`, `v${i}`), { timeoutMs: 2_000 })).resolves.toBeDefined()
    await expect(leader.node.read({ timeoutMs: 2_000 })).resolves.toBeUndefined()
  })

  it('passes tuning through to the core and validates it', async () => {
    cluster = new TestCluster()
    await expect(cluster.start('a', ['a'], { tuning: { maxMessageBytes: 0 } })).rejects.toThrow(
      'maxMessageBytes: expected a positive integer or Infinity, got 0',
    )
    await expect(cluster.start('q', ['q'], { tuning: { maxMesageBytes: 1 } as never })).rejects.toThrow(
      'tuning: unknown setting "maxMesageBytes" (known: preVote, checkQuorum, readOnlyMode, leaseClockDriftTicks, maxMessageBytes, maxInflightMessages, maxInflightBytes, maxUncommittedBytes, commitPropagation, snapshotChunkBytes, maxInflightSnapshotChunks, snapshotRetryTicks)',
    )
    await expect(cluster.start('r', ['r'], { tuning: 'fast' as never })).rejects.toThrow(
      'tuning: expected an object, got string',
    )
    await cluster.close()
    cluster = await TestCluster.create(['a', 'b', 'c'], { tuning: { maxMessageBytes: 64 } })
    const leader = await cluster.leader()
    const value = 'x'.repeat(40)
    await leader.node.proposeBatch(Array.from({ length: 8 }, (_, i) => put(`k${i}`, value)))
    // eight ~50-byte commands at 64 bytes per append: no append to a follower carries more than one
    const appends = leader.transport.sent.filter((m) => m.type === 'append-entries' && m.entries.length > 0)
    expect(appends.length).toBeGreaterThanOrEqual(16)
    expect(Math.max(...appends.map((m) => (m.type === 'append-entries' ? m.entries.length : 0)))).toBe(1)
  })

  it('applies a retried session command once and returns the cached result', async () => {
    cluster = await TestCluster.create(['a', 'b', 'c'])
    const leader = await cluster.leader()
    const bytes = put('x', 'first', { clientId: 'c1', sequence: 1 })
    expect(await leader.node.propose(bytes)).toEqual({ ok: true, previous: null })
    expect(await leader.node.propose(bytes)).toEqual({ ok: true, previous: null }) // applied twice would say 'first'
    await leader.node.propose(put('x', 'second', { clientId: 'c1', sequence: 2 }))
    expect(await leader.node.propose(bytes)).toEqual({ ok: false, reason: 'session-stale' })
    const cas = command({ type: 'cas', key: 'x', from: 'nope', to: 'z' }, { clientId: 'c1', sequence: 3 })
    expect(await leader.node.propose(cas)).toEqual({
      ok: false,
      reason: 'precondition-failed',
      current: 'second',
    })
    expect(leader.kv.get('x')).toBe('second')
  })

  it('times out (outcome unknown) when no quorum answers', async () => {
    cluster = await TestCluster.create(['a', 'b', 'c'])
    const leader = await cluster.leader()
    cluster.isolate(leader.id)
    const error = await leader.node.propose(put('x', '1'), { timeoutMs: 100 }).catch((e: unknown) => e)
    expect(RaftTimeoutError.isInstance(error)).toBe(true)
    expect((error as Error).message).toBe('propose timed out after 100 ms')
    const readError = await leader.node.read({ timeoutMs: 100 }).catch((e: unknown) => e)
    expect(RaftTimeoutError.isInstance(readError)).toBe(true)
  })

  it('rejects a proposal overwritten by a new leader with a definite ProposalOverwrittenError', async () => {
    cluster = await TestCluster.create(['a', 'b', 'c'])
    const old = await cluster.leader()
    cluster.isolate(old.id)
    const pending = old.node.propose(put('lost', '1'), { timeoutMs: 10_000 }).catch((e: unknown) => e)
    const others = cluster.running().filter((m) => m !== old)
    await waitFor(() => others.some((m) => m.node.status().role === 'leader'))
    const fresh = others.find((m) => m.node.status().role === 'leader')!
    await fresh.node.propose(put('won', '1'))
    await fresh.node.propose(put('won', '2'))
    cluster.heal()
    const error = await pending
    expect(ProposalOverwrittenError.isInstance(error)).toBe(true)
    await old.node.read()
    expect(old.kv.get('lost')).toBeNull()
    expect(old.kv.get('won')).toBe('2')
  })

  it('fail-stops when a save fails: pending requests reject, nothing is sent after', async () => {
    cluster = new TestCluster()
    const storage = new MemoryStorage()
    let failSaves = false
    const save = storage.save.bind(storage)
    storage.save = async (batch) => {
      if (failSaves) throw new Error('disk on fire')
      return save(batch)
    }
    const solo = await cluster.start('a', ['a'], {}, storage)
    await cluster.leader()
    await solo.node.propose(put('x', '1'))
    failSaves = true
    const sentBefore = solo.transport.sent.length
    const error = await solo.node.propose(put('x', '2')).catch((e: unknown) => e)
    expect(StoppedError.isInstance(error)).toBe(true)
    expect((error as Error).message).toBe('raft node stopped after a failure: disk on fire')
    expect((solo.node.failure as Error).message).toBe('disk on fire')
    expect(solo.node.isStopped).toBe(true)
    expect(solo.transport.sent.length).toBe(sentBefore)
    expect(solo.kv.get('x')).toBe('1')
    await expect(solo.node.read()).rejects.toThrow(StoppedError)
  })

  it('stop() rejects pending requests with StoppedError', async () => {
    cluster = await TestCluster.create(['a', 'b', 'c'])
    const leader = await cluster.leader()
    cluster.isolate(leader.id)
    const pending = leader.node.propose(put('x', '1')).catch((e: unknown) => e)
    await leader.node.stop()
    const error = await pending
    expect(StoppedError.isInstance(error)).toBe(true)
    expect((error as Error).message).toBe('raft node stopped')
  })

  it('restarts from storage and re-applies the committed log', async () => {
    cluster = await TestCluster.create(['a', 'b', 'c'])
    const leader = await cluster.leader()
    await leader.node.propose(put('x', '1'))
    const follower = cluster.running().find((m) => m !== leader)!
    await waitFor(() => follower.kv.get('x') === '1')
    await cluster.stop(follower.id)
    const back = await cluster.start(follower.id, ['a', 'b', 'c'], {}, follower.storage)
    await back.node.read()
    expect(back.kv.get('x')).toBe('1')
  })

  it('retries a forwarded ReadIndex whose request was lost, within the read timeout', async () => {
    cluster = await TestCluster.create(['a', 'b', 'c'])
    const leader = await cluster.leader()
    await leader.node.propose(put('x', '1'))
    const follower = cluster.running().find((m) => m !== leader)!
    await waitFor(() => follower.node.status().leader === leader.id)
    let dropped = 0
    follower.transport.dropOutgoing = (message) => message.type === 'read-index' && dropped++ === 0
    await follower.node.read({ timeoutMs: 2_000 })
    expect(dropped).toBe(2) // the first request was lost, the retry went through
    expect(follower.kv.get('x')).toBe('1')
    const requests = follower.transport.sent.filter((m) => m.type === 'read-index')
    expect(requests).toHaveLength(2)
    expect(requests[0]).not.toEqual(requests[1]) // a new request id for the retry
  })

  it('fail-stops when the state machine throws, and validates request options', async () => {
    cluster = new TestCluster()
    const solo = await cluster.start('a', ['a'])
    await cluster.leader()
    await expect(solo.node.propose(put('x', '1'), { timeoutMs: 0 })).rejects.toThrow(
      'timeoutMs: expected a positive number, got 0',
    )
    await expect(solo.node.propose('nope' as never)).rejects.toThrow(
      'command: expected Uint8Array, got string',
    )
    solo.kv.apply = () => {
      throw new Error('bug in apply')
    }
    const error = await solo.node.propose(put('x', '1')).catch((e: unknown) => e)
    expect(StoppedError.isInstance(error)).toBe(true)
    expect((solo.node.failure as Error).message).toBe('bug in apply')
  })

  it('sends nothing of a Ready before its save is durable (persist, then send)', async () => {
    cluster = new TestCluster()
    const held = new Map<string, () => void>()
    const gated = new Set<string>()
    let gateIndex = Number.POSITIVE_INFINITY
    const storageOf = (id: string) => {
      const storage = new MemoryStorage()
      const save = storage.save.bind(storage)
      storage.save = async (batch) => {
        // hold only the save that carries the entry under test
        if (gated.has(id) && batch.entries?.some((entry) => entry.index >= gateIndex))
          await new Promise<void>((resolve) => held.set(id, resolve))
        return save(batch)
      }
      return storage
    }
    for (const id of ['a', 'b', 'c']) await cluster.start(id, ['a', 'b', 'c'], {}, storageOf(id))
    const leader = await cluster.leader()
    await leader.node.propose(put('warm', 'up'))
    const follower = cluster.running().find((m) => m !== leader)!
    const sentBefore = follower.transport.sent.length
    const index = leader.node.status().lastIndex + 1
    gateIndex = index
    gated.add(follower.id)
    await leader.node.propose(put('x', '1')) // commits with the other follower
    await waitFor(() => held.has(follower.id)) // the follower's save of entry `index` is in progress
    const acks = () =>
      follower.transport.sent
        .slice(sentBefore)
        .filter((m) => m.type === 'append-entries-response' && m.success && m.matchIndex >= index)
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(acks()).toHaveLength(0)
    gated.delete(follower.id)
    held.get(follower.id)?.()
    await waitFor(() => acks().length > 0)
    await waitFor(() => follower.kv.get('x') === '1')
  })

  it('a node that joined later leads and sends snapshots that carry the membership', async () => {
    cluster = await TestCluster.create(['a', 'b', 'c'], { snapshotEveryEntries: 4 })
    let leader = await cluster.leader()
    const d = await cluster.start('d', [], { snapshotEveryEntries: 4 })
    await leader.node.changeMembership([{ type: 'add-learner', nodeId: 'd' }])
    await leader.node.changeMembership([{ type: 'add-voter', nodeId: 'd' }])
    await leader.node.transferLeadership('d')
    leader = await cluster.leader()
    expect(leader.id).toBe('d')
    const lagging = cluster.running().find((m) => m.id !== 'd')!
    const storage = lagging.storage
    await cluster.stop(lagging.id)
    for (let i = 0; i < 12; i++) await d.node.propose(put(`k${i}`, `v${i}`))
    const back = await cluster.start(lagging.id, [], { snapshotEveryEntries: 4 }, storage)
    await back.node.read()
    expect(back.kv.get('k11')).toBe('v11')
    const sent = d.transport.sent.filter((m) => m.type === 'install-snapshot')
    expect(sent.length).toBeGreaterThan(0)
    for (const m of sent)
      if (m.type === 'install-snapshot') expect(m.meta.membership.voters.length).toBeGreaterThan(0)
    expect(d.node.failure).toBeUndefined()
  })
})
