import { jsonCodec } from '@synod/transport'
import { linkOptionsCompliance } from '@synod/transport/compliance'
import { describe, expect, it } from 'vitest'
import { createTcpTransport, startTcpCluster, type TcpTransportOptions } from '../src/index.js'

const codec = jsonCodec<string>()
const base: TcpTransportOptions<string> = {
  localId: 'a',
  members: [{ id: 'a' }, { id: 'b', host: '127.0.0.1', port: 1 }],
  codec,
}
const longId = 'é'.repeat(65) // 65 characters, 130 UTF-8 bytes

// every bad option, the error class and the exact message
const cases: Array<
  [string, Partial<Record<keyof TcpTransportOptions<string>, unknown>>, ErrorConstructor, string]
> = [
  ['no localId', { localId: undefined }, TypeError, 'localId: expected a node id string, got undefined'],
  ['empty localId', { localId: '' }, RangeError, 'localId: expected a non-empty node id, got ""'],
  [
    'a localId too long for the handshake',
    { localId: longId },
    RangeError,
    'localId: expected at most 128 UTF-8 bytes, got 130',
  ],
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
    'listen not an object',
    { listen: 7001 },
    TypeError,
    'listen: expected an object with host and port, got number',
  ],
  [
    'an empty listen host',
    { listen: { host: '' } },
    RangeError,
    'listen.host: expected a host of 1 to 255 characters, got ""',
  ],
  [
    'a numeric listen host',
    { listen: { host: 127 } },
    TypeError,
    'listen.host: expected a host string, got number',
  ],
  [
    'a listen port out of range',
    { listen: { port: 65536 } },
    RangeError,
    'listen.port: expected an integer from 0 to 65535, got 65536',
  ],
  [
    'a fractional listen port',
    { listen: { port: 1.5 } },
    RangeError,
    'listen.port: expected an integer from 0 to 65535, got 1.5',
  ],
  [
    'a string listen port',
    { listen: { port: '80' } },
    TypeError,
    'listen.port: expected an integer from 0 to 65535, got string',
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
    'members[0]: expected an object with id, host and port, got null',
  ],
  [
    'a member without id',
    { members: [{ port: 1 }] },
    TypeError,
    'members[0].id: expected a node id string, got undefined',
  ],
  [
    'a member id too long',
    { members: [{ id: longId }] },
    RangeError,
    'members[0].id: expected at most 128 UTF-8 bytes, got 130',
  ],
  [
    'a member with port 0',
    { members: [{ id: 'b', port: 0 }] },
    RangeError,
    'members[0].port: expected an integer from 1 to 65535, got 0',
  ],
  [
    'a member with an empty host',
    { members: [{ id: 'b', host: '' }] },
    RangeError,
    'members[0].host: expected a host of 1 to 255 characters, got ""',
  ],
  [
    'a duplicate id',
    { members: [{ id: 'b' }, { id: 'b' }] },
    RangeError,
    'members[1].id: duplicate node id "b"',
  ],
  ['a numeric clusterId', { clusterId: 7 }, TypeError, 'clusterId: expected a string, got number'],
  [
    'an empty clusterId',
    { clusterId: '' },
    RangeError,
    'clusterId: expected 1 to 64 UTF-8 bytes, got 0 ("")',
  ],
  [
    'a clusterId too long',
    { clusterId: 'c'.repeat(65) },
    RangeError,
    `clusterId: expected 1 to 64 UTF-8 bytes, got 65 ("${'c'.repeat(65)}")`,
  ],
  [
    'a string secret',
    { secret: 'hunter2' },
    TypeError,
    'secret: expected Uint8Array of at least 16 bytes, got string',
  ],
  [
    'a short secret',
    { secret: new Uint8Array(15) },
    RangeError,
    'secret: expected Uint8Array of at least 16 bytes, got length=15',
  ],
  [
    'a zero handshakeTimeoutMs',
    { handshakeTimeoutMs: 0 },
    RangeError,
    'handshakeTimeoutMs: expected a positive integer, got 0',
  ],
]

linkOptionsCompliance('createTcpTransport', (bad) => createTcpTransport({ ...base, ...bad }))

describe('createTcpTransport options', () => {
  it.each(cases)('refuses %s', async (_, override, errorClass, message) => {
    const attempt = () => createTcpTransport({ ...base, ...override } as TcpTransportOptions<string>)
    await expect(attempt()).rejects.toThrow(errorClass)
    await expect(attempt()).rejects.toThrow(message)
  })

  it('refuses options that are not an object', async () => {
    await expect(createTcpTransport(null as never)).rejects.toThrow('options: expected an object, got null')
  })

  it('fills in the defaults: listens on 127.0.0.1 on a port the system picks', async () => {
    const transport = await createTcpTransport(base)
    try {
      expect(transport.address().host).toBe('127.0.0.1')
      expect(transport.address().port).toBeGreaterThan(0)
      expect(transport.clusterId).toBe('synod')
      expect(transport.memberIds).toEqual(['a', 'b'])
    } finally {
      await transport.close()
    }
  })

  it('reports a port in use when it cannot listen', async () => {
    const first = await createTcpTransport(base)
    try {
      await expect(
        createTcpTransport({ ...base, localId: 'b', listen: { port: first.address().port } }),
      ).rejects.toThrow(/EADDRINUSE/)
    } finally {
      await first.close()
    }
  })

  it('refuses bad arguments to send, onMessage, onEvent and setPeerAddress', async () => {
    const transport = await createTcpTransport(base)
    try {
      expect(() => transport.send('', 'x')).toThrow('to: expected a non-empty node id, got ""')
      expect(() => transport.send(longId, 'x')).toThrow('to: expected at most 128 UTF-8 bytes, got 130')
      expect(() => transport.onMessage(1 as never)).toThrow('handler: expected a function, got number')
      expect(() => transport.onEvent(null as never)).toThrow('handler: expected a function, got object')
      expect(() => transport.setPeerAddress('b', { host: '127.0.0.1', port: 0 })).toThrow(
        'address.port: expected an integer from 1 to 65535, got 0',
      )
      expect(() => transport.setPeerAddress('b', 'localhost:80' as never)).toThrow(
        'address: expected an object with host and port, got string',
      )
      expect(() => transport.setPeerAddress('z', { host: '127.0.0.1', port: 80 })).toThrow(
        'peer "z" is not a member',
      )
    } finally {
      await transport.close()
    }
    expect(() => transport.setPeerAddress('b', { host: '127.0.0.1', port: 80 })).toThrow(
      'transport "a" is closed',
    )
  })

  it('startTcpCluster refuses ids that are not an array', async () => {
    await expect(startTcpCluster('ab' as never, { codec })).rejects.toThrow(
      'ids: expected an array of node ids, got string',
    )
  })
})
