/**
 * Batch-signed replies: a Merkle tree of a batch's replies (RFC 9162 shape),
 * one signature per replica per batch, an inclusion proof per reply.
 */
import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  decodePbftMessage,
  encodePbftMessage,
  type Reply,
  type ReplyEntry,
  replyLeafBytes,
  replyRoot,
  signingBytes,
  signReplies,
  toHex,
  verifyReply,
} from '../src/index.js'
import { Harness, makeIdentity, makeRequest } from './helpers.js'

const sha256 = (data: Uint8Array) => new Uint8Array(createHash('sha256').update(data).digest())
const signer = makeIdentity('r1', 'ed25519')
const other = makeIdentity('r2', 'ed25519')

const entries = (count: number): ReplyEntry[] =>
  Array.from({ length: count }, (_, i) => ({
    client: `client${i}`,
    timestamp: i + 1,
    readOnly: false,
    result: new TextEncoder().encode(`result ${i}`),
  }))

/** RFC 9162 MTH, written the dumb way, as the reference. */
function referenceRoot(items: readonly ReplyEntry[]): Uint8Array {
  if (items.length === 1) return sha256(Uint8Array.of(0, ...replyLeafBytes(items[0]!)))
  let split = 1
  while (split * 2 < items.length) split *= 2
  return sha256(
    Uint8Array.of(1, ...referenceRoot(items.slice(0, split)), ...referenceRoot(items.slice(split))),
  )
}

describe('batch-signed replies', () => {
  it('every reply of trees of 1 to 70 leaves verifies, to the reference root, under one signature', () => {
    for (let count = 1; count <= 70; count++) {
      const batch = entries(count)
      const replies = signReplies(signer.crypto, 3, 1, batch)
      const root = toHex(referenceRoot(batch))
      expect(new Set(replies.map((reply) => toHex(reply.signature))).size).toBe(1)
      for (const reply of replies) {
        expect(toHex(replyRoot(signer.crypto, reply)!)).toBe(root)
        expect(verifyReply(signer.crypto, signer.publicKey, reply)).toBe(true)
        expect(reply.proof.length).toBeLessThanOrEqual(Math.ceil(Math.log2(count)))
      }
    }
  })

  it('refuses a reply whose result, position, size, proof, view, replica or key is not the signed one', () => {
    const replies = signReplies(signer.crypto, 3, 1, entries(11))
    const reply = replies[6]!
    const bad: [string, Reply][] = [
      ['result', { ...reply, result: new TextEncoder().encode('result 7') }],
      ['client', { ...reply, client: 'client7' }],
      ['timestamp', { ...reply, timestamp: 8 }],
      ['readOnly', { ...reply, readOnly: true }],
      ['position', { ...reply, position: 7 }],
      ['leaves', { ...reply, leaves: 12 }],
      ['leaves 0', { ...reply, leaves: 0 }],
      ['position past leaves', { ...reply, position: 11 }],
      ['proof entry', { ...reply, proof: [reply.proof[1]!, reply.proof[0]!, ...reply.proof.slice(2)] }],
      ['proof too long', { ...reply, proof: [...reply.proof, reply.proof[0]!] }],
      ['proof too short', { ...reply, proof: reply.proof.slice(1) }],
      ['view', { ...reply, view: 4 }],
      ['replica', { ...reply, replica: 2 }],
      [
        'signature of another batch',
        { ...reply, signature: signReplies(signer.crypto, 3, 1, entries(10))[0]!.signature },
      ],
    ]
    for (const [what, tampered] of bad)
      expect([what, verifyReply(signer.crypto, signer.publicKey, tampered)]).toEqual([what, false])
    expect(verifyReply(signer.crypto, other.publicKey, reply)).toBe(false)
  })

  it('round-trips through the codec, and refuses a position outside the tree', () => {
    const reply = signReplies(signer.crypto, 0, 1, entries(5))[4]!
    expect(decodePbftMessage(encodePbftMessage(reply))).toEqual(reply)
    expect(() => decodePbftMessage(encodePbftMessage({ ...reply, position: 5 }))).toThrow(
      'reply position 5 is not below its 5 leaves',
    )
    expect(() => signingBytes(reply)).toThrow(
      "reply: a reply is signed over its batch's reply root; use signReplies / replySigningBytes",
    )
    expect(() => signReplies(signer.crypto, 0, 1, [])).toThrow('entries: expected at least one reply to sign')
  })

  it('a replica signs the replies of one executed batch once', () => {
    const h = new Harness(1)
    const clients = [0, 1, 2].map((i) => {
      const base = makeIdentity(`tree-client${i}`, 'fast')
      return { ...base, id: toHex(base.publicKey) }
    })
    const batch = clients.map((client, i) => makeRequest(client, `op${i}`, 1))
    h.commitBatch(h.prePrepare(0, 1, batch), [0, 2, 3])
    const replies = h.sentOfKind('reply')
    expect(replies.map((reply) => [reply.client, reply.position, reply.leaves])).toEqual(
      clients.map((client, i) => [client.id, i, 3]),
    )
    expect(new Set(replies.map((reply) => toHex(reply.signature))).size).toBe(1)
    for (const reply of replies)
      expect(verifyReply(h.identities[1]!.crypto, h.identities[1]!.publicKey, reply)).toBe(true)
  })
})
