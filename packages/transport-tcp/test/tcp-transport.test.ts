import { connect } from 'node:net'
import {
  DecodeError,
  FrameTooLargeError,
  jsonCodec,
  TransportClosedError,
  TruncatedFrameError,
} from '@synod/transport'
import { afterEach, describe, expect, it } from 'vitest'
import {
  createTcpTransport,
  startTcpCluster,
  type TcpCluster,
  type TcpClusterOptions,
  type TcpTransport,
} from '../src/index.js'
import { closed, closeRawSockets, events, frame, handshakenSocket, inbox, until } from './helpers.js'

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
const good = (seq: number) => frame(codec.encode(note(seq)))

const cleanups: Array<() => unknown> = []
afterEach(async () => {
  closeRawSockets()
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()))
})

async function cluster(ids: string[], options: Partial<TcpClusterOptions<Note>> = {}) {
  const started: TcpCluster<Note> = await startTcpCluster(ids, { codec, ...options })
  cleanups.push(() => started.close())
  return started
}

async function pairOf(options: Partial<TcpClusterOptions<Note>> = {}) {
  return (await cluster(['a', 'b'], options)).transports as [TcpTransport<Note>, TcpTransport<Note>]
}

describe('TcpTransport', () => {
  it('refuses undecodable, oversized and truncated frames, closes that connection, and keeps serving', async () => {
    const [a, b] = await pairOf({ maxFrameBytes: 1024 })
    const received = inbox(b)
    const seen = events(b)
    const refusals = () => seen.flatMap((e) => (e.type === 'frame-refused' ? [e] : []))

    // good, bad, good on one connection: the bad frame closes it, the frame after it is not delivered
    const first = await handshakenSocket(b as TcpTransport<unknown>, 'a')
    first.write(new Uint8Array([...good(1), ...frame(new TextEncoder().encode('{"seq":')), ...good(2)]))
    await until(() => refusals().length === 1, 'the decode refusal')
    await closed(first)
    expect(received.map((r) => r.message.seq)).toEqual([1])
    expect(refusals()[0]?.error).toBeInstanceOf(DecodeError)
    expect(refusals()[0]?.from).toBe('a')

    // a header announcing 1025 bytes: refused before buffering, the connection closed
    const second = await handshakenSocket(b as TcpTransport<unknown>, 'a')
    second.write(good(3))
    await until(() => received.length === 2, 'a good frame on the new connection')
    const oversized = new Uint8Array(8)
    new DataView(oversized.buffer).setUint32(0, 1025)
    second.write(oversized)
    await until(() => refusals().length === 2, 'the oversized refusal')
    await closed(second)
    expect(refusals()[1]?.error).toBeInstanceOf(FrameTooLargeError)
    expect(refusals()[1]?.error.message).toBe('frame of 1025 bytes exceeds the limit of 1024 bytes')

    // a connection that ends inside a frame
    const third = await handshakenSocket(b as TcpTransport<unknown>, 'a')
    third.end(good(4).subarray(0, 7))
    await until(() => refusals().length === 3, 'the truncation refusal')
    expect(refusals()[2]?.error).toBeInstanceOf(TruncatedFrameError)

    expect(b.stats().framesRefused).toBe(3)
    expect(received.map((r) => r.message.seq)).toEqual([1, 3])
    a.send('b', note(6, 'after the garbage'))
    await until(() => received.length === 3, 'a good message')
    expect(received[2]).toEqual({ from: 'a', message: note(6, 'after the garbage') })
  })

  it('takes the sender from the handshake, never from the payload', async () => {
    const [, b] = await (async () => {
      const started = await cluster(['a', 'b', 'c'])
      return started.transports as [TcpTransport<Note>, TcpTransport<Note>, TcpTransport<Note>]
    })()
    const received = inbox(b)
    const socket = await handshakenSocket(b as TcpTransport<unknown>, 'c')
    socket.write(frame(codec.encode({ seq: 1, text: 'from a', from: 'a' } as Note)))
    await until(() => received.length === 1, 'the delivery')
    expect(received[0]?.from).toBe('c')
  })
})

describe('dialing', () => {
  it('fails a dial to a member whose port is not known yet, naming the fix', async () => {
    const members = [{ id: 'a' }, { id: 'b' }]
    const a = await createTcpTransport({ localId: 'a', members, codec, reconnect: { initialDelayMs: 5_000 } })
    cleanups.push(() => a.close())
    const seen = events(a)
    a.send('b', note(1))
    await until(() => a.stats().dialsFailed === 1, 'the failed dial')
    const failure = seen.find((e) => e.type === 'dial-failed')
    expect(failure?.type === 'dial-failed' && failure.error.message).toBe(
      'the address of "b" is not known yet: call setPeerAddress',
    )
  })
})

