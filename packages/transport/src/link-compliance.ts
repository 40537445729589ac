/**
 * The suites every networked transport built on `OutboundLink` passes, on top of
 * `transportCompliance`: its link options are checked with exact messages, and its
 * links batch, bound their queues, back off, honour backpressure and count it all.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { ComplianceMessage } from './compliance.js'
import { FrameTooLargeError, SendQueueFullError, UnknownPeerError } from './errors.js'
import type { LinkOptions } from './link/options.js'
import type { LinkEvent, LinkStats } from './link/stats.js'
import type { NodeId, Transport } from './types.js'

/**
 * What `linkTransportCompliance` needs beyond `Transport`: the counters every transport
 * built on `OutboundLink` keeps, and its events, among which the suite reads the
 * `LinkEvent`s and `handler-failed` (its own stats and events may hold more).
 *
 * @example
 * ```ts
 * const transport: LinkTransport<ComplianceMessage> = await createTcpTransport({ ...options, codec: complianceCodec })
 * transport.stats().messagesDelivered
 * ```
 */
export interface LinkTransport<M> extends Transport<M> {
  stats(): LinkStats & {
    messagesQueued: number
    messagesDelivered: number
    bytesReceived: number
    peersRefused: number
    handlerErrors: number
  }
  onEvent(handler: (event: { type: string }) => void): () => void
}

/** The events `linkTransportCompliance` checks. */
type CheckedEvent = LinkEvent | { type: 'handler-failed'; from: NodeId; error: unknown }

/**
 * How `linkTransportCompliance` starts transports. Every transport it starts has the id
 * `a` or `b`, the other as its only peer, and `complianceCodec` with the given link options.
 *
 * @example
 * ```ts
 * const harness: LinkComplianceOptions<TcpTransport<ComplianceMessage>> = {
 *   name: 'TCP',
 *   startPair: async (options) => (await startTcpCluster(['a', 'b'], { codec: complianceCodec, ...options })).transports,
 *   startStrangers, introduce: (a, b) => a.setPeerAddress('b', b.address()), startUnreachable, teardown,
 * }
 * ```
 */
export interface LinkComplianceOptions<T extends LinkTransport<ComplianceMessage>> {
  /** Shown in the describe block. */
  name: string
  /** Starts `a` and `b`, each knowing where the other listens. */
  startPair(options: LinkOptions): Promise<[T, T]>
  /** Starts `a` and `b` where `a` does not know yet where `b` listens: its dials fail until `introduce`. */
  startStrangers(options: LinkOptions): Promise<[T, T]>
  /** Tells `a` where `b` listens; a link waiting to reconnect dials at once. */
  introduce(a: T, b: T): Promise<void> | void
  /** Starts `a` alone, with a peer `b` whose every dial fails. */
  startUnreachable(options: LinkOptions): Promise<T>
  /** Closes everything the starts made; called after every test. */
  teardown(): Promise<void> | void
  /** Checks of counters only this transport keeps, after a clean burst from `a` to `b` on one link. */
  checkBurst?(a: T, b: T): void
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Polls `predicate` every 5 ms until it holds, or fails after `timeoutMs`. */
async function until(predicate: () => boolean, what: string, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(5)
  }
}

function inbox<M>(transport: Transport<M>): Array<{ from: NodeId; message: M }> {
  const received: Array<{ from: NodeId; message: M }> = []
  transport.onMessage((from, message) => received.push({ from, message }))
  return received
}

function events(transport: LinkTransport<ComplianceMessage>) {
  const seen: CheckedEvent[] = []
  transport.onEvent((event) => seen.push(event as CheckedEvent))
  return seen
}

const note = (seq: number, body = `n${seq}`): ComplianceMessage => ({ kind: 'compliance', seq, body })

/**
 * Registers the link tests with vitest: refusals at `send`, local delivery, batched
 * writes, failing handlers, the three queue-full policies, reconnect backoff and
 * backpressure.
 *
 * @example
 * ```ts
 * linkTransportCompliance({ name: 'TCP', startPair, startStrangers, introduce, startUnreachable, teardown })
 * ```
 */
