import { createServer, type Socket } from 'node:net'
import { jsonCodec } from '@synod/transport'
import { afterEach, describe, expect, it } from 'vitest'
import {
  dialHandshake,
  encodeHello,
  encodeProof,
  HANDSHAKE_MAGIC,
  type Hello,
  MAX_HANDSHAKE_BYTES,
  newNonce,
} from '../src/handshake.js'
import {
  createTcpTransport,
  HandshakeRefusedError,
  type TcpTransport,
  type TcpTransportEvent,
  type TcpTransportOptions,
} from '../src/index.js'
import { SocketReader } from '../src/socket-reader.js'
import { closed, closeRawSockets, events, frame, inbox, rawSocket, refusals, until } from './helpers.js'

const codec = jsonCodec<string>()
const secret = new Uint8Array(32).fill(7)
const otherSecret = new Uint8Array(32).fill(8)

const cleanups: Array<() => unknown> = []
afterEach(async () => {
  closeRawSockets()
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()))
})

async function node(localId: string, options: Partial<TcpTransportOptions<string>> = {}) {
  const transport = await createTcpTransport<string>({
    localId,
    members: [{ id: 'a' }, { id: 'b' }, { id: 'c' }],
    codec,
    clusterId: 'test',
    reconnect: { initialDelayMs: 20, maxDelayMs: 100 },
    ...options,
  })
  cleanups.push(() => transport.close())
  return transport
}

const hello = (override: Partial<Hello> = {}): Hello => ({
  authenticated: false,
  nonce: newNonce(),
  clusterId: 'test',
  from: 'a',
  to: 'b',
  ...override,
})

/** Writes `bytes` on a fresh raw socket to `to`; resolves with the refusal `to` reports, once it closed the socket. */
async function refusalOf(to: TcpTransport<string>, bytes: Uint8Array, end = false) {
  const seen = events(to)
  const received = inbox(to)
  const socket = await rawSocket(to as TcpTransport<unknown>)
  socket.write(bytes)
  if (end) socket.end()
  await until(() => refusals(seen).length === 1, 'the refusal')
  await closed(socket)
  expect(received).toEqual([])
  const refusal = refusals(seen)[0] as Extract<TcpTransportEvent, { type: 'peer-refused' }>
  expect(refusal.direction).toBe('inbound')
  expect(refusal.error).toBeInstanceOf(HandshakeRefusedError)
  expect(refusal.remoteAddress).toMatch(/^127\.0\.0\.1:\d+$/)
  return refusal
}

/** A preamble and body, for hand-made hellos. */
function rawHello(body: Uint8Array, version = 1): Uint8Array {
  const out = new Uint8Array(HANDSHAKE_MAGIC.length + 3 + body.length)
  out.set(HANDSHAKE_MAGIC)
  out[HANDSHAKE_MAGIC.length] = version
  new DataView(out.buffer).setUint16(HANDSHAKE_MAGIC.length + 1, body.length)
  out.set(body, HANDSHAKE_MAGIC.length + 3)
  return out
}

