import { describe, expect, it } from 'vitest'
import { type Checkpoint, encodeStateSnapshot, type StateTransfer } from '../src/index.js'
import { Harness } from './helpers.js'

function setup() {
  const h = new Harness(1) // K = 4
  const crypto = h.identities[0]!.crypto
  const snapshot = encodeStateSnapshot(new TextEncoder().encode(JSON.stringify(['a:x', 'b:y'])), [
    { client: h.client.id, timestamp: 2, result: new TextEncoder().encode('2:y') },
  ])
  const stateDigest = crypto.digest(snapshot)
  const proof = [0, 2, 3].map((replica) =>
    h.sign<Checkpoint>(replica, { kind: 'checkpoint', sequence: 4, stateDigest, replica }),
  )
  const next = h.prePrepare(0, 5, [h.request('z', 3)])
  const certificate = { prePrepare: next, commits: [0, 2, 3].map((r) => h.commit(r, next)) }
  const state = (body: Partial<StateTransfer>, from = 2) =>
    h.sign<StateTransfer>(from, {
      kind: 'state',
      checkpoint: { proof, snapshot },
      entries: [certificate],
      replica: from,
      ...body,
    })
  return { h, snapshot, proof, certificate, state }
}

describe('state transfer', () => {
  it('installs a certified snapshot and the committed batches after it', () => {
    const { h, state } = setup()
    h.deliver(2, state({}))
    expect(h.rejects()).toEqual([])
    expect(h.replica.lastExecuted).toBe(5)
    expect(h.replica.lowWatermark).toBe(4)
    expect(h.app.entries.slice(0, 2)).toEqual(['a:x', 'b:y'])
    expect(h.app.entries[2]).toBe(`${h.client.id}:z`)
    // the reply table came with the snapshot: the old request is answered from it, not re-executed
    h.deliver(h.client.id, h.request('y', 2))
    expect(h.app.entries).toHaveLength(3)
    expect(h.events.some((e) => e.type === 'state-transfer-install')).toBe(true)
  })

  it('fetches when it sees a checkpoint certificate above its state', () => {
    const { h, proof } = setup()
    for (const checkpoint of proof) h.deliver(checkpoint.replica, checkpoint)
    const fetches = h.sentOfKind('fetch-state')
    expect(fetches).toHaveLength(1)
    expect(fetches[0]!.fromSequence).toBe(1)
  })

  it.each([
    ['a snapshot that does not match the certificate', 'snapshot does not match the checkpoint certificate'],
    ['a certificate of 2 checkpoints', 'checkpoint proof has 2 messages'],
    ['a forged checkpoint signature', 'bad checkpoint signature in proof'],
    ['a commit certificate of 2 commits', 'commit certificate has 2 commits'],
    ['a commit certificate for another digest', 'commit digest differs in certificate'],
    ['a response from a non-member', 'unknown replica index 7'],
  ])('rejects %s', (name, reason) => {
    const { h, snapshot, proof, certificate, state } = setup()
    let message: StateTransfer
    switch (name) {
      case 'a snapshot that does not match the certificate':
        message = state({ checkpoint: { proof, snapshot: Uint8Array.of(...snapshot, 0) } })
        break
      case 'a certificate of 2 checkpoints':
        message = state({ checkpoint: { proof: proof.slice(0, 2), snapshot } })
        break
      case 'a forged checkpoint signature':
        message = state({
          checkpoint: {
            proof: [proof[0]!, proof[1]!, { ...proof[2]!, signature: new Uint8Array(32) }],
            snapshot,
          },
        })
        break
      case 'a commit certificate of 2 commits':
        message = state({
          checkpoint: undefined,
          entries: [{ ...certificate, commits: certificate.commits.slice(0, 2) }],
        })
        break
      case 'a commit certificate for another digest': {
        const other = h.prePrepare(0, 1, [h.request('evil', 9)])
        message = state({
          checkpoint: undefined,
          entries: [
            {
              prePrepare: other,
              commits: [0, 2, 3].map((r) => h.commit(r, h.prePrepare(0, 1, [h.request('ok', 9)]))),
            },
          ],
        })
        break
      }
      default:
        message = { ...state({}), replica: 7 }
    }
    if (name === 'a commit certificate of 2 commits') {
      // make sequence 5 the next one to execute: install the checkpoint first
      h.deliver(2, state({ entries: [] }))
      expect(h.replica.lastExecuted).toBe(4)
    }
    h.deliver(2, message)
    expect(h.rejects(reason)).toHaveLength(1)
    expect(h.replica.lastExecuted).toBe(name === 'a commit certificate of 2 commits' ? 4 : 0)
  })
})

describe('state transfer responder', () => {
  it('answers a fetch with its stable checkpoint and later batches, once per retransmission round', () => {
    const h = new Harness(1, { replicaOptions: { retransmitTicks: 10 } })
    for (let sequence = 1; sequence <= 5; sequence++)
      h.commitBatch(h.prePrepare(0, sequence, [h.request(`op${sequence}`, sequence)]), [0, 2, 3])
    for (const replica of [0, 2, 3]) {
      // the others' checkpoints for 4 make it stable here
      const own = h.sentOfKind('checkpoint').find((c) => c.sequence === 4)!
      h.deliver(replica, h.sign<Checkpoint>(replica, { ...own, replica }))
    }
    expect(h.replica.lowWatermark).toBe(4)
    const fetch = h.sign(3, { kind: 'fetch-state', fromSequence: 2, replica: 3 } as const)
    h.deliver(3, fetch)
    h.deliver(3, fetch)
    const answers = h.sentOfKind('state')
    expect(answers).toHaveLength(1)
    expect(answers[0]!.checkpoint!.proof.length).toBe(3)
    expect(answers[0]!.entries.map((e) => e.prePrepare.sequence)).toEqual([5])
    h.tick(10)
    h.deliver(3, fetch)
    expect(h.sentOfKind('state')).toHaveLength(2)
  })
})
