import { describe, expect, it } from 'vitest'
import type { Checkpoint, NewView, PrePrepare, PreparedCertificate, ViewChange } from '../src/index.js'
import { Harness } from './helpers.js'

/** A backup (r2) receiving view 1's NEW-VIEW from r1, with real Ed25519 signatures. */
function setup() {
  const h = new Harness(2, { crypto: 'ed25519' })
  const viewChange = (
    replica: number,
    prepared: PreparedCertificate[] = [],
    checkpoint?: { sequence: number; proof: Checkpoint[] },
  ) =>
    h.sign<ViewChange>(replica, {
      kind: 'view-change',
      view: 1,
      checkpointSequence: checkpoint?.sequence ?? 0,
      checkpointProof: checkpoint?.proof ?? [],
      prepared,
      replica,
    })
  const reissue = (sequence: number, batch: PrePrepare['batch']) => {
    const pp = h.prePrepare(1, sequence, [...batch])
    return pp
  }
  const newView = (viewChanges: ViewChange[], prePrepares: PrePrepare[], signer = 1) =>
    h.sign<NewView>(signer, { kind: 'new-view', view: 1, viewChanges, prePrepares, replica: signer })
  const preparedAt = (sequence: number, operation: string, timestamp: number): PreparedCertificate => {
    const pp = h.prePrepare(0, sequence, [h.request(operation, timestamp)])
    return { prePrepare: pp, prepares: [h.prepare(2, pp), h.prepare(3, pp)] }
  }
  return { h, viewChange, reissue, newView, preparedAt }
}

describe('NEW-VIEW verification (real Ed25519)', () => {
  it('accepts a valid new-view and prepares its re-issued pre-prepares, with null requests in the gaps', () => {
    const { h, viewChange, reissue, newView, preparedAt } = setup()
    const certificate = preparedAt(2, 'kept', 1)
    const viewChanges = [viewChange(1), viewChange(0, [certificate]), viewChange(3)]
    const o = [reissue(1, []), reissue(2, certificate.prePrepare.batch)]
    h.deliver(1, newView(viewChanges, o))
    expect(h.rejects()).toEqual([])
    expect(h.replica.view).toBe(1)
    expect(h.replica.status).toBe('normal')
    const prepares = h.sentOfKind('prepare').filter((p) => p.view === 1)
    expect(new Set(prepares.map((p) => p.sequence))).toEqual(new Set([1, 2]))
    expect(prepares.find((p) => p.sequence === 2)!.digest).toEqual(certificate.prePrepare.digest)
  })

  it.each([
    ['fewer than 2f+1 view-changes', 'carries 2 view-changes'],
    ['a forged view-change signature', 'bad view-change signature'],
    ['the same replica twice', 'repeats replica'],
    ['a signer that is not the primary', 'not the primary'],
    ['a dropped prepared batch', 'has 0 pre-prepares, the view-changes give 2'],
    ['a substituted batch', 'does not match the view-changes'],
    ['a prepared certificate with too few prepares', 'expected at least 2'],
    ['a checkpoint proof with too few checkpoints', 'checkpoint proof has 2 messages'],
    ['a checkpoint proof mixing digests', 'checkpoint proof digests differ'],
    ['a forged pre-prepare signature in O', 'bad pre-prepare signature'],
  ])('rejects a new-view with %s', (_case, reason) => {
    const { h, viewChange, reissue, newView, preparedAt } = setup()
    const certificate = preparedAt(2, 'kept', 1)
    const good = [viewChange(1), viewChange(0, [certificate]), viewChange(3)]
    const o = [reissue(1, []), reissue(2, certificate.prePrepare.batch)]
    const checkpoint = (replica: number, digest: number) =>
      h.sign<Checkpoint>(replica, {
        kind: 'checkpoint',
        sequence: 4,
        stateDigest: new Uint8Array(32).fill(digest),
        replica,
      })
    let message: NewView
    switch (_case) {
      case 'fewer than 2f+1 view-changes':
        message = newView(good.slice(0, 2), o)
        break
      case 'a forged view-change signature':
        message = newView([good[0]!, { ...good[1]!, signature: new Uint8Array(64) }, good[2]!], o)
        break
      case 'the same replica twice':
        message = newView([good[0]!, good[1]!, good[1]!], o)
        break
      case 'a signer that is not the primary':
        message = newView(good, o, 3)
        break
      case 'a dropped prepared batch':
        message = newView(good, [])
        break
      case 'a substituted batch':
        message = newView(good, [o[0]!, reissue(2, [h.request('evil', 9)])])
        break
      case 'a prepared certificate with too few prepares':
        message = newView(
          [
            good[0]!,
            viewChange(0, [{ ...certificate, prepares: certificate.prepares.slice(0, 1) }]),
            good[2]!,
          ],
          o,
        )
        break
      case 'a checkpoint proof with too few checkpoints':
        message = newView(
          [
            good[0]!,
            viewChange(0, [], { sequence: 4, proof: [checkpoint(0, 1), checkpoint(3, 1)] }),
            good[2]!,
          ],
          [],
        )
        break
      case 'a checkpoint proof mixing digests':
        message = newView(
          [
            good[0]!,
            viewChange(0, [], { sequence: 4, proof: [checkpoint(0, 1), checkpoint(3, 1), checkpoint(1, 2)] }),
            good[2]!,
          ],
          [],
        )
        break
      default:
        message = newView(good, [o[0]!, { ...o[1]!, signature: new Uint8Array(64) }])
    }
    h.deliver(1, message)
    expect(h.rejects(reason)).toHaveLength(1)
    expect(h.replica.view).toBe(0)
    expect(h.sentOfKind('prepare')).toHaveLength(0)
  })

  it('adopts a certified checkpoint from the view-changes (min-s) and fetches the state it lacks', () => {
    const { h, viewChange, newView } = setup()
    const digest = new Uint8Array(32).fill(7)
    const proof = [0, 1, 3].map((replica) =>
      h.sign<Checkpoint>(replica, { kind: 'checkpoint', sequence: 4, stateDigest: digest, replica }),
    )
    h.deliver(1, newView([viewChange(1), viewChange(0, [], { sequence: 4, proof }), viewChange(3)], []))
    expect(h.rejects()).toEqual([])
    expect(h.replica.view).toBe(1)
    expect(h.sentOfKind('fetch-state').length).toBeGreaterThan(0)
  })
})
