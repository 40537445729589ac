import { describe, expect, it } from 'vitest'
import { toHex } from '../src/index.js'
import { Harness } from './helpers.js'

describe('restart from persisted state', () => {
  it('never signs a conflicting prepare for a (view, sequence) it already voted on', () => {
    const h = new Harness(1)
    const first = h.prePrepare(0, 1, [h.request('x', 1)])
    h.deliver(0, first)
    expect(h.sentOfKind('prepare')).toHaveLength(3)
    expect(h.hardState!.votes).toEqual([{ kind: 'prepare', view: 0, sequence: 1, digest: first.digest }])
    h.restart()
    h.sent.length = 0
    // the (equivocating) primary now offers another batch at the same (view, sequence)
    const second = h.prePrepare(0, 1, [h.request('y', 2)])
    h.deliver(0, second)
    expect(h.sentOfKind('prepare')).toHaveLength(0)
    expect(h.events.filter((e) => e.type === 'vote-refuse')).toHaveLength(1)
    // the original batch is still acceptable
    h.deliver(0, first)
    expect(h.sentOfKind('prepare').map((p) => toHex(p.digest))).toEqual(
      new Array(3).fill(toHex(first.digest)),
    )
  })

  it('keeps its prepared certificates across a restart and reports them in its view-change', () => {
    const h = new Harness(1, { replicaOptions: { viewChangeTimeoutTicks: 5 } })
    const pp = h.prePrepare(0, 1, [h.request('x', 1)])
    h.deliver(0, pp)
    h.deliver(2, h.prepare(2, pp))
    expect(h.sentOfKind('commit')).toHaveLength(3)
    h.restart()
    h.tick(0)
    h.deliver(h.client.id, h.request('z', 3)) // a pending request starts the timer
    h.tick(10)
    const viewChange = h.sentOfKind('view-change')[0]!
    expect(viewChange.view).toBe(1)
    expect(viewChange.prepared.map((c) => toHex(c.prePrepare.digest))).toEqual([toHex(pp.digest)])
  })

  it('restarts in the middle of a view change and re-sends its view-change', () => {
    const h = new Harness(1, { replicaOptions: { viewChangeTimeoutTicks: 5 } })
    h.deliver(h.client.id, h.request('x', 1))
    h.tick(6)
    expect(h.replica.status).toBe('view-change')
    expect(h.hardState!.viewChanging).toBe(true)
    h.restart()
    expect(h.replica.view).toBe(1)
    expect(h.replica.status).toBe('view-change')
    h.sent.length = 0
    h.tick(20) // retransmission
    expect(h.sentOfKind('view-change').every((v) => v.view === 1)).toBe(true)
    expect(h.sentOfKind('view-change').length).toBeGreaterThan(0)
  })

  it('re-executes committed batches after restart, without replying or persisting them again', () => {
    const h = new Harness(1)
    h.commitBatch(h.prePrepare(0, 1, [h.request('a', 1)]), [0, 2, 3])
    h.commitBatch(h.prePrepare(0, 2, [h.request('b', 2)]), [0, 2, 3])
    expect(h.hardState!.committed).toHaveLength(2)
    h.restart()
    expect(h.replica.lastExecuted).toBe(2)
    expect(h.app.entries.map((e) => e.split(':')[1])).toEqual(['a', 'b'])
  })

  it('refuses persisted state of another replica', () => {
    const h = new Harness(1)
    h.commitBatch(h.prePrepare(0, 1, [h.request('a', 1)]), [0, 2, 3])
    const other = new Harness(2)
    other.hardState = h.hardState
    expect(() => other.restart()).toThrow(
      'cannot restore persisted PBFT state: it belongs to replica "r1", not "r2"',
    )
  })
})
