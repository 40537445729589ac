/**
 * The timing loop the suites share: call `run` until at least `minMs` have passed
 * on `clock`, then report operations per second.
 */

/** Wall-clock milliseconds. */
export const wallMs = (): number => performance.now()

/**
 * CPU milliseconds this process has used (user + system). On a shared machine the
 * wall clock also counts the time other processes hold the core; CPU time does not.
 */
export function cpuMs(): number {
  const usage = process.cpuUsage()
  return (usage.user + usage.system) / 1000
}

export interface RateOptions {
  /** Keep calling until this many milliseconds have passed on `clock`. */
  minMs: number
  /** Operations one call of `run` performs (default 1). */
  perCall?: number
  /** The clock to measure with (default the wall clock). */
  clock?: () => number
}

/** Operations per second of `run`, called repeatedly for at least `minMs`. */
export function ratePerSecond(run: () => unknown, options: RateOptions): number {
  const clock = options.clock ?? wallMs
  let calls = 0
  const start = clock()
  let elapsed = 0
  do {
    run()
    calls++
    elapsed = clock() - start
  } while (elapsed < options.minMs)
  return (calls * (options.perCall ?? 1) * 1000) / elapsed
}

/** `ratePerSecond` for a `run` that returns a Promise: each call is awaited before the next. */
export async function ratePerSecondAsync(run: () => Promise<unknown>, options: RateOptions): Promise<number> {
  const clock = options.clock ?? wallMs
  let calls = 0
  const start = clock()
  let elapsed = 0
  do {
    await run()
    calls++
    elapsed = clock() - start
  } while (elapsed < options.minMs)
  return (calls * (options.perCall ?? 1) * 1000) / elapsed
}
