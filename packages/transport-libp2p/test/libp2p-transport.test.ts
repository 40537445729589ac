import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { peerIdFromString } from '@libp2p/peer-id'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import {
  DecodeError,
  FrameTooLargeError,
  jsonCodec,
  TruncatedFrameError,
  UnknownPeerError,
} from '@synod/transport'
import { createLibp2p } from 'libp2p'
import { afterEach, describe, expect, it } from 'vitest'
import {
  createLibp2pTransport,
  DEFAULT_PROTOCOL,
  type Libp2pCluster,
  type Libp2pTransport,
  peerIdFromSeed,
  startLibp2pCluster,
} from '../src/index.js'
import { events, inbox, seed, sleep, until } from './helpers.js'

interface Note {
  seq: number
  text: string
}
const codec = jsonCodec<Note>({
  validate(value) {
    const v = value as Partial<Note> | null
    if (typeof v !== 'object' || v === null || !Number.isSafeInteger(v.seq) || typeof v.text !== 'string')
      throw new Error('not a note')
    return { seq: v.seq as number, text: v.text }
  },
})
const note = (seq: number, text = `n${seq}`): Note => ({ seq, text })

const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()))
})

async function cluster(ids: string[], options: Partial<Parameters<typeof startLibp2pCluster<Note>>[1]> = {}) {
  const started: Libp2pCluster<Note> = await startLibp2pCluster(ids, { codec, ...options })
  cleanups.push(() => started.close())
  return started
}

function frame(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + payload.length)
  new DataView(out.buffer).setUint32(0, payload.length)
  out.set(payload, 4)
  return out
}

async function writeRaw(from: Libp2pTransport<unknown>, to: Libp2pTransport<unknown>, bytes: Uint8Array) {
  const stream = await from.libp2p.dialProtocol(peerIdFromString(to.peerId), from.protocol)
  if (!stream.send(bytes)) await stream.onDrain()
  await stream.close().catch(() => undefined)
}

describe('entry point', () => {
  it('provides Promise.withResolvers, which libp2p 3 needs and Node 20 lacks', async () => {
    const withResolvers = (Promise as unknown as { withResolvers: <T>() => PromiseWithResolversLike<T> })
      .withResolvers
    expect(typeof withResolvers).toBe('function')
    const { promise, resolve } = withResolvers.call(Promise)
    resolve(42)
    expect(await promise).toBe(42)
  })
})

interface PromiseWithResolversLike<T> {
  promise: Promise<T>
  resolve: (value: T) => void
  reject: (reason?: unknown) => void
}

describe('identity', () => {
  it('derives the same peer id from a seed as the running node reports', async () => {
    const expected = await peerIdFromSeed(seed(3))
    expect(expected).toMatch(/^12D3KooW/)
    expect(await peerIdFromSeed(seed(3))).toBe(expected)
    expect(await peerIdFromSeed(seed(4))).not.toBe(expected)
    const transport = await createLibp2pTransport({
      localId: 'a',
      privateKey: seed(3),
      members: [{ id: 'a', peerId: expected, addrs: [] }],
      codec,
    })
    cleanups.push(() => transport.close())
    expect(transport.peerId).toBe(expected)
    expect(transport.multiaddrs.length).toBeGreaterThan(0)
    for (const address of transport.multiaddrs)
      expect(address).toMatch(new RegExp(`^/ip4/127.0.0.1/tcp/\\d+/p2p/${expected}$`))
  })
})

describe('Libp2pTransport', () => {
  it('refuses to set the addresses of a peer outside the membership', async () => {
    const [a] = (await cluster(['a', 'b'])).transports as [Libp2pTransport<Note>]
    await expect(a.setPeerAddresses('z', [])).rejects.toThrow(UnknownPeerError)
    await expect(a.setPeerAddresses('z', [])).rejects.toThrow('peer "z" is not a member')
  })
})

