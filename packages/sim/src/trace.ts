import { assertIntegerInRange, assertOptions } from './validate.js'

/**
 * Options of a {@link Trace}.
 * @example
 * ```ts
 * runSimulation({ ...options, trace: { textLines: 200 } }) // failures show the last 40 lines
 * ```
 */
export interface TraceOptions {
  /**
   * How many text lines to keep (the most recent ones), 0 for none (default 0).
   * Text lines cost a string per event; the hash is always kept.
   */
  textLines?: number
}

const float = new Float64Array(1)
const floatWords = new Uint32Array(float.buffer)
const MAX_TEXT_LINES = 1_000_000

/**
 * A running record of a simulation: every event folds into a 64-bit hash (two
 * independent 32-bit multiply-rotate lanes), and optionally into a bounded ring
 * of text lines for debugging. Two runs of the same seed must end with the same
 * `hash`; the first event that differs changes it for good.
 *
 * @example
 * ```ts
 * const trace = new Trace({ textLines: 100 })
 * trace.event(12.5, 'deliver', 'n1 -> n2 #7', 1, 2, 7)
 * trace.hash  // 16 hex digits
 * trace.lines // ['t=12.5 deliver n1 -> n2 #7']
 * ```
 */
export class Trace {
  private h1 = 0x6a09e667
  private h2 = 0xbb67ae85
  private count = 0
  private readonly limit: number
  private readonly ring: string[] = []
  private ringStart = 0
  private readonly stringCodes = new Map<string, number>()

  constructor(options: TraceOptions = {}) {
    assertOptions('options', options)
    this.limit = assertIntegerInRange('textLines', options.textLines ?? 0, 0, MAX_TEXT_LINES)
  }

  /** Whether text lines are kept (so callers can skip building them). */
  get keepsText(): boolean {
    return this.limit > 0
  }

  /** How many events were folded in. */
  get events(): number {
    return this.count
  }

  /** The running hash, as 16 hex digits. */
  get hash(): string {
    return (this.h1 >>> 0).toString(16).padStart(8, '0') + (this.h2 >>> 0).toString(16).padStart(8, '0')
  }

  /** The kept text lines, oldest first. */
  get lines(): string[] {
    return [...this.ring.slice(this.ringStart), ...this.ring.slice(0, this.ringStart)]
  }

  private word(w: number): void {
    const k = Math.imul(w, 0xcc9e2d51)
    let h1 = this.h1 ^ ((k << 15) | (k >>> 17))
    h1 = Math.imul((h1 << 13) | (h1 >>> 19), 5) + 0xe6546b64
    let h2 = this.h2 ^ Math.imul(w ^ (w >>> 16), 0x85ebca6b)
    h2 = Math.imul((h2 << 17) | (h2 >>> 15), 0x1b873593) + (h1 | 0)
    this.h1 = h1 | 0
    this.h2 = h2 | 0
  }

  /** A stable code for a string (hashed once, then cached). */
  private code(text: string): number {
    let c = this.stringCodes.get(text)
    if (c === undefined) {
      c = 0x811c9dc5
      for (let i = 0; i < text.length; i++) c = Math.imul(c ^ text.charCodeAt(i), 0x01000193)
      c |= 0
      if (this.stringCodes.size < 65_536) this.stringCodes.set(text, c)
    }
    return c
  }

  /**
   * Folds one event in. `kind` and the numbers go into the hash; `text` only
   * into the text lines (pass it lazily: a function is called only when lines are kept).
   *
   * @example
   * ```ts
   * trace.event(scheduler.now, 'timer', () => `n1 election timeout`, nodeIndex)
   * ```
   */
  event(atMs: number, kind: string, text?: string | (() => string), a = 0, b = 0, c = 0): void {
    this.count++
    float[0] = atMs
    this.word(floatWords[0] as number)
    this.word(floatWords[1] as number)
    this.word(this.code(kind))
    this.word(a)
    this.word(b)
    this.word(c)
    if (this.limit > 0) {
      const detail = typeof text === 'function' ? text() : (text ?? '')
      this.push(`t=${atMs} ${kind}${detail === '' ? '' : ` ${detail}`}`)
    }
  }

  /**
   * Folds a free-form note (hashed by content) into the trace.
   * @example
   * ```ts
   * trace.note(now, `n1 became leader of term 3`)
   * ```
   */
  note(atMs: number, text: string): void {
    let c = 0x811c9dc5
    for (let i = 0; i < text.length; i++) c = Math.imul(c ^ text.charCodeAt(i), 0x01000193)
    this.event(atMs, 'note', text, c)
  }

  private push(line: string): void {
    if (this.ring.length < this.limit) {
      this.ring.push(line)
      return
    }
    this.ring[this.ringStart] = line
    this.ringStart = (this.ringStart + 1) % this.limit
  }
}
