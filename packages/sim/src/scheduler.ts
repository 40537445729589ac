import { SimLimitError } from './errors.js'
import {
  assertFunction,
  assertIntegerInRange,
  assertNumberInRange,
  assertOptions,
  MAX_DELAY_MS,
} from './validate.js'

/**
 * A scheduled callback that can be cancelled.
 * @example
 * ```ts
 * const handle = scheduler.schedule(100, tick)
 * handle.atMs     // now + 100
 * handle.cancel() // true: it will not run
 * ```
 */
export interface TimerHandle {
  /** The virtual time the callback is due at, in milliseconds. */
  readonly atMs: number
  /** Cancels the callback. Returns false when it already ran or was cancelled. */
  cancel(): boolean
}

interface ScheduledEvent {
  atMs: number
  seq: number
  callback: (() => void) | undefined
}

/**
 * Options of a {@link Scheduler}.
 * @example
 * ```ts
 * const scheduler = new Scheduler({ maxPendingEvents: 1_000_000 })
 * ```
 */
export interface SchedulerOptions {
  /** The most events that may be pending at once (default 10,000,000). */
  maxPendingEvents?: number
}

/**
 * Options of the run methods.
 * @example
 * ```ts
 * scheduler.runUntilIdle({ maxEvents: 50_000 })
 * ```
 */
export interface RunOptions {
  /** The most events this call may run (default 10,000,000). */
  maxEvents?: number
}

const DEFAULT_MAX_EVENTS = 10_000_000

function before(a: ScheduledEvent, b: ScheduledEvent): boolean {
  return a.atMs < b.atMs || (a.atMs === b.atMs && a.seq < b.seq)
}

/**
 * A virtual clock and discrete-event scheduler. Time is a number of virtual
 * milliseconds (integers or fractions) that only moves when an event runs.
 * Events live in a binary heap ordered by due time, then by the order they were
 * scheduled in, so two events due at the same time run in insertion order and a
 * run is fully determined by the calls made. Cancelled events are dropped lazily.
 *
 * @example
 * ```ts
 * const scheduler = new Scheduler()
 * scheduler.schedule(10, () => console.log('at', scheduler.now)) // at 10
 * const handle = scheduler.schedule(5, () => console.log('never'))
 * handle.cancel()
 * scheduler.runUntilIdle()
 * ```
 */
export class Scheduler {
  private heap: ScheduledEvent[] = []
  private seq = 0
  private live = 0
  private nowMs = 0
  private executed = 0
  private readonly maxPendingEvents: number

  constructor(options: SchedulerOptions = {}) {
    assertOptions('options', options)
    this.maxPendingEvents = assertIntegerInRange(
      'maxPendingEvents',
      options.maxPendingEvents ?? DEFAULT_MAX_EVENTS,
      1,
      Number.MAX_SAFE_INTEGER,
    )
  }

  /** The current virtual time in milliseconds. */
  get now(): number {
    return this.nowMs
  }

  /** How many events are pending (not yet run, not cancelled). */
  get pending(): number {
    return this.live
  }

  /** How many events have run since the scheduler was made. */
  get eventsRun(): number {
    return this.executed
  }

  /**
   * Runs `callback` after `delayMs` virtual milliseconds.
   * @throws {TypeError} when `delayMs` is not a number or `callback` not a function
   * @throws {RangeError} when `delayMs` is negative, NaN, infinite or above 2^43
   * @throws {SimLimitError} when `maxPendingEvents` events are already pending
   * @example
   * ```ts
   * const timer = scheduler.schedule(150, () => startElection())
   * timer.cancel()
   * ```
   */
  schedule(delayMs: number, callback: () => void): TimerHandle {
    assertNumberInRange('delayMs', delayMs, 0, MAX_DELAY_MS)
    assertFunction('callback', callback)
    return this.push(this.nowMs + delayMs, callback)
  }

  /**
   * Runs `callback` at virtual time `atMs` (not before now).
   * @throws {RangeError} when `atMs` is before `now`
   * @example
   * ```ts
   * scheduler.scheduleAt(1000, () => heal())
   * ```
   */
  scheduleAt(atMs: number, callback: () => void): TimerHandle {
    assertNumberInRange('atMs', atMs, this.nowMs, this.nowMs + MAX_DELAY_MS)
    assertFunction('callback', callback)
    return this.push(atMs, callback)
  }

