import { describe, expect, it } from 'vitest'
import { PbftConfigError, PbftReplica, type PbftReplicaOptions } from '../src/index.js'
import { makeIdentity } from './helpers.js'

const identities = [0, 1, 2, 3, 4].map((i) => makeIdentity(`r${i}`, 'fast'))
const base: PbftReplicaOptions = {
  id: 'r0',
  replicas: identities.slice(0, 4).map(({ id, publicKey }) => ({ id, publicKey })),
  crypto: identities[0]!.crypto,
  clients: { kind: 'any-key' },
}

describe('replica configuration', () => {
  it.each([
    [
      { replicas: base.replicas.slice(0, 3) },
      'invalid PBFT configuration: replicas: expected at least 4 replicas, got 3',
    ],
    [
      { replicas: [...base.replicas.slice(0, 3), base.replicas[0]!] },
      'replicas[3].id: duplicate replica id "r0"',
    ],
    [
      { replicas: [...base.replicas.slice(0, 3), { id: 'r9', publicKey: base.replicas[0]!.publicKey }] },
      'replicas[3].publicKey: duplicate public key',
    ],
    [
      { replicas: [...base.replicas.slice(0, 3), { id: '', publicKey: new Uint8Array(1) }] },
      'replicas[3].id: expected a non-empty string',
    ],
    [{ id: 'r7' }, 'id: "r7" is not one of the replicas'],
    [{ checkpointInterval: 0 }, 'checkpointInterval: expected a positive integer, got 0'],
    [
      { checkpointInterval: 4, watermarkWindow: 6 },
      'watermarkWindow: expected a multiple of checkpointInterval (4) of at least 8, got 6',
    ],
    [{ maxInFlightBatches: 100 }, 'maxInFlightBatches: expected at most watermarkWindow (32), got 100'],
    [
      { clients: { kind: 'nobody' } as never },
      "clients: expected { kind: 'registry', clients } or { kind: 'any-key' }",
    ],
    [
      { maxViewChangeBackoffExponent: 31 },
      'maxViewChangeBackoffExponent: expected an integer in [0, 30], got 31',
    ],
  ] as [Partial<PbftReplicaOptions>, string][])('rejects %o', (override, message) => {
    expect(() => new PbftReplica({ ...base, ...override })).toThrow(PbftConfigError)
    expect(() => new PbftReplica({ ...base, ...override })).toThrow(message)
  })

  it('accepts any n ≥ 4 and derives f', () => {
    for (const n of [4, 5, 6, 7, 10]) {
      const replicas = Array.from({ length: n }, (_, i) => makeIdentity(`m${i}`, 'fast'))
      const replica = new PbftReplica({
        ...base,
        id: 'm0',
        replicas: replicas.map(({ id, publicKey }) => ({ id, publicKey })),
        crypto: replicas[0]!.crypto,
      })
      expect(replica.membership.f).toBe(Math.floor((n - 1) / 3))
      expect(replica.membership.quorum).toBe(2 * Math.floor((n - 1) / 3) + 1)
    }
  })
})
