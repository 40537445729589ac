/**
 * The driver loop both roles share: feed the core the transport's messages and
 * the ticker's ticks, and carry out each batch in the protocol's order
 * (persist, then send, then report).
 */
import type { NodeId, Transport } from '@synod/transport'
import type { Outgoing, TwoPhaseMessage, TwoPhaseRecord } from '../core/types.js'
import { assertIs, integerOption } from '../validate.js'
import { systemTicker, type Ticker } from './clock.js'
import { MemoryStorage, type TwoPhaseStorage } from './storage.js'

export interface DrivenCore<R extends { records: TwoPhaseRecord[]; messages: Outgoing[] }> {
  step(from: NodeId, message: TwoPhaseMessage): void
  tick(): void
  hasReady(): boolean
  ready(): R
}

export interface LoopParts {
  transport: Transport<TwoPhaseMessage>
  storage: TwoPhaseStorage
  ticker: Ticker
  tickMs: number
}

/** Checks the options both drivers take and fills in the defaults. */
export function loopParts(options: {
  transport: unknown
  storage?: unknown
  ticker?: unknown
  tickMs?: unknown
}): LoopParts {
  assertIs('options', options, 'object')
  const t = options.transport as Partial<Transport<TwoPhaseMessage>> | null
  if (typeof t !== 'object' || t === null || typeof t.localId !== 'string' || typeof t.send !== 'function')
    throw new TypeError('transport: expected a Transport')
  const storage = (options.storage ?? new MemoryStorage()) as TwoPhaseStorage
  if (typeof storage.load !== 'function' || typeof storage.append !== 'function')
    throw new TypeError('storage: expected an object with load() and append(records)')
  const ticker = (options.ticker ?? systemTicker) as Ticker
  if (typeof ticker.every !== 'function')
    throw new TypeError('ticker: expected an object with every(intervalMs, callback)')
  const tickMs = integerOption('tickMs', options.tickMs, 10, 1, 3_600_000)
  return { transport: t as Transport<TwoPhaseMessage>, storage, ticker, tickMs }
}

/** Runs a core on its parts; `report` gets each batch after its records are durable and its messages sent. */
export class Loop<R extends { records: TwoPhaseRecord[]; messages: Outgoing[] }> {
  closed = false
  /** Sends the transport refused (a closed transport, an unknown peer): never thrown at callers. */
  sendFailures = 0
  private readonly unsubscribe: () => void
  private readonly stopTicking: () => void
  private flushing = false

  constructor(
    private readonly core: DrivenCore<R>,
    private readonly parts: LoopParts,
    private readonly report: (ready: R) => void,
    private readonly onFatal: (error: unknown) => void,
  ) {
    this.unsubscribe = parts.transport.onMessage((from, message) => {
      if (this.closed) return
      core.step(from, message)
      this.flush()
    })
    this.stopTicking = parts.ticker.every(parts.tickMs, () => {
      if (this.closed) return
      core.tick()
      this.flush()
    })
    this.flush()
  }

  /** Carries out every pending batch: persist, send, report. Re-entrant calls fold into the running one. */
  flush(): void {
    if (this.flushing || this.closed) return
    this.flushing = true
    let ready: R
    try {
      while (this.core.hasReady()) {
        ready = this.core.ready()
        try {
          if (ready.records.length > 0) this.parts.storage.append(ready.records)
        } catch (error) {
          // the core has moved on but its records are not durable: stop (fail-stop), send nothing more
          this.close()
          this.onFatal(error)
          return
        }
        for (const { to, message } of ready.messages) {
          try {
            this.parts.transport.send(to, message)
          } catch {
            this.sendFailures++
          }
        }
        this.report(ready)
      }
    } finally {
      this.flushing = false
    }
  }

  /** Stops ticking and listening. The transport stays open: its owner closes it. */
  close(): void {
    if (this.closed) return
    this.closed = true
    this.stopTicking()
    this.unsubscribe()
  }
}
