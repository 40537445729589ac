/**
 * The clock a driver ticks its core with. The default uses real timers; tests
 * and simulations pass their own (a virtual clock), so the same driver runs on both.
 */

/**
 * A source of time and of periodic callbacks.
 *
 * @example
 * ```ts
 * // a simulated node's clock, from @synod/sim's NodeContext
 * const clock: Clock = { now: () => ctx.now(), every: (ms, fn) => { const t = ctx.every(ms, fn); return () => t.cancel() } }
 * ```
 */
export interface Clock {
  /** Milliseconds on this clock. */
  now(): number
  /** Calls `callback` every `intervalMs` until the returned function is called. */
  every(intervalMs: number, callback: () => void): () => void
}

/**
 * The real clock: `Date.now()` and `setInterval`.
 *
 * @example
 * ```ts
 * const stop = systemClock.every(10, () => core.tick())
 * stop()
 * ```
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  every(intervalMs, callback) {
    const timer = setInterval(callback, intervalMs)
    return () => clearInterval(timer)
  },
}

export function assertClock(clock: unknown): Clock {
  if (
    typeof clock !== 'object' ||
    clock === null ||
    typeof (clock as Clock).now !== 'function' ||
    typeof (clock as Clock).every !== 'function'
  )
    throw new TypeError('clock: expected an object with now() and every(intervalMs, callback)')
  return clock as Clock
}

export function assertTransport(transport: unknown): void {
  const t = transport as { localId?: unknown; send?: unknown; onMessage?: unknown } | null
  if (
    typeof t !== 'object' ||
    t === null ||
    typeof t.localId !== 'string' ||
    typeof t.send !== 'function' ||
    typeof t.onMessage !== 'function'
  )
    throw new TypeError('transport: expected a Transport')
}
