/**
 * Log compaction and snapshots (§7): local compaction, chunked and resumable
 * InstallSnapshot with the data held by the driver, restart from a snapshot.
 */
import { describe, expect, it } from 'vitest'
import { CompactRefusedError, type InstallSnapshotMessage, membership, RaftCore } from '../../src/index.js'
import { Cluster, drain, enc, prng } from './helpers.js'

describe('compaction', () => {
  it('drops applied entries and keeps the snapshot metadata (term, membership)', () => {
    const c = new Cluster({ ids: ['a', 'b', 'c'] })
    const a = c.elect('a')
    for (let i = 0; i < 10; i++) a.propose(enc(`${i}`))
    c.stabilize()
    const index = c.compact('a').index
    expect(a.status()).toMatchObject({ snapshotIndex: index, firstIndex: index + 1 })
    expect(a.termAt(index)).toBe(a.status().term)
    expect(a.termAt(index - 1)).toBe(-1)
    expect(a.snapshotMeta(index, 0).membership).toEqual(membership(['a', 'b', 'c']))
  })

  it('refuses to compact past the applied index', () => {
    const core = new RaftCore({ id: 'a', random: prng(1), initialMembership: membership(['a']) })
    core.campaign()
    core.propose(enc('x'))
    expect(() => core.snapshotMeta(2, 0)).toThrow(CompactRefusedError)
    expect(() => core.snapshotMeta(2, 0)).toThrow('compaction refused: index 2 is not applied (applied 0)')
    drain(core) // persists 1-2
    drain(core) // commits and applies them
    expect(core.snapshotMeta(2, 0)).toMatchObject({ index: 2, term: 1 })
  })
})

describe('InstallSnapshot', () => {
  it('streams a snapshot in chunks to a follower that needs compacted entries; the core holds no data', () => {
    const c = new Cluster({
      ids: ['a', 'b', 'c'],
      config: { snapshotChunkBytes: 16, maxInflightSnapshotChunks: 2 },
    })
    const a = c.elect('a')
    c.isolate('c')
    for (let i = 0; i < 20; i++) a.propose(enc(`value-${i}`))
    c.stabilize()
    const index = c.compact('a').index
    c.heal()
    c.tickAll(3)
    const chunks = c.delivered.filter((m): m is InstallSnapshotMessage => m.type === 'install-snapshot')
    const size = c.disks.get('a')!.snapshot!.sizeBytes
    expect(chunks.length).toBeGreaterThanOrEqual(Math.ceil(size / 16))
    expect(chunks.every((m) => m.data.length <= 16)).toBe(true)
    // the core's intents carry no data: the driver read it from storage
    const intents = (c.readyLog.get('a') ?? []).flatMap((r) => r.snapshotChunksToSend)
    expect(intents.length).toBeGreaterThan(0)
    expect(intents.every((i) => i.message.data.length === 0 && i.length <= 16)).toBe(true)
    expect(c.node('c').status().snapshotIndex).toBe(index)
    expect(c.appliedData('c')).toEqual(c.appliedData('a'))
    a.propose(enc('after'))
    c.stabilize()
    c.tickAll(1)
    expect(c.appliedData('c')).toContain('after')
  })

  it('resumes from the acknowledged offset after a lost chunk, not from the start', () => {
    const c = new Cluster({
      ids: ['a', 'b', 'c'],
      config: { snapshotChunkBytes: 8, maxInflightSnapshotChunks: 1 },
    })
    const a = c.elect('a')
    c.isolate('c')
    for (let i = 0; i < 10; i++) a.propose(enc(`value-${i}`))
    c.stabilize()
    c.compact('a')
    c.heal()
    // lose the third chunk once
    let dropped = false
    const original = c.deliverAll.bind(c)
    c.deliverAll = () => {
      c.queue = c.queue.filter((m) => {
        if (!dropped && m.type === 'install-snapshot' && m.offset === 16) {
          dropped = true
          return false
        }
        return true
      })
      return original()
    }
    c.tickAll(10)
    expect(dropped).toBe(true)
    const offsets = c.delivered
      .filter((m) => m.type === 'install-snapshot')
      .map((m) => (m as InstallSnapshotMessage).offset)
    expect(offsets.filter((o) => o === 0)).toHaveLength(1)
    expect(offsets.filter((o) => o === 16)).toHaveLength(1) // the resent one (the first was lost)
    expect(c.appliedData('c')).toEqual(c.appliedData('a'))
  })

  it('answers "done" without a transfer when its log already covers the snapshot', () => {
    const c = new Cluster({ ids: ['a', 'b', 'c'] })
    const a = c.elect('a')
    a.propose(enc('x'))
    c.stabilize()
    const b = c.node('b')
    const meta = a.snapshotMeta(a.status().applied, 100)
    b.step({
      type: 'install-snapshot',
      from: 'a',
      to: 'b',
      term: a.status().term,
      meta,
      offset: 0,
      data: new Uint8Array(10),
    })
    const ready = drain(b)
    expect(ready.snapshotChunksReceived).toEqual([])
    expect(ready.messages).toEqual([
      expect.objectContaining({ type: 'install-snapshot-response', done: true }),
    ])
  })

  it('a node restarts from its snapshot and entries and catches up', () => {
    const c = new Cluster({ ids: ['a', 'b', 'c'] })
    const a = c.elect('a')
    for (let i = 0; i < 5; i++) a.propose(enc(`${i}`))
    c.stabilize()
    c.tickAll(1)
    c.compact('b')
    c.restart('b')
    expect(c.node('b').status().snapshotIndex).toBeGreaterThan(0)
    a.propose(enc('5'))
    c.stabilize()
    c.tickAll(2)
    expect(c.appliedData('b')).toEqual(['0', '1', '2', '3', '4', '5'])
  })
})
