/**
 * The compliance suite every `Transport` in Synod passes. Import it in a vitest
 * test file and call it with a harness that builds your transports.
 *
 * @example
 * ```ts
 * import { MemoryNetwork } from '@synod/transport'
 * import { complianceCodec, transportCompliance } from '@synod/transport/compliance'
 *
 * transportCompliance({
 *   name: 'MemoryNetwork',
 *   async setup(ids) {
 *     const network = new MemoryNetwork({ members: ids, codec: complianceCodec })
 *     return { transports: ids.map((id) => network.join(id)), teardown: () => network.close() }
 *   },
 * })
 * ```
 * @packageDocumentation
 */
import { afterEach, describe, expect, it } from 'vitest'
import { jsonCodec } from './codec.js'
import { SynodError, TransportClosedError } from './errors.js'
import type { Codec, NodeId, Transport } from './types.js'

export {
  type LinkComplianceOptions,
  type LinkTransport,
  linkOptionsCompliance,
  linkTransportCompliance,
} from './link-compliance.js'

/** The message the suite sends. */
export interface ComplianceMessage {
  kind: 'compliance'
  seq: number
  body: string
}

/**
 * Checks that a parsed value is a `ComplianceMessage` and returns a copy of it, for
 * transports that validate messages rather than decode bytes.
 *
 * @throws {Error} `not a compliance message` for anything else
 * @example
 * ```ts
 * validateComplianceMessage({ kind: 'compliance', seq: 1, body: 'x' }) // the same message
 * ```
 */
export function validateComplianceMessage(value: unknown): ComplianceMessage {
  const v = value as Partial<ComplianceMessage> | null
  if (
    typeof v !== 'object' ||
    v === null ||
    v.kind !== 'compliance' ||
    !Number.isSafeInteger(v.seq) ||
    typeof v.body !== 'string'
  ) {
    throw new Error('not a compliance message')
  }
  return { kind: 'compliance', seq: v.seq as number, body: v.body }
}

/** A strict codec for `ComplianceMessage`, for transports that need one. */
export const complianceCodec: Codec<ComplianceMessage> = jsonCodec<ComplianceMessage>({
  maxBytes: 1024 * 1024,
  validate: validateComplianceMessage,
})

/** What `setup` returns: one transport per requested id, in the same order. */
export interface ComplianceHarness {
  transports: Transport<ComplianceMessage>[]
  /** Releases everything `setup` made (called even when a test fails). */
  teardown?: () => Promise<void> | void
  /**
   * Lets time pass for transports on virtual time: the suite calls it while it
   * waits for deliveries. Real transports leave it out.
   */
  settle?: () => Promise<void> | void
  /**
   * For transports with a byte-level wire: writes `bytes` raw onto the link from
   * `from` to `to`, bypassing the sender's encoder. The suite uses it to check
   * that malformed and oversized frames are refused without a crash, and that
   * the link (or a new one) still carries good messages afterwards.
   */
  injectRaw?: (from: NodeId, to: NodeId, bytes: Uint8Array) => Promise<void> | void
  /** The largest frame the transport accepts, needed with `injectRaw`. */
  maxFrameBytes?: number
}

export interface ComplianceOptions {
  /** Shown in the describe block. */
  name: string
  /** Builds one transport per id. Called once per test. */
  setup: (ids: NodeId[]) => Promise<ComplianceHarness>
  /** Whether the transport promises FIFO order per link (default true). */
  orderedLinks?: boolean
  /** How long to wait for expected deliveries, in real milliseconds (default 5000). */
  deliveryTimeoutMs?: number
  /**
   * Whether the transport has a byte-level wire. When true, the harness must
   * provide `injectRaw`, and the suite checks that bad frames are refused.
   */
  wire?: boolean
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Registers the transport compliance tests with vitest.
 *
 * @example
 * ```ts
 * transportCompliance({ name: 'my transport', setup: async (ids) => ({ transports: ids.map(makeTransport) }) })
 * ```
 */
export function transportCompliance(options: ComplianceOptions): void {
  const ordered = options.orderedLinks ?? true
  const timeoutMs = options.deliveryTimeoutMs ?? 5000
  let harness: ComplianceHarness | undefined

  async function start(count: number) {
    const ids = Array.from({ length: count }, (_, i) => `n${i}`)
    harness = await options.setup(ids)
    expect(harness.transports.map((t) => t.localId)).toEqual(ids)
    return harness
  }

  async function until(predicate: () => boolean, what: string) {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      await harness?.settle?.()
      if (predicate()) return
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
      await sleep(2)
    }
  }

  /** Waits a little, for asserting that something does NOT happen. */
  async function quiet() {
    for (let i = 0; i < 5; i++) {
      await harness?.settle?.()
      await sleep(20)
    }
  }

  function record(transport: Transport<ComplianceMessage>) {
    const received: Array<{ from: NodeId; message: ComplianceMessage }> = []
    transport.onMessage((from, message) => received.push({ from, message }))
    return received
  }

  const msg = (seq: number, body = `m${seq}`): ComplianceMessage => ({ kind: 'compliance', seq, body })

