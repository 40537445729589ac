import { describe, expect, it } from 'vitest'
import type { ViewChange } from '../src/index.js'
import { Harness } from './helpers.js'

function viewChangeFrom(h: Harness, replica: number, view: number): ViewChange {
  return h.sign<ViewChange>(replica, {
    kind: 'view-change',
    view,
    checkpointSequence: 0,
    checkpointProof: [],
    prepared: [],
    replica,
  })
}

describe('view-change timers and storms', () => {
  it('doubles the timeout per consecutive view change (paper: T for view v+1, 2T for v+2, 4T for v+3)', () => {
    // r0 under test; the primaries of views 1, 2, 3 (r1, r2, r3) stay silent
    const h = new Harness(0, { replicaOptions: { viewChangeTimeoutTicks: 10 } })
    h.deliver(h.client.id, h.request('x', 1)) // pending: the request timer starts
    const sentAt: number[] = []
    for (let tick = 1; tick <= 80; tick++) {
      const before = h.sentOfKind('view-change').length
      h.tick()
      const fresh = h.sentOfKind('view-change').slice(before)
      if (fresh.some((v) => v.view > (sentAt.length === 0 ? 0 : sentAt.length))) {
        sentAt.push(tick)
        const view = h.replica.view
        // the two other backups are at this view too (its primary stays silent)
        for (const other of [1, 2, 3].filter((r) => r !== view % 4))
          h.deliver(other, viewChangeFrom(h, other, view))
      }
    }
    // request timer T, then waits for a new-view of T, 2T, 4T
    expect(sentAt).toEqual([10, 20, 40, 80])
    expect(h.replica.view).toBe(4)
  })

  it('ignores a storm of view-changes from f replicas, and joins the smallest view once f+1 ask', () => {
    const h = new Harness(1)
    for (let view = 1; view <= 50; view++) h.deliver(3, viewChangeFrom(h, 3, view))
    expect(h.replica.view).toBe(0)
    expect(h.replica.status).toBe('normal')
    expect(h.sentOfKind('view-change')).toHaveLength(0)
    h.deliver(2, viewChangeFrom(h, 2, 7))
    expect(h.replica.view).toBe(7)
    expect(h.sentOfKind('view-change').every((v) => v.view === 7)).toBe(true)
    expect(
      h.events.some((e) => e.type === 'view-change-start' && e.reason === 'f+1 replicas moved to view 7'),
    ).toBe(true)
  })

  it('a view-change with a bogus prepared certificate or checkpoint proof is not counted', () => {
    const h = new Harness(1)
    const pp = h.prePrepare(0, 1, [h.request('x', 1)])
    const bogus = h.sign<ViewChange>(3, {
      kind: 'view-change',
      view: 5,
      checkpointSequence: 0,
      checkpointProof: [],
      prepared: [{ prePrepare: pp, prepares: [h.prepare(2, pp)] }],
      replica: 3,
    })
    h.deliver(3, bogus)
    h.deliver(2, viewChangeFrom(h, 2, 5))
    expect(h.rejects('expected at least 2')).toHaveLength(1)
    expect(h.replica.view).toBe(0) // only one valid view-change above: not f+1
  })
})