describe('trust boundary', () => {
  it('refuses undecodable, oversized and truncated frames with typed errors, and keeps working', async () => {
    const [a, b] = (await cluster(['a', 'b'], { maxFrameBytes: 1024 })).transports as [
      Libp2pTransport<Note>,
      Libp2pTransport<Note>,
    ]
    const received = inbox(b)
    const seen = events(b as Libp2pTransport<unknown>)
    const refusals = () => seen.flatMap((e) => (e.type === 'frame-refused' ? [e] : []))

    // a good frame, then a well-framed payload that is not a note, then another good frame: one stream
    const good = (seq: number) => frame(codec.encode(note(seq)))
    const bad = frame(new TextEncoder().encode('{"seq":"NaN"}'))
    await writeRaw(
      a as Libp2pTransport<unknown>,
      b as Libp2pTransport<unknown>,
      new Uint8Array([...good(1), ...bad, ...good(2)]),
    )
    await until(() => received.length === 2 && refusals().length === 1, 'two notes and one refusal')
    expect(received.map((r) => r.message.seq)).toEqual([1, 2])
    expect(received.every((r) => r.from === 'a')).toBe(true)
    expect(refusals()[0]?.error).toBeInstanceOf(DecodeError)
    expect(refusals()[0]).toMatchObject({ from: 'a', peerId: a.peerId })

    // a header announcing 1025 bytes: refused before buffering, and the stream is closed
    const oversized = new Uint8Array(8)
    new DataView(oversized.buffer).setUint32(0, 1025)
    const stream = await a.libp2p.dialProtocol(peerIdFromString(b.peerId), a.protocol)
    stream.send(good(3))
    await until(() => received.length === 3, 'a good frame on the new stream')
    stream.send(new Uint8Array([...oversized, ...good(4)]))
    await until(() => refusals().length === 2, 'the oversized refusal')
    expect(refusals()[1]?.error).toBeInstanceOf(FrameTooLargeError)
    expect(refusals()[1]?.error.message).toBe('frame of 1025 bytes exceeds the limit of 1024 bytes')
    await until(() => stream.status !== 'open', 'the receiver to close the stream')
    await sleep(50)
    expect(received.map((r) => r.message.seq)).toEqual([1, 2, 3])

    // a stream that ends inside a frame
    await writeRaw(a as Libp2pTransport<unknown>, b as Libp2pTransport<unknown>, good(5).subarray(0, 7))
    await until(() => refusals().length === 3, 'the truncation refusal')
    expect(refusals()[2]?.error).toBeInstanceOf(TruncatedFrameError)

    expect(b.stats().framesRefused).toBe(3)
    a.send('b', note(6, 'after the garbage'))
    await until(() => received.length === 4, 'a good message')
    expect(received[3]).toEqual({ from: 'a', message: note(6, 'after the garbage') })
  })

  it('refuses a real outsider node: it cannot connect, and nothing is delivered', async () => {
    const [a] = (await cluster(['a', 'b'])).transports as [Libp2pTransport<Note>]
    const received = inbox(a)
    const seen = events(a as Libp2pTransport<unknown>)

    // a plain libp2p node with the same stack and protocol, not in the membership
    const outsider = await createLibp2p({
      addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
    })
    cleanups.push(async () => outsider.stop())
    const target = multiaddr(a.multiaddrs[0] as string)
    const attempt = outsider.dialProtocol(target, DEFAULT_PROTOCOL).then((stream) => {
      stream.send(frame(codec.encode(note(666, 'let me in'))))
      return stream
    })
    await expect(attempt).rejects.toThrow()
    await until(() => a.stats().peersRefused >= 1, 'the refusal')
    const refusal = seen.find((e) => e.type === 'peer-refused')
    expect(refusal).toMatchObject({
      type: 'peer-refused',
      peerId: outsider.peerId.toString(),
      direction: 'inbound',
    })
    expect(refusal?.type === 'peer-refused' && refusal.error.message).toBe(
      `peer "${outsider.peerId.toString()}" is not a member`,
    )

    // outbound too: a refuses to dial the outsider, by peer id or by a bare address
    const outsiderAddress = outsider.getMultiaddrs()[0]?.toString() as string
    await a.libp2p.peerStore.patch(outsider.peerId, { multiaddrs: [multiaddr(outsiderAddress)] })
    await expect(a.libp2p.dial(outsider.peerId)).rejects.toThrow()
    const bare = outsiderAddress.replace(/\/p2p\/.*$/, '')
    await expect(a.libp2p.dial(multiaddr(bare))).rejects.toThrow()
    const outbound = seen.filter((e) => e.type === 'peer-refused' && e.direction === 'outbound')
    expect(outbound.length).toBeGreaterThanOrEqual(2)
    expect(outbound.every((e) => e.type === 'peer-refused' && e.peerId === outsider.peerId.toString())).toBe(
      true,
    )
    expect(a.libp2p.getConnections(outsider.peerId)).toEqual([])

    // an outsider that runs this transport and lists a as its peer fares no better
    const impostor = await createLibp2pTransport({
      localId: 'x',
      privateKey: seed(99),
      members: [
        { id: 'a', peerId: a.peerId, addrs: a.multiaddrs },
        { id: 'x', peerId: await peerIdFromSeed(seed(99)), addrs: [] },
      ],
      codec,
      reconnect: { initialDelayMs: 10, maxDelayMs: 20 },
    })
    cleanups.push(() => impostor.close())
    impostor.send('a', note(667, 'let me in'))
    await until(() => impostor.stats().dialsFailed >= 2, 'the impostor to fail twice')
    await sleep(100)
    expect(received).toEqual([])
    expect(a.stats().messagesDelivered).toBe(0)
    expect(seen.filter((e) => e.type === 'peer-refused').length).toBeGreaterThanOrEqual(3)
  })
})