describe('the listener refuses a bad handshake, counts it, reports it and closes the connection', () => {
  const text = (s: string) => new TextEncoder().encode(s)
  const field = (bytes: Uint8Array) => Uint8Array.of(bytes.length, ...bytes)
  const body = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => [...p]))
  const nonce = new Uint8Array(32)

  const cases: Array<[string, () => Uint8Array, string, string | undefined]> = [
    [
      'bad-magic',
      () => text('GET / HTTP/1.1\r\nHost: b\r\n\r\n'),
      'does not start with "synod/tcp"',
      undefined,
    ],
    ['unsupported-version', () => encodeHello(hello(), 2), 'expected version 1, got 2', undefined],
    [
      'oversize',
      () => rawHello(new Uint8Array(0)).fill(0xff, HANDSHAKE_MAGIC.length + 1),
      'hello of 65535 bytes exceeds 512',
      undefined,
    ],
    [
      'malformed',
      () => rawHello(body(Uint8Array.of(0), nonce, field(text('test')))),
      'the hello ends early',
      undefined,
    ],
    [
      'malformed',
      () => rawHello(body(Uint8Array.of(4), nonce, field(text('test')), field(text('a')), field(text('b')))),
      'unknown flags 4',
      undefined,
    ],
    [
      'malformed',
      () =>
        rawHello(
          body(Uint8Array.of(0), nonce, field(text('test')), field(Uint8Array.of(0xff)), field(text('b'))),
        ),
      'dialer id is not valid UTF-8',
      undefined,
    ],
    [
      'malformed',
      () =>
        rawHello(
          body(
            Uint8Array.of(0),
            nonce,
            field(text('test')),
            field(text('a')),
            field(text('b')),
            Uint8Array.of(1),
          ),
        ),
      '1 bytes after the hello',
      undefined,
    ],
    [
      'wrong-cluster',
      () => encodeHello(hello({ clusterId: 'prod' })),
      'expected cluster "test", got "prod"',
      'a',
    ],
    ['unknown-peer', () => encodeHello(hello({ from: 'z' })), 'peer "z" is not a member', 'z'],
    ['unknown-peer', () => encodeHello(hello({ from: 'b' })), 'peer "b" is not a member', 'b'],
    ['wrong-target', () => encodeHello(hello({ to: 'c' })), 'this is "b", the dialer meant "c"', 'a'],
    ['auth-unexpected', () => encodeHello(hello({ authenticated: true })), 'this node has no secret', 'a'],
  ]

  it.each(cases)('%s (%s)', async (reason, bytes, detail, claimedId) => {
    const b = await node('b')
    const refusal = await refusalOf(b, bytes())
    expect(refusal.error.reason).toBe(reason)
    expect(refusal.error.message).toContain(detail)
    expect(refusal.error.message).toMatch(new RegExp(`^handshake refused \\(${reason}\\): `))
    expect(refusal.claimedId).toBe(claimedId)
    expect(b.stats().peersRefused).toBe(1)
    expect(b.stats().connectionsAccepted).toBe(0)
  })

  it('oversize is refused from the header, before the body is buffered', async () => {
    const b = await node('b')
    const refusal = await refusalOf(b, rawHello(new Uint8Array(MAX_HANDSHAKE_BYTES + 1)).subarray(0, 12))
    expect(refusal.error.reason).toBe('oversize')
  })

  it('incomplete: the connection ends inside the hello', async () => {
    const b = await node('b')
    const refusal = await refusalOf(b, encodeHello(hello()).subarray(0, 20), true)
    expect(refusal.error.reason).toBe('incomplete')
  })

  it('timeout: nothing, or half a hello, within handshakeTimeoutMs', async () => {
    const b = await node('b', { handshakeTimeoutMs: 150 })
    const silent = await refusalOf(b, new Uint8Array(0))
    expect(silent.error.reason).toBe('timeout')
    expect(silent.error.message).toContain('within 150 ms')
    const c = await node('c', { handshakeTimeoutMs: 150 })
    const half = await refusalOf(c, encodeHello(hello({ to: 'c' })).subarray(0, 30))
    expect(half.error.reason).toBe('timeout')
  })

  it('auth-required: a node with a secret refuses a hello without proof', async () => {
    const b = await node('b', { secret })
    const refusal = await refusalOf(b, encodeHello(hello()))
    expect(refusal.error.reason).toBe('auth-required')
    expect(refusal.claimedId).toBe('a')
  })

  it('bad-proof: a dialer that answers the challenge without the secret', async () => {
    const b = await node('b', { secret })
    const seen = events(b)
    const socket = await rawSocket(b as TcpTransport<unknown>)
    socket.write(encodeHello(hello({ authenticated: true })))
    await new Promise((resolve) => socket.once('data', resolve)) // the accept, with b's challenge
    socket.write(encodeProof(new Uint8Array(32).fill(1)))
    socket.write(frame(codec.encode('let me in')))
    await until(() => refusals(seen).length === 1, 'the refusal')
    await closed(socket)
    expect(refusals(seen)[0]?.error.reason).toBe('bad-proof')
    expect(b.stats()).toMatchObject({ peersRefused: 1, messagesDelivered: 0, connectionsAccepted: 0 })
  })

  it('bad-proof: a recorded handshake replayed on a new connection', async () => {
    const b = await node('b', { secret })
    const seen = events(b)
    const received = inbox(b)
    // a genuine dialer whose outgoing bytes are recorded
    const recorded: Uint8Array[] = []
    const genuine = await rawSocket(b as TcpTransport<unknown>)
    const reader = new SocketReader(genuine, 4096)
    await dialHandshake(reader, {
      localId: 'a',
      peer: 'b',
      clusterId: 'test',
      secret,
      write: (bytes) => {
        recorded.push(bytes)
        genuine.write(bytes)
      },
    })
    reader.detach()
    genuine.write(frame(codec.encode('genuine')))
    await until(() => received.length === 1, 'the genuine message')
    expect(received[0]).toEqual({ from: 'a', message: 'genuine' })
    expect(recorded).toHaveLength(2) // hello, proof

    // the replay gets a fresh challenge, which the recorded proof does not answer
    const replay = await rawSocket(b as TcpTransport<unknown>)
    replay.write(recorded[0] as Uint8Array)
    await new Promise((resolve) => replay.once('data', resolve))
    replay.write(recorded[1] as Uint8Array)
    replay.write(frame(codec.encode('replayed')))
    await until(() => refusals(seen).length === 1, 'the replay refusal')
    await closed(replay)
    expect(refusals(seen)[0]?.error.reason).toBe('bad-proof')
    expect(received.map((r) => r.message)).toEqual(['genuine'])
  })
})

