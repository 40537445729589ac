import { generateKeyPair } from '@libp2p/crypto/keys'
import { jsonCodec } from '@synod/transport'
import { linkOptionsCompliance } from '@synod/transport/compliance'
import { describe, expect, it } from 'vitest'
import {
  assertEd25519PeerId,
  createLibp2pTransport,
  type Libp2pTransportOptions,
  peerIdFromSeed,
  startLibp2pCluster,
  toEd25519PrivateKey,
} from '../src/index.js'
import { seed } from './helpers.js'

const codec = jsonCodec<string>()
const peerA = await peerIdFromSeed(seed(1))
const peerB = await peerIdFromSeed(seed(2))
const base: Libp2pTransportOptions<string> = {
  localId: 'a',
  privateKey: seed(1),
  members: [
    { id: 'a', peerId: peerA, addrs: [] },
    { id: 'b', peerId: peerB, addrs: ['/ip4/127.0.0.1/tcp/1'] },
  ],
  codec,
}

// every bad option, the error class and the exact message
const cases: Array<
  [string, Partial<Record<keyof Libp2pTransportOptions<string>, unknown>>, ErrorConstructor, string]
> = [
  ['no localId', { localId: undefined }, TypeError, 'localId: expected a node id string, got undefined'],
  ['empty localId', { localId: '' }, RangeError, 'localId: expected a non-empty node id, got ""'],
  [
    'no codec',
    { codec: undefined },
    TypeError,
    'codec: expected an object with encode and decode functions, got undefined',
  ],
  [
    'a codec without decode',
    { codec: { encode: () => new Uint8Array() } },
    TypeError,
    'codec: expected an object with encode and decode functions, got object',
  ],
  [
    'listen not an array',
    { listen: '/ip4/127.0.0.1/tcp/0' },
    TypeError,
    'listen: expected an array of multiaddr strings, got string',
  ],
  [
    'a bad listen address',
    { listen: ['localhost:80'] },
    RangeError,
    'listen[0]: not a valid multiaddr: "localhost:80"',
  ],
  ['members not an array', { members: {} }, TypeError, 'members: expected an array of members, got object'],
  [
    'too many members',
    { members: Array.from({ length: 1025 }, () => null) },
    RangeError,
    'members: expected at most 1024 members, got 1025',
  ],
  [
    'a member that is not an object',
    { members: [null] },
    TypeError,
    'members[0]: expected an object with id, peerId and addrs, got null',
  ],
  [
    'a member without id',
    { members: [{ peerId: peerA, addrs: [] }] },
    TypeError,
    'members[0].id: expected a node id string, got undefined',
  ],
  [
    'a member with a numeric peer id',
    { members: [{ id: 'a', peerId: 7, addrs: [] }] },
    TypeError,
    'members[0].peerId: expected a peer id string, got number',
  ],
  [
    'a member with a bad peer id',
    { members: [{ id: 'a', peerId: 'hello', addrs: [] }] },
    RangeError,
    'members[0].peerId: not a valid peer id: "hello"',
  ],
  [
    'a member with a bad address',
    { members: [{ id: 'a', peerId: peerA, addrs: ['/ip4/300.0.0.1/tcp/1'] }] },
    RangeError,
    'members[0].addrs[0]: not a valid multiaddr: "/ip4/300.0.0.1/tcp/1"',
  ],
  [
    'a duplicate id',
    {
      members: [
        { id: 'a', peerId: peerA, addrs: [] },
        { id: 'a', peerId: peerB, addrs: [] },
      ],
    },
    RangeError,
    'members[1].id: duplicate node id "a"',
  ],
  [
    'a duplicate peer id',
    {
      members: [
        { id: 'b', peerId: peerB, addrs: [] },
        { id: 'c', peerId: peerB, addrs: [] },
      ],
    },
    RangeError,
    `members[1].peerId: duplicate peer id "${peerB}"`,
  ],
  [
    'a protocol without a slash',
    { protocol: 'synod' },
    RangeError,
    'protocol: expected a string starting with "/", got "synod"',
  ],
  [
    'a short seed',
    { privateKey: new Uint8Array(31) },
    RangeError,
    'privateKey: expected Uint8Array of length 32, got length=31',
  ],
  [
    'a string key',
    { privateKey: 'secret' },
    TypeError,
    'privateKey: expected a 32-byte Ed25519 seed (Uint8Array) or a libp2p PrivateKey, got string',
  ],
  [
    'a local entry with another peer id',
    { members: [{ id: 'a', peerId: peerB, addrs: [] }] },
    RangeError,
    `members[0].peerId: expected this node's peer id "${peerA}" for localId "a", got "${peerB}"`,
  ],
  [
    'own peer id under another id',
    { members: [{ id: 'z', peerId: peerA, addrs: [] }] },
    RangeError,
    `members[0].id: peer id "${peerA}" is this node's, expected id "a", got "z"`,
  ],
]

