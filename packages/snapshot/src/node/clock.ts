/**
 * The clock a {@link SnapshotNode} ticks its core with. The default uses real
 * timers; simulations pass a virtual one, so the same driver runs on both.
 */

/**
 * A source of periodic callbacks.
 *
 * @example
 * ```ts
 * // a simulated node's timers, from @synod/sim's NodeContext
 * const clock: Clock = { every: (ms, fn) => { const timer = ctx.every(ms, fn); return () => timer.cancel() } }
 * ```
 */
export interface Clock {
  /** Calls `callback` every `intervalMs` until the returned function is called. */
  every(intervalMs: number, callback: () => void): () => void
}

/**
 * Real timers (`setInterval`), unref'd so an idle node does not keep the process alive.
 *
 * @example
 * ```ts
 * const stop = intervalClock.every(10, () => core.tick())
 * stop()
 * ```
 */
export const intervalClock: Clock = {
  every(intervalMs, callback) {
    const timer = setInterval(callback, intervalMs)
    timer.unref?.()
    return () => clearInterval(timer)
  },
}