describe('pre-shared secret', () => {
  it('members with the same secret talk both ways', async () => {
    const a = await node('a', { secret })
    const b = await node('b', { secret })
    a.setPeerAddress('b', b.address())
    b.setPeerAddress('a', a.address())
    const atA = inbox(a)
    const atB = inbox(b)
    a.send('b', 'to b')
    b.send('a', 'to a')
    await until(() => atA.length === 1 && atB.length === 1, 'both messages')
    expect(atB).toEqual([{ from: 'a', message: 'to b' }])
    expect(atA).toEqual([{ from: 'b', message: 'to a' }])
    expect(a.stats().peersRefused + b.stats().peersRefused).toBe(0)
  })

  for (const [what, secretA, secretB, reasonAtListener, reasonAtDialer] of [
    ['a wrong secret', secret, otherSecret, 'incomplete', 'bad-proof'],
    ['a secret against none', secret, undefined, 'auth-unexpected', undefined],
  ] as const) {
    it(`${what}: refused in both directions, nothing delivered`, async () => {
      const a = await node('a', secretA ? { secret: secretA } : {})
      const b = await node('b', secretB ? { secret: secretB } : {})
      a.setPeerAddress('b', b.address())
      b.setPeerAddress('a', a.address())
      const seenA = events(a)
      const seenB = events(b)
      const atA = inbox(a)
      const atB = inbox(b)
      a.send('b', 'a to b')
      b.send('a', 'b to a')
      const dialFailures = (seen: TcpTransportEvent[]) => seen.filter((e) => e.type === 'dial-failed').length
      await until(
        () => dialFailures(seenA) >= 2 && dialFailures(seenB) >= 2,
        'repeated dial failures both ways',
      )
      expect(atA).toEqual([])
      expect(atB).toEqual([])
      expect(a.stats().linksOpened + b.stats().linksOpened).toBe(0)
      expect(a.stats().connectionsAccepted + b.stats().connectionsAccepted).toBe(0)
      if (reasonAtDialer === 'bad-proof') {
        // each dialer catches the listener's proof; the listener sees the dialer hang up
        for (const seen of [seenA, seenB]) {
          const outbound = refusals(seen).filter((r) => r.direction === 'outbound')
          expect(outbound[0]?.error.reason).toBe('bad-proof')
          expect(refusals(seen).filter((r) => r.direction === 'inbound')[0]?.error.reason).toBe(
            reasonAtListener,
          )
        }
      } else {
        // b (no secret) refuses a's authenticated hello; a (secret) refuses b's plain one
        expect(refusals(seenB).find((r) => r.direction === 'inbound')?.error.reason).toBe('auth-unexpected')
        expect(refusals(seenA).find((r) => r.direction === 'inbound')?.error.reason).toBe('auth-required')
      }
    })
  }
})

describe('the dialer checks the listener', () => {
  async function fakeListener(onConnection: (socket: Socket) => void): Promise<number> {
    const sockets = new Set<Socket>()
    const server = createServer((socket) => {
      sockets.add(socket)
      socket.on('error', () => undefined)
      onConnection(socket)
    })
    cleanups.push(() => {
      server.close()
      for (const socket of sockets) socket.destroy()
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    return (server.address() as { port: number }).port
  }

  it('a node at the wrong address refuses as wrong-target; the dialer reports the dial as failed', async () => {
    const a = await node('a')
    const c = await node('c')
    a.setPeerAddress('b', c.address()) // a thinks b is where c listens
    const seenA = events(a)
    const seenC = events(c)
    a.send('b', 'for b')
    await until(() => refusals(seenC).length >= 1, "c's refusal")
    expect(refusals(seenC)[0]).toMatchObject({ claimedId: 'a', direction: 'inbound' })
    expect(refusals(seenC)[0]?.error.reason).toBe('wrong-target')
    await until(() => seenA.some((e) => e.type === 'dial-failed'), "a's dial failure")
    expect(inbox(c)).toEqual([])
  })

  it('refuses a listener whose accept is oversized or malformed, and times out a silent one', async () => {
    const a = await node('a', { handshakeTimeoutMs: 150 })
    const seen = events(a)
    const oversized = await fakeListener((socket) => socket.write(Uint8Array.of(0xff, 0xff)))
    a.setPeerAddress('b', { host: '127.0.0.1', port: oversized })
    a.send('b', 'x')
    await until(() => refusals(seen).length >= 1, 'the outbound refusal')
    expect(refusals(seen)[0]).toMatchObject({ direction: 'outbound', claimedId: 'b' })
    expect(refusals(seen)[0]?.error.reason).toBe('oversize')

    const malformed = await fakeListener((socket) => socket.write(Uint8Array.of(0, 3, 1, 0, 0)))
    a.setPeerAddress('c', { host: '127.0.0.1', port: malformed })
    a.send('c', 'x')
    await until(() => refusals(seen).length >= 2, 'the second outbound refusal')
    expect(refusals(seen)[1]?.error.reason).toBe('malformed')

    const silent = await fakeListener(() => undefined)
    a.setPeerAddress('b', { host: '127.0.0.1', port: silent })
    await until(
      () =>
        seen.some(
          (e) =>
            e.type === 'dial-failed' &&
            HandshakeRefusedError.isInstance(e.error) &&
            e.error.reason === 'timeout',
        ),
      'a handshake timeout',
    )
    expect(a.stats().linksOpened).toBe(0)
  })
})