linkOptionsCompliance('createLibp2pTransport', (bad) => createLibp2pTransport({ ...base, ...bad }))

describe('createLibp2pTransport options', () => {
  it.each(cases)('refuses %s', async (_, override, errorClass, message) => {
    const attempt = createLibp2pTransport({ ...base, ...override } as Libp2pTransportOptions<string>)
    await expect(attempt).rejects.toThrow(errorClass)
    await expect(
      createLibp2pTransport({ ...base, ...override } as Libp2pTransportOptions<string>),
    ).rejects.toThrow(message)
  })

  it('refuses a key that is not Ed25519', async () => {
    const secp = await generateKeyPair('secp256k1')
    await expect(createLibp2pTransport({ ...base, privateKey: secp })).rejects.toThrow(
      'privateKey: expected an Ed25519 key, got secp256k1',
    )
  })

  it('accepts a libp2p Ed25519 PrivateKey as well as a seed', async () => {
    const key = await toEd25519PrivateKey('key', seed(1))
    const transport = await createLibp2pTransport({ ...base, privateKey: key })
    expect(transport.peerId).toBe(peerA)
    expect(transport.memberIds).toEqual(['a', 'b'])
    await transport.close()
  })

  it('refuses bad arguments to send, onMessage, onEvent and setPeerAddresses', async () => {
    const transport = await createLibp2pTransport(base)
    try {
      expect(() => transport.send('', 'x')).toThrow('to: expected a non-empty node id, got ""')
      expect(() => transport.onMessage(1 as never)).toThrow('handler: expected a function, got number')
      expect(() => transport.onEvent(null as never)).toThrow('handler: expected a function, got object')
      await expect(transport.setPeerAddresses('b', ['nope'])).rejects.toThrow(
        'addrs[0]: not a valid multiaddr: "nope"',
      )
      await expect(transport.setPeerAddresses('b', 'nope' as never)).rejects.toThrow(
        'addrs: expected an array of multiaddr strings, got string',
      )
    } finally {
      await transport.close()
    }
    await expect(transport.setPeerAddresses('b', [])).rejects.toThrow('transport "a" is closed')
  })

  it('refuses a peer id of another key type, and seeds that do not match the ids', async () => {
    const secp = await generateKeyPair('secp256k1')
    const { peerIdFromPrivateKey } = await import('@libp2p/peer-id')
    expect(() => assertEd25519PeerId('peerId', peerIdFromPrivateKey(secp).toString())).toThrow(
      'peerId: expected an Ed25519 peer id, got secp256k1',
    )
    await expect(startLibp2pCluster(['a', 'b'], { codec, seeds: [seed(1)] })).rejects.toThrow(
      'seeds: expected one seed per id (2), got 1',
    )
    await expect(peerIdFromSeed(new Uint8Array(3))).rejects.toThrow(
      'seed: expected Uint8Array of length 32, got length=3',
    )
  })
})
