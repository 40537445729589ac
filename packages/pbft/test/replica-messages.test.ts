import { describe, expect, it } from 'vitest'
import { type Commit, type Prepare, signingBytes } from '../src/index.js'
import { Harness, makeIdentity, makeRequest } from './helpers.js'

function flip(bytes: Uint8Array): Uint8Array {
  const copy = bytes.slice()
  copy[0] = (copy[0] ?? 0) ^ 1
  return copy
}

describe('a backup in the normal case', () => {
  it('prepares, commits with 2f+1 commits, executes once and replies to the client', () => {
    const h = new Harness(1)
    const pp = h.prePrepare(0, 1, [h.request('x', 1)])
    h.deliver(0, pp)
    expect(h.sentOfKind('prepare')).toHaveLength(3) // broadcast to the 3 others
    h.deliver(2, h.prepare(2, pp))
    expect(h.sentOfKind('commit')).toHaveLength(3) // prepared: pre-prepare + 2f prepares (own included)
    h.deliver(0, h.commit(0, pp))
    expect(h.replica.lastExecuted).toBe(0) // own + 1 commit: 2 < 2f+1
    h.deliver(2, h.commit(2, pp))
    expect(h.replica.lastExecuted).toBe(1)
    expect(h.app.entries).toEqual([`${h.client.id}:x`])
    const replies = h.sentOfKind('reply')
    expect(replies).toHaveLength(1)
    expect(new TextDecoder().decode(replies[0]!.result)).toBe('1:x')
    expect(h.executed[0]!.certificate.commits).toHaveLength(3)
  })

  it('executes in sequence order even when sequence 2 commits first (pipelining)', () => {
    const h = new Harness(1)
    const pp1 = h.prePrepare(0, 1, [h.request('a', 1)])
    const pp2 = h.prePrepare(0, 2, [h.request('b', 2)])
    h.commitBatch(pp2, [0, 2, 3])
    expect(h.replica.lastExecuted).toBe(0)
    h.commitBatch(pp1, [0, 2, 3])
    expect(h.replica.lastExecuted).toBe(2)
    expect(h.app.entries.map((e) => e.split(':')[1])).toEqual(['a', 'b'])
  })

  it('counts a duplicate vote once', () => {
    const h = new Harness(1)
    const pp = h.prePrepare(0, 1, [h.request('x', 1)])
    h.deliver(0, pp)
    h.deliver(2, h.prepare(2, pp))
    const commit = h.commit(2, pp)
    h.deliver(2, commit)
    h.deliver(2, commit)
    h.deliver(2, h.commit(2, pp))
    expect(h.rejects('duplicate vote').length).toBeGreaterThanOrEqual(2)
    expect(h.replica.lastExecuted).toBe(0)
    h.deliver(3, h.commit(3, pp))
    expect(h.replica.lastExecuted).toBe(1)
  })

  it('does not count votes for a different digest', () => {
    const h = new Harness(1)
    const pp = h.prePrepare(0, 1, [h.request('x', 1)])
    const other = h.prePrepare(0, 1, [h.request('y', 2)])
    h.deliver(0, pp)
    h.deliver(2, h.prepare(2, pp))
    h.deliver(0, h.commit(0, other))
    h.deliver(2, h.commit(2, other))
    expect(h.replica.lastExecuted).toBe(0)
  })

  it('rejects a forged signature, a spoofed sender and a non-member', () => {
    const h = new Harness(1, { crypto: 'ed25519' })
    const pp = h.prePrepare(0, 1, [h.request('x', 1)])
    h.deliver(0, { ...pp, signature: flip(pp.signature) })
    expect(h.rejects('bad signature')).toHaveLength(1)
    expect(h.sentOfKind('prepare')).toHaveLength(0)
    h.deliver(0, pp)
    // replica 3's prepare arriving from replica 2's connection: spoofed sender
    h.deliver(2, h.prepare(3, pp))
    expect(h.rejects('is not replica 3')).toHaveLength(1)
    // replica 2 signing a message that claims to be replica 3
    const claimed: Prepare = { ...h.prepare(2, pp), replica: 3 }
    h.deliver(3, claimed)
    expect(h.rejects('bad signature')).toHaveLength(2)
    // a non-member index and a non-member connection
    h.deliver('mallory', { ...h.prepare(2, pp), replica: 9 })
    expect(h.rejects('unknown replica index 9')).toHaveLength(1)
    h.deliver('mallory', h.prepare(2, pp))
    expect(h.rejects('is not replica 2')).toHaveLength(1)
    // a non-member key signing as replica 2
    const mallory = makeIdentity('mallory', 'ed25519')
    const honest = h.prepare(2, pp)
    const { signature: _dropped, ...unsigned } = honest
    const forged: Prepare = { ...honest, signature: mallory.crypto.sign(signingBytes(unsigned)) }
    h.deliver(2, forged)
    expect(h.rejects('bad signature')).toHaveLength(3)
    expect(h.replica.lastExecuted).toBe(0)
    expect(h.sentOfKind('commit')).toHaveLength(0)
  })

  it('rejects a pre-prepare from a backup, for another view, or outside the watermarks', () => {
    const h = new Harness(1)
    const request = h.request('x', 1)
    const fromBackup = { ...h.prePrepare(0, 1, [request]), replica: 2 }
    h.deliver(2, h.sign(2, { ...fromBackup }))
    expect(h.rejects('not from the primary')).toHaveLength(1)
    h.deliver(1, h.prePrepare(1, 1, [request])) // claims to come from this replica itself
    expect(h.rejects('claims to be from this replica')).toHaveLength(1)
    h.deliver(0, h.prePrepare(4, 1, [request]))
    expect(h.rejects('for view 4')).toHaveLength(1)
    h.deliver(0, h.prePrepare(0, 9, [request])) // window = 2K = 8
    expect(h.rejects('outside the watermarks')).toHaveLength(1)
    expect(h.sentOfKind('prepare')).toHaveLength(0)
  })

  it('rejects a pre-prepare whose digest does not match its batch (wrong digest)', () => {
    const h = new Harness(1)
    const pp = h.prePrepare(0, 1, [h.request('x', 1)])
    const wrong = h.sign(0, { ...pp, digest: flip(pp.digest) })
    h.deliver(0, wrong)
    expect(h.rejects('digest does not match')).toHaveLength(1)
    expect(h.sentOfKind('prepare')).toHaveLength(0)
  })

  it('starts a view change when the primary signs a batch with a bad client signature', () => {
    const h = new Harness(1)
    const bad = { ...h.request('x', 1) }
    const pp = h.prePrepare(0, 1, [{ ...bad, signature: flip(bad.signature) }])
    h.deliver(0, pp)
    expect(h.rejects('bad client signature')).toHaveLength(1)
    expect(h.replica.status).toBe('view-change')
    expect(h.replica.view).toBe(1)
    expect(h.sentOfKind('view-change')).toHaveLength(3)
  })

  it('re-checks a known request whose content the primary altered (signature reused)', () => {
    const h = new Harness(1)
    const request = h.request('pay 1', 1)
    h.deliver(h.client.id, request) // verified and pending at the backup
    const altered = { ...request, operation: new TextEncoder().encode('pay 1000') }
    h.deliver(0, h.prePrepare(0, 1, [altered]))
    expect(h.rejects('bad client signature')).toHaveLength(1)
    expect(h.replica.status).toBe('view-change')
  })

  it('detects an equivocating primary from two pre-prepares, and from a prepare carrying its other signature', () => {
    const direct = new Harness(1)
    direct.deliver(0, direct.prePrepare(0, 1, [direct.request('x', 1)]))
    direct.deliver(0, direct.prePrepare(0, 1, [direct.request('y', 2)]))
    expect(direct.events.filter((e) => e.type === 'equivocation-detect')).toHaveLength(1)
    expect(direct.replica.status).toBe('view-change')

    const relayed = new Harness(1)
    const mine = relayed.prePrepare(0, 1, [relayed.request('x', 1)])
    const theirs = relayed.prePrepare(0, 1, [relayed.request('y', 2)])
    relayed.deliver(0, mine)
    // a prepare with a different digest but no valid primary signature proves nothing
    relayed.deliver(3, { ...relayed.prepare(3, theirs), prePrepareSignature: new Uint8Array(32) })
    expect(relayed.replica.status).toBe('normal')
    relayed.deliver(2, relayed.prepare(2, theirs))
    expect(relayed.events.filter((e) => e.type === 'equivocation-detect')).toHaveLength(1)
    expect(relayed.replica.view).toBe(1)
  })

  it('ignores replayed messages from an old view', () => {
    const h = new Harness(2)
    const old = h.prePrepare(0, 1, [h.request('x', 1)])
    h.deliver(0, old)
    h.tick(200) // primary silent: request timeout → view change to 1
    expect(h.replica.view).toBeGreaterThanOrEqual(1)
    const before = h.rejects().length
    h.deliver(0, old)
    h.deliver(3, h.prepare(3, old))
    h.deliver(3, h.commit(3, old) as Commit)
    expect(h.rejects('for view 0')).toHaveLength(3)
    expect(h.rejects().length).toBe(before + 3)
    expect(h.replica.lastExecuted).toBe(0)
  })

  it('deduplicates client requests by (client, timestamp) and resends the cached reply', () => {
    const h = new Harness(1)
    const request = h.request('x', 1)
    h.commitBatch(h.prePrepare(0, 1, [request]), [0, 2, 3])
    const repliesBefore = h.sentOfKind('reply').length
    h.deliver(h.client.id, request) // retransmission
    expect(h.sentOfKind('reply').length).toBe(repliesBefore + 1)
    // the same request ordered again at sequence 2 is not executed twice
    h.commitBatch(h.prePrepare(0, 2, [request, h.request('y', 2)]), [0, 2, 3])
    expect(h.app.entries.map((e) => e.split(':')[1])).toEqual(['x', 'y'])
    // an older timestamp is ignored
    h.deliver(h.client.id, makeRequest(h.client, 'old', 1))
    expect(h.app.entries).toHaveLength(2)
  })

  it('answers a read-only request at once without ordering it', () => {
    const h = new Harness(1)
    h.deliver(h.client.id, makeRequest(h.client, 'q', 5, true))
    const replies = h.sentOfKind('reply')
    expect(replies).toHaveLength(1)
    expect(replies[0]!.readOnly).toBe(true)
    expect(new TextDecoder().decode(replies[0]!.result)).toBe('count=0')
    expect(h.sentOfKind('request')).toHaveLength(0)
  })

  it('rejects requests from clients outside a registry', () => {
    const outsider = makeIdentity('outsider', 'fast')
    const h = new Harness(1, {
      replicaOptions: { clients: { kind: 'registry', clients: new Map([['alice', new Uint8Array(32)]]) } },
    })
    h.deliver('outsider', makeRequest({ ...outsider, id: 'outsider' }, 'x', 1))
    expect(h.rejects('unknown client "outsider"')).toHaveLength(1)
    h.deliver('alice', makeRequest({ ...outsider, id: 'alice' }, 'x', 1))
    expect(h.rejects('wrong public key for client "alice"')).toHaveLength(1)
    // any-key policy: the id must be the hex of the key
    const anyKey = new Harness(1)
    anyKey.deliver('x', makeRequest({ ...outsider, id: 'not-hex' }, 'x', 1))
    expect(anyKey.rejects('client id is not the hex of its public key')).toHaveLength(1)
  })
})