describe('reconnect', () => {
  it('reconnects after a peer restarts on the same key and port, keeping what was queued', async () => {
    const started = await cluster(['a', 'b'], { reconnect: { initialDelayMs: 20, maxDelayMs: 200 } })
    const [a, b] = started.transports as [Libp2pTransport<Note>, Libp2pTransport<Note>]
    const seen = events(a as Libp2pTransport<unknown>)
    const before = inbox(b)
    a.send('b', note(1, 'before'))
    await until(() => before.length === 1, 'the first message')

    const address = b.multiaddrs[0] as string
    const port = /\/tcp\/(\d+)\//.exec(address)?.[1]
    expect(Number(port)).toBeGreaterThan(0)
    await b.close()
    await until(() => seen.some((e) => e.type === 'link-closed'), 'a to see the link drop')
    // sent while b is down: queued, kept across the failed dials
    for (let i = 2; i <= 4; i++) a.send('b', note(i, 'while down'))
    await until(() => a.stats().dialsFailed >= 1, 'a failed dial')
    expect(a.stats().queuedMessages).toBe(3)

    const restarted = await createLibp2pTransport({
      localId: 'b',
      privateKey: started.seeds[1] as Uint8Array,
      listen: [`/ip4/127.0.0.1/tcp/${port}`],
      members: started.members,
      codec,
    })
    cleanups.push(() => restarted.close())
    expect(restarted.peerId).toBe(b.peerId)
    const after = inbox(restarted)
    await until(() => after.length === 3, 'the queued messages after the restart')
    a.send('b', note(5, 'after'))
    await until(() => after.length === 4, 'a later message')
    expect(after.map((r) => r.message.seq)).toEqual([2, 3, 4, 5])
    expect(after.every((r) => r.from === 'a')).toBe(true)
    expect(a.stats().linksOpened).toBe(2)
    const dialFailure = seen.find((e) => e.type === 'dial-failed')
    expect(dialFailure?.type === 'dial-failed' && dialFailure.retryInMs).toBeGreaterThanOrEqual(10)
    // and the restarted node can talk back over a fresh link
    const back = inbox(a)
    restarted.send('a', note(6, 'back'))
    await until(() => back.length === 1, 'the reply')
    expect(back[0]).toEqual({ from: 'b', message: note(6, 'back') })
  })
})

describe('link recovery', () => {
  it('reopens the stream after the receiver resets it, and the connection after a hang-up', async () => {
    const [a, b] = (await cluster(['a', 'b'], { reconnect: { initialDelayMs: 10, maxDelayMs: 50 } }))
      .transports as [Libp2pTransport<Note>, Libp2pTransport<Note>]
    const received = inbox(b)
    const seen = events(a as Libp2pTransport<unknown>)
    a.send('b', note(1))
    await until(() => received.length === 1, 'the first message')

    // b resets a's long-lived stream (what it does to a stream that sent an oversized frame)
    for (const connection of b.libp2p.getConnections()) {
      for (const stream of connection.streams) {
        if (stream.protocol === b.protocol) stream.abort(new Error('reset by the test'))
      }
    }
    await until(() => seen.filter((e) => e.type === 'link-closed').length === 1, 'a to see the reset')
    a.send('b', note(2))
    await until(() => received.length === 2, 'a message on a new stream')
    expect(a.stats().linksOpened).toBe(2)

    // b hangs up the whole connection
    await b.libp2p.hangUp(peerIdFromString(a.peerId))
    await until(() => seen.filter((e) => e.type === 'link-closed').length === 2, 'a to see the hang-up')
    a.send('b', note(3))
    await until(() => received.length === 3, 'a message on a new connection')
    expect(received.map((r) => r.message.seq)).toEqual([1, 2, 3])
    expect(a.stats().linksOpened).toBe(3)
  })
})