export function linkTransportCompliance<T extends LinkTransport<ComplianceMessage>>(
  options: LinkComplianceOptions<T>,
): void {
  describe(`link compliance: ${options.name}`, () => {
    afterEach(() => options.teardown())

    it('throws UnknownPeerError for a destination outside the membership', async () => {
      const [a] = await options.startPair({})
      expect(() => a.send('z', note(1))).toThrow(UnknownPeerError)
      expect(() => a.send('z', note(1))).toThrow('peer "z" is not a member')
    })

    it('delivers a message to itself locally, through the codec', async () => {
      const [a] = await options.startPair({})
      const received = inbox(a)
      const sent = note(1, 'to me')
      a.send('a', sent)
      await until(() => received.length === 1, 'local delivery')
      expect(received).toEqual([{ from: 'a', message: sent }])
      expect(received[0]?.message).not.toBe(sent)
      expect(a.stats()).toMatchObject({ messagesQueued: 1, messagesDelivered: 1, messagesSent: 0 })
    })

    it('refuses an encoded message larger than maxFrameBytes at send time', async () => {
      const [a] = await options.startPair({ maxFrameBytes: 64 })
      expect(() => a.send('b', note(1, 'x'.repeat(100)))).toThrow(FrameTooLargeError)
    })

    it('coalesces many frames per write, and writes one frame per write with maxFramesPerWrite: 1', async () => {
      for (const maxFramesPerWrite of [undefined, 1]) {
        const [a, b] = await options.startPair(maxFramesPerWrite ? { maxFramesPerWrite } : {})
        const received = inbox(b)
        a.send('b', note(-1)) // open the link first
        await until(() => received.length === 1, 'the first message')
        const count = 2000
        for (let i = 0; i < count; i++) a.send('b', note(i))
        await until(() => received.length === count + 1, `${count} messages`)
        expect(received.slice(1).map((r) => r.message.seq)).toEqual(
          Array.from({ length: count }, (_, i) => i),
        )
        const stats = a.stats()
        expect(stats.messagesSent).toBe(count + 1)
        if (maxFramesPerWrite === 1) expect(stats.writes).toBe(count + 1)
        else expect(stats.writes).toBeLessThanOrEqual(10)
        expect(b.stats().messagesDelivered).toBe(count + 1)
        expect(stats.queuedMessages).toBe(0)
        // every frame byte written arrived
        expect(b.stats().bytesReceived).toBe(stats.bytesSent)
        expect(stats).toMatchObject({ linksOpened: 1, dialsFailed: 0, peersRefused: 0 })
        options.checkBurst?.(a, b)
      }
    })

    it('reports a throwing handler as handler-failed and still runs the others', async () => {
      const [a, b] = await options.startPair({})
      const seen = events(b)
      b.onMessage(() => {
        throw new Error('boom')
      })
      const received = inbox(b)
      a.send('b', note(1))
      a.send('b', note(2))
      await until(() => received.length === 2, 'both messages')
      expect(b.stats().handlerErrors).toBe(2)
      const failures = seen.flatMap((e) => (e.type === 'handler-failed' ? [e] : []))
      expect(failures.map((e) => e.from)).toEqual(['a', 'a'])
      expect(failures.map((e) => (e.error as Error).message)).toEqual(['boom', 'boom'])
    })

    describe('queue-full policy', () => {
      // b's address is unknown at first, so a's dials fail and its queue to b fills up
      const strangers = (onFull: LinkOptions['onFull']) =>
        options.startStrangers({
          sendQueueLimit: 3,
          onFull,
          reconnect: { initialDelayMs: 5_000, maxDelayMs: 5_000 },
        })

      it('drop-oldest (the default) keeps the newest messages, counts the drops, and delivers once reachable', async () => {
        const [a, b] = await strangers('drop-oldest')
        const seen = events(a)
        const received = inbox(b)
        for (let i = 0; i < 5; i++) a.send('b', note(i))
        expect(a.stats()).toMatchObject({ messagesDropped: 2, queuedMessages: 3 })
        expect(seen.filter((e) => e.type === 'message-dropped')).toEqual([
          { type: 'message-dropped', to: 'b', reason: 'queue-full', count: 1 },
          { type: 'message-dropped', to: 'b', reason: 'queue-full', count: 1 },
        ])
        await until(() => a.stats().dialsFailed === 1, 'the failed dial')
        await options.introduce(a, b)
        await until(() => received.length === 3, 'the kept messages')
        expect(received.map((r) => r.message.seq)).toEqual([2, 3, 4])
      })

      it('drop-newest keeps the oldest messages', async () => {
        const [a, b] = await strangers('drop-newest')
        const received = inbox(b)
        for (let i = 0; i < 5; i++) a.send('b', note(i))
        expect(a.stats().messagesDropped).toBe(2)
        await until(() => a.stats().dialsFailed === 1, 'the failed dial')
        await options.introduce(a, b)
        await until(() => received.length === 3, 'the kept messages')
        expect(received.map((r) => r.message.seq)).toEqual([0, 1, 2])
      })

      it('throw raises SendQueueFullError and keeps the queue as it was', async () => {
        const [a, b] = await strangers('throw')
        const received = inbox(b)
        for (let i = 0; i < 3; i++) a.send('b', note(i))
        expect(() => a.send('b', note(3))).toThrow(SendQueueFullError)
        expect(() => a.send('b', note(3))).toThrow('send queue to "b" is full (3 messages)')
        expect(a.stats()).toMatchObject({ messagesDropped: 0, messagesQueued: 3, queuedMessages: 3 })
        await until(() => a.stats().dialsFailed === 1, 'the failed dial')
        await options.introduce(a, b)
        await until(() => received.length === 3, 'the queued messages')
        expect(received.map((r) => r.message.seq)).toEqual([0, 1, 2])
      })
    })

    it('doubles the reconnect delay up to the maximum, with equal jitter from the injected random', async () => {
      async function retryDelays(random: () => number) {
        const a = await options.startUnreachable({
          reconnect: { initialDelayMs: 10, maxDelayMs: 40 },
          random,
        })
        const seen = events(a)
        a.send('b', note(1))
        await until(() => seen.filter((e) => e.type === 'dial-failed').length >= 5, 'five failed dials')
        return seen.flatMap((e) => (e.type === 'dial-failed' ? [e.retryInMs] : [])).slice(0, 5)
      }
      expect(await retryDelays(() => 0)).toEqual([5, 10, 20, 20, 20])
      expect(await retryDelays(() => 0.999_999)).toEqual([10, 20, 40, 40, 40])
    })

    it('waits for drain when the connection is full, and delivers everything in order', async () => {
      const [a, b] = await options.startPair({})
      const received = inbox(b)
      const count = 400
      // 400 × 32 KiB ≈ 13 MB, far beyond a socket's high-water mark or a yamux window
      const body = 'y'.repeat(32 * 1024)
      for (let i = 0; i < count; i++) a.send('b', note(i, body))
      await until(() => received.length === count, `${count} large messages`, 20_000)
      expect(received.map((r) => r.message.seq)).toEqual(Array.from({ length: count }, (_, i) => i))
      expect(received.every((r) => r.message.body === body)).toBe(true)
      const stats = a.stats()
      expect(stats.backpressureWaits).toBeGreaterThan(0)
      expect(stats.messagesSent).toBe(count)
      // at most 1 MiB per write: 31 frames of 32 KiB (plus headers) each
      expect(stats.writes).toBeGreaterThanOrEqual(Math.ceil(count / 31))
    })
  })
}

