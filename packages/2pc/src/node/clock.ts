/**
 * What ticks a core. The default is real timers; simulations and tests pass a
 * virtual one, so the same driver runs on both.
 */

/**
 * A source of periodic callbacks.
 *
 * @example
 * ```ts
 * // a simulated node's ticker, from @synod/sim's NodeContext
 * const ticker: Ticker = { every: (ms, fn) => { const timer = ctx.every(ms, fn); return () => timer.cancel() } }
 * ```
 */
export interface Ticker {
  /** Calls `callback` every `intervalMs` until the returned function is called. */
  every(intervalMs: number, callback: () => void): () => void
}

/**
 * Real timers (`setInterval`, unref'd so a forgotten driver does not keep the process alive).
 *
 * @example
 * ```ts
 * const stop = systemTicker.every(10, () => core.tick())
 * stop()
 * ```
 */
export const systemTicker: Ticker = {
  every(intervalMs, callback) {
    const handle = setInterval(callback, intervalMs)
    handle.unref?.()
    return () => clearInterval(handle)
  },
}