  private push(atMs: number, callback: () => void): TimerHandle {
    if (this.live >= this.maxPendingEvents)
      throw new SimLimitError('maxPendingEvents', this.maxPendingEvents, 'too many pending events')
    if (this.heap.length > 4 * this.live + 4096) this.compact()
    const event: ScheduledEvent = { atMs, seq: this.seq++, callback }
    const heap = this.heap
    let i = heap.length
    heap.push(event)
    while (i > 0) {
      const parent = (i - 1) >> 1
      const p = heap[parent] as ScheduledEvent
      if (!before(event, p)) break
      heap[i] = p
      i = parent
    }
    heap[i] = event
    this.live++
    return {
      atMs,
      cancel: () => {
        if (event.callback === undefined) return false
        event.callback = undefined
        this.live--
        return true
      },
    }
  }

  /** Drops cancelled events and rebuilds the heap (order is unchanged: it is total). */
  private compact(): void {
    const heap = this.heap.filter((event) => event.callback !== undefined)
    this.heap = heap
    for (let start = (heap.length >> 1) - 1; start >= 0; start--) {
      const item = heap[start] as ScheduledEvent
      let i = start
      for (;;) {
        const left = 2 * i + 1
        if (left >= heap.length) break
        const right = left + 1
        let child = left
        if (right < heap.length && before(heap[right] as ScheduledEvent, heap[left] as ScheduledEvent))
          child = right
        const c = heap[child] as ScheduledEvent
        if (!before(c, item)) break
        heap[i] = c
        i = child
      }
      heap[i] = item
    }
  }

  private pop(): ScheduledEvent | undefined {
    const heap = this.heap
    const top = heap[0]
    if (top === undefined) return undefined
    const last = heap.pop() as ScheduledEvent
    const n = heap.length
    if (n > 0) {
      let i = 0
      for (;;) {
        const left = 2 * i + 1
        if (left >= n) break
        const right = left + 1
        let child = left
        if (right < n && before(heap[right] as ScheduledEvent, heap[left] as ScheduledEvent)) child = right
        const c = heap[child] as ScheduledEvent
        if (!before(c, last)) break
        heap[i] = c
        i = child
      }
      heap[i] = last
    }
    return top
  }

  /** Drops cancelled events from the top of the heap and returns the next live one. */
  private peekLive(): ScheduledEvent | undefined {
    for (;;) {
      const top = this.heap[0]
      if (top === undefined || top.callback !== undefined) return top
      this.pop()
    }
  }

  /**
   * The due time of the next pending event, or undefined when idle.
   * @example
   * ```ts
   * if (scheduler.nextAtMs() === undefined) console.log('idle')
   * ```
   */
  nextAtMs(): number | undefined {
    return this.peekLive()?.atMs
  }

  /**
   * Runs the next event, advancing `now` to its due time.
   * @returns false when there was nothing to run
   * @example
   * ```ts
   * while (scheduler.step()) checkInvariants()
   * ```
   */
  step(): boolean {
    const event = this.peekLive()
    if (event === undefined) return false
    this.pop()
    const callback = event.callback as () => void
    event.callback = undefined
    this.live--
    this.nowMs = event.atMs
    this.executed++
    callback()
    return true
  }

  /**
   * Runs every event due at or before `timeMs`, then sets `now` to `timeMs`.
   * @returns the number of events run
   * @throws {SimLimitError} when more than `maxEvents` events would run
   * @example
   * ```ts
   * scheduler.runUntil(5_000)
   * ```
   */
  runUntil(timeMs: number, options: RunOptions = {}): number {
    assertNumberInRange('timeMs', timeMs, this.nowMs, this.nowMs + MAX_DELAY_MS)
    const maxEvents = runLimit(options)
    let count = 0
    for (;;) {
      const next = this.peekLive()
      if (next === undefined || next.atMs > timeMs) break
      if (count >= maxEvents)
        throw new SimLimitError('maxEvents', maxEvents, `events still due before t=${timeMs}ms`)
      this.step()
      count++
    }
    this.nowMs = timeMs
    return count
  }

  /**
   * Runs events until none is pending.
   * @returns the number of events run
   * @throws {SimLimitError} when more than `maxEvents` events would run (a timer that
   * re-arms itself forever never goes idle: use `runUntil` for those)
   * @example
   * ```ts
   * scheduler.runUntilIdle({ maxEvents: 100_000 })
   * ```
   */
  runUntilIdle(options: RunOptions = {}): number {
    const maxEvents = runLimit(options)
    let count = 0
    while (this.peekLive() !== undefined) {
      if (count >= maxEvents) throw new SimLimitError('maxEvents', maxEvents, 'still not idle')
      this.step()
      count++
    }
    return count
  }
}

function runLimit(options: RunOptions): number {
  assertOptions('options', options)
  return assertIntegerInRange(
    'maxEvents',
    options.maxEvents ?? DEFAULT_MAX_EVENTS,
    0,
    Number.MAX_SAFE_INTEGER,
  )
}