describe('reconnect', () => {
  it('reconnects after a peer restarts on the same port, keeping what was queued', async () => {
    const started = await cluster(['a', 'b'], { reconnect: { initialDelayMs: 20, maxDelayMs: 200 } })
    const [a, b] = started.transports as [TcpTransport<Note>, TcpTransport<Note>]
    const seen = events(a)
    const before = inbox(b)
    a.send('b', note(1, 'before'))
    await until(() => before.length === 1, 'the first message')

    const { port } = b.address()
    await b.close()
    await until(() => seen.some((e) => e.type === 'link-closed'), 'a to see the link drop')
    // sent while b is down: queued, kept across the failed dials
    for (let i = 2; i <= 4; i++) a.send('b', note(i, 'while down'))
    await until(() => a.stats().dialsFailed >= 1, 'a failed dial')
    expect(a.stats().queuedMessages).toBe(3)

    const restarted = await createTcpTransport({
      localId: 'b',
      listen: { host: '127.0.0.1', port },
      members: started.members,
      codec,
    })
    cleanups.push(() => restarted.close())
    const after = inbox(restarted)
    await until(() => after.length === 3, 'the queued messages after the restart')
    a.send('b', note(5, 'after'))
    await until(() => after.length === 4, 'a later message')
    expect(after.map((r) => r.message.seq)).toEqual([2, 3, 4, 5])
    expect(after.every((r) => r.from === 'a')).toBe(true)
    expect(a.stats().linksOpened).toBe(2)
    const dialFailure = seen.find((e) => e.type === 'dial-failed')
    expect(dialFailure?.type === 'dial-failed' && dialFailure.retryInMs).toBeGreaterThanOrEqual(10)
    expect(dialFailure?.type === 'dial-failed' && dialFailure.error.message).toMatch(/ECONNREFUSED/)
    // and the restarted node can talk back over a fresh link
    const back = inbox(a)
    restarted.send('a', note(6, 'back'))
    await until(() => back.length === 1, 'the reply')
    expect(back[0]).toEqual({ from: 'b', message: note(6, 'back') })
  })

  it('reopens the connection after the receiver drops it, losing nothing queued later', async () => {
    // a codec that refuses seq -1 on decode: b drops any connection that carries one
    const picky = jsonCodec<Note>({
      validate(value) {
        const v = codec.decode(new TextEncoder().encode(JSON.stringify(value)))
        if (v.seq === -1) throw new Error('seq -1 is refused')
        return v
      },
    })
    const [a, b] = (
      await cluster(['a', 'b'], { codec: picky, reconnect: { initialDelayMs: 10, maxDelayMs: 50 } })
    ).transports as [TcpTransport<Note>, TcpTransport<Note>]
    const received = inbox(b)
    const seen = events(a)
    const seenB = events(b)
    a.send('b', note(1))
    await until(() => received.length === 1, 'the first message')
    a.send('b', note(-1))
    await until(() => seen.some((e) => e.type === 'link-closed'), 'a to see b drop the connection')
    expect(seenB.find((e) => e.type === 'frame-refused')).toMatchObject({ type: 'frame-refused', from: 'a' })
    a.send('b', note(2))
    await until(() => received.length === 2, 'a message on a new connection')
    expect(received.map((r) => r.message.seq)).toEqual([1, 2])
    expect(a.stats().linksOpened).toBe(2)
    expect(b.stats()).toMatchObject({ framesRefused: 1, connectionsAccepted: 2 })
  })
})

describe('close', () => {
  it('is idempotent, drops and reports what is queued, closes every socket, and refuses later sends', async () => {
    const members = [{ id: 'a' }, { id: 'b' }]
    const a = await createTcpTransport({ localId: 'a', members, codec, reconnect: { initialDelayMs: 5_000 } })
    const b = await createTcpTransport({ localId: 'b', members, codec })
    cleanups.push(() => b.close())
    const seen = events(a)
    for (let i = 0; i < 3; i++) a.send('b', note(i)) // b's port unknown: stays queued, a backoff timer runs
    await until(() => a.stats().dialsFailed === 1, 'the failed dial')
    // an inbound connection to a, left open
    const atA = inbox(a)
    b.setPeerAddress('a', a.address())
    b.send('a', note(9))
    await until(() => atA.length === 1, "b's message")
    const seenB = events(b)
    const first = a.close()
    expect(a.close()).toBe(first)
    await first
    expect(seen.filter((e) => e.type === 'message-dropped')).toEqual([
      { type: 'message-dropped', to: 'b', reason: 'transport-closed', count: 3 },
    ])
    expect(a.stats()).toMatchObject({ messagesDropped: 3, queuedMessages: 0 })
    expect(() => a.send('b', note(1))).toThrow(TransportClosedError)
    expect(() => a.send('b', note(1))).toThrow('transport "a" is closed')
    // the port is released: nothing accepts there any more
    const { port } = a.address()
    const refused = await new Promise<string>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port })
      socket.once('connect', () => {
        socket.destroy()
        resolve('connected')
      })
      socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'))
    })
    expect(refused).toBe('ECONNREFUSED')
    expect(a.stats().messagesDelivered).toBe(1)
    // b's outbound connection to a was closed by a
    await until(() => seenB.some((e) => e.type === 'link-closed'), "b's link to a to drop")
  })
})