/**
 * Every bad link option, with the error class and the exact message `resolveLinkOptions`
 * gives, for `linkOptionsCompliance`.
 */
const BAD_LINK_OPTIONS: Array<[string, Record<string, unknown>, ErrorConstructor, string]> = [
  [
    'a zero maxFrameBytes',
    { maxFrameBytes: 0 },
    RangeError,
    'maxFrameBytes: expected a positive integer, got 0',
  ],
  [
    'a maxFrameBytes past the header',
    { maxFrameBytes: 2 ** 32 },
    RangeError,
    'maxFrameBytes: expected at most 4294967295, got 4294967296',
  ],
  [
    'a fractional sendQueueLimit',
    { sendQueueLimit: 1.5 },
    RangeError,
    'sendQueueLimit: expected a positive integer, got 1.5',
  ],
  [
    'a string sendQueueLimit',
    { sendQueueLimit: '10' },
    TypeError,
    'sendQueueLimit: expected a positive integer, got string',
  ],
  [
    'an unknown onFull',
    { onFull: 'block' },
    RangeError,
    'onFull: expected "drop-oldest", "drop-newest" or "throw", got "block"',
  ],
  ['reconnect not an object', { reconnect: 5 }, TypeError, 'reconnect: expected an object, got number'],
  [
    'a negative initial delay',
    { reconnect: { initialDelayMs: -1 } },
    RangeError,
    'reconnect.initialDelayMs: expected a positive integer, got -1',
  ],
  [
    'a max delay under the initial',
    { reconnect: { initialDelayMs: 500, maxDelayMs: 100 } },
    RangeError,
    'reconnect.maxDelayMs: expected at least reconnect.initialDelayMs (500), got 100',
  ],
  [
    'a zero maxFramesPerWrite',
    { maxFramesPerWrite: 0 },
    RangeError,
    'maxFramesPerWrite: expected a positive integer, got 0',
  ],
  [
    'a NaN maxBytesPerWrite',
    { maxBytesPerWrite: Number.NaN },
    RangeError,
    'maxBytesPerWrite: expected a positive integer, got NaN',
  ],
  ['a random that is not a function', { random: 4 }, TypeError, 'random: expected a function, got number'],
]

/**
 * Registers one test per bad link option with vitest: `resolve` gets the transport's
 * otherwise valid options with that one option bad, and must throw (or reject with)
 * the error class and the exact message `resolveLinkOptions` gives.
 *
 * @example
 * ```ts
 * linkOptionsCompliance('createTcpTransport', (bad) => createTcpTransport({ ...validOptions, ...bad }))
 * ```
 */
export function linkOptionsCompliance(
  name: string,
  resolve: (badOptions: Record<string, unknown>) => unknown,
): void {
  describe(`link options compliance: ${name}`, () => {
    it.each(BAD_LINK_OPTIONS)('refuses %s', async (_, bad, errorClass, message) => {
      const attempt = async () => resolve(bad)
      await expect(attempt()).rejects.toThrow(errorClass)
      await expect(attempt()).rejects.toThrow(message)
    })
  })
}
