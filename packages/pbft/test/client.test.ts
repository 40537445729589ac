import { describe, expect, it } from 'vitest'
import { PbftClient, PbftClientBusyError, type Reply, signReplies } from '../src/index.js'
import { Cluster, makeIdentity } from './helpers.js'

function setup() {
  const replicas = [0, 1, 2, 3].map((i) => makeIdentity(`r${i}`, 'fast'))
  const identity = makeIdentity('client', 'fast')
  const client = new PbftClient({
    id: PbftClient.idForKey(identity.publicKey),
    publicKey: identity.publicKey,
    crypto: identity.crypto,
    replicas: replicas.map(({ id, publicKey }) => ({ id, publicKey })),
    retransmitTicks: 5,
  })
  // each reply is signed inside a batch of other clients' replies, at a position that varies
  const reply = (replica: number, timestamp: number, result: string, extra: Partial<Reply> = {}): Reply => {
    const entry = {
      client: client.id,
      timestamp,
      readOnly: extra.readOnly ?? false,
      result: new TextEncoder().encode(result),
    }
    const others = Array.from({ length: 2 + replica }, (_, i) => ({
      client: `other${i}`,
      timestamp: 1,
      readOnly: false,
      result: Uint8Array.of(i),
    }))
    others.splice(replica % others.length, 0, entry)
    const signed = signReplies(replicas[replica]!.crypto, 0, replica, others)
    return signed.find((candidate) => candidate.client === client.id)!
  }
  return { client, reply }
}

describe('PbftClient', () => {
  it('sends to the primary and accepts f+1 matching replies', () => {
    const { client, reply } = setup()
    const timestamp = client.request(new TextEncoder().encode('x'))
    expect(client.ready().messages.map((m) => m.to)).toEqual(['r0'])
    client.advance()
    client.step('r1', reply(1, timestamp, 'ok'))
    client.step('r2', reply(2, timestamp, 'different'))
    expect(client.ready().results).toEqual([])
    client.step('r3', reply(3, timestamp, 'ok'))
    expect(client.ready().results.map((r) => new TextDecoder().decode(r.result))).toEqual(['ok'])
    expect(client.outstanding).toBeUndefined()
  })

  it('ignores forged, spoofed, duplicate and stale replies', () => {
    const { client, reply } = setup()
    const timestamp = client.request(new TextEncoder().encode('x'))
    const forged = { ...reply(1, timestamp, 'ok'), signature: new Uint8Array(32) }
    client.step('r1', forged)
    client.step('r2', reply(1, timestamp, 'ok')) // r1's reply from r2's connection
    client.step('r3', reply(3, timestamp, 'ok'))
    client.step('r3', reply(3, timestamp, 'ok')) // duplicate
    client.step('r2', reply(2, timestamp - 1 + 100, 'ok')) // another timestamp
    expect(client.ready().results).toEqual([])
    expect(client.outstanding).toBe(timestamp)
  })

  it('retransmits to every replica on timeout and refuses a second outstanding request', () => {
    const { client } = setup()
    client.request(new TextEncoder().encode('x'))
    expect(() => client.request(new TextEncoder().encode('y'))).toThrow(PbftClientBusyError)
    expect(() => client.request(new TextEncoder().encode('y'))).toThrow(/already has request 1 outstanding/)
    client.advance()
    for (let i = 0; i < 5; i++) client.tick()
    expect(client.ready().messages.map((m) => m.to)).toEqual(['r0', 'r1', 'r2', 'r3'])
  })

  it('needs 2f+1 matching replies for a read-only request and falls back to an ordered one', () => {
    const { client, reply } = setup()
    const timestamp = client.request(new TextEncoder().encode('q'), { readOnly: true })
    expect(client.ready().messages).toHaveLength(4)
    client.advance()
    client.step('r0', reply(0, timestamp, 'v', { readOnly: true }))
    client.step('r1', reply(1, timestamp, 'v', { readOnly: true }))
    expect(client.ready().results).toEqual([])
    for (let i = 0; i < 5; i++) client.tick()
    const resent = client.ready().messages
    expect(resent.every((m) => m.message.kind === 'request' && m.message.readOnly === false)).toBe(true)
    client.advance()
    client.step('r2', reply(2, timestamp, 'v', { readOnly: true })) // too late: read-only replies no longer count
    client.step('r0', reply(0, timestamp, 'w'))
    client.step('r1', reply(1, timestamp, 'w'))
    expect(client.ready().results.map((r) => [new TextDecoder().decode(r.result), r.readOnly])).toEqual([
      ['w', false],
    ])
  })

  it('does a read-only request in one round trip against a live cluster', () => {
    const cluster = new Cluster({ clients: 1 })
    cluster.submit(0, 'write')
    cluster.runUntil(() => cluster.clients[0]!.outstanding === undefined, 100)
    const before = cluster.now
    cluster.submit(0, 'read', true)
    cluster.runUntil(() => cluster.clients[0]!.outstanding === undefined, 100)
    expect(cluster.now - before).toBeLessThanOrEqual(2)
    expect(cluster.results.get(cluster.clients[0]!.id)!.at(-1)!.result).toBe('count=1')
    expect(cluster.apps[0]!.entries).toHaveLength(1)
  })
})