  describe(`transport compliance: ${options.name}`, () => {
    afterEach(async () => {
      const h = harness
      harness = undefined
      if (!h) return
      await Promise.all(h.transports.map((t) => t.close()))
      await h.teardown?.()
    })

    it('delivers a message with its sender id and content intact', async () => {
      const [a, b] = (await start(2)).transports as [
        Transport<ComplianceMessage>,
        Transport<ComplianceMessage>,
      ]
      const received = record(b)
      a.send(b.localId, msg(1, 'hello ✓ 🌍'))
      await until(() => received.length === 1, 'one delivery')
      expect(received[0]).toEqual({ from: a.localId, message: msg(1, 'hello ✓ 🌍') })
    })

    it('fans out: one sender, several receivers, each receives exactly its message', async () => {
      const [a, ...others] = (await start(4)).transports as Transport<ComplianceMessage>[]
      const inboxes = others.map(record)
      others.forEach((t, i) => a!.send(t.localId, msg(i)))
      await until(() => inboxes.every((inbox) => inbox.length >= 1), 'fan-out deliveries')
      await quiet()
      inboxes.forEach((inbox, i) => expect(inbox).toEqual([{ from: a!.localId, message: msg(i) }]))
    })

    it('carries all-to-all traffic between every pair', async () => {
      const transports = (await start(4)).transports
      const inboxes = transports.map(record)
      for (const from of transports) {
        for (const to of transports)
          if (from !== to) from.send(to.localId, msg(0, `${from.localId}->${to.localId}`))
      }
      await until(() => inboxes.every((inbox) => inbox.length === 3), 'all-to-all deliveries')
      transports.forEach((to, i) => {
        const senders = inboxes[i]!.map((r) => r.from).sort()
        expect(senders).toEqual(transports.filter((t) => t !== to).map((t) => t.localId))
        for (const r of inboxes[i]!) expect(r.message.body).toBe(`${r.from}->${to.localId}`)
      })
    })

    it(ordered ? 'keeps FIFO order on each link' : 'delivers every message of a burst', async () => {
      const [a, b] = (await start(2)).transports as [
        Transport<ComplianceMessage>,
        Transport<ComplianceMessage>,
      ]
      const received = record(b)
      const count = 500
      for (let i = 0; i < count; i++) a.send(b.localId, msg(i))
      await until(() => received.length === count, `${count} deliveries`)
      const seqs = received.map((r) => r.message.seq)
      if (ordered) expect(seqs).toEqual(Array.from({ length: count }, (_, i) => i))
      else expect([...seqs].sort((x, y) => x - y)).toEqual(Array.from({ length: count }, (_, i) => i))
    })

    it('carries a 64 KiB message intact', async () => {
      const [a, b] = (await start(2)).transports as [
        Transport<ComplianceMessage>,
        Transport<ComplianceMessage>,
      ]
      const received = record(b)
      const body = 'x'.repeat(64 * 1024 - 7) + 'the-end'
      a.send(b.localId, msg(7, body))
      await until(() => received.length === 1, 'the large message')
      expect(received[0]!.message.body).toBe(body)
    })

    it('calls every handler, and stops calling one after unsubscribe', async () => {
      const [a, b] = (await start(2)).transports as [
        Transport<ComplianceMessage>,
        Transport<ComplianceMessage>,
      ]
      const first: number[] = []
      const second: number[] = []
      const unsubscribe = b.onMessage((_, m) => first.push(m.seq))
      b.onMessage((_, m) => second.push(m.seq))
      a.send(b.localId, msg(1))
      await until(() => first.length === 1 && second.length === 1, 'both handlers')
      unsubscribe()
      a.send(b.localId, msg(2))
      await until(() => second.length === 2, 'the remaining handler')
      await quiet()
      expect(first).toEqual([1])
      expect(second).toEqual([1, 2])
    })

    it('refuses to send after close, delivers nothing to a closed node, and closes idempotently', async () => {
      const [a, b, c] = (await start(3)).transports as Transport<ComplianceMessage>[]
      const atB = record(b!)
      const atC = record(c!)
      await b!.close()
      await b!.close()
      expect(() => b!.send(a!.localId, msg(1))).toThrow(TransportClosedError)
      try {
        b!.send(a!.localId, msg(1))
      } catch (error) {
        expect(SynodError.isInstance(error) && error.code).toBe('ERR_TRANSPORT_CLOSED')
      }
      // sending to a closed peer is not an error for the sender: the message is lost
      expect(() => a!.send(b!.localId, msg(2))).not.toThrow()
      a!.send(c!.localId, msg(3))
      await until(() => atC.length === 1, 'delivery to the live node')
      await quiet()
      expect(atB).toEqual([])
    })

    it('refuses a destination that is not a node id', async () => {
      const [a] = (await start(2)).transports as Transport<ComplianceMessage>[]
      expect(() => a!.send('', msg(1))).toThrow(RangeError)
      expect(() => a!.send(42 as unknown as string, msg(1))).toThrow(TypeError)
    })

    // registered only for transports with a byte-level wire
    if (options.wire === true)
      it('refuses bad and oversized frames without delivering anything, then carries good messages', async () => {
        const h = await start(2)
        if (!h.injectRaw) throw new Error('a transport with wire: true must provide injectRaw')
        const [a, b] = h.transports as [Transport<ComplianceMessage>, Transport<ComplianceMessage>]
        const received = record(b)
        // a well-framed payload that is not a valid message
        const garbage = new TextEncoder().encode('{"kind":"compliance","seq":"NaN"')
        const framed = new Uint8Array(4 + garbage.length)
        new DataView(framed.buffer).setUint32(0, garbage.length)
        framed.set(garbage, 4)
        await h.injectRaw(a.localId, b.localId, framed)
        // a header announcing more than the limit
        const oversized = new Uint8Array(8)
        new DataView(oversized.buffer).setUint32(0, (h.maxFrameBytes ?? 4 * 1024 * 1024) + 1)
        await h.injectRaw(a.localId, b.localId, oversized)
        await quiet()
        expect(received).toEqual([])
        a.send(b.localId, msg(9, 'after the garbage'))
        await until(() => received.length === 1, 'a good message after bad frames')
        expect(received[0]).toEqual({ from: a.localId, message: msg(9, 'after the garbage') })
      })
  })
}
