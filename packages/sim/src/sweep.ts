import { SimulationFailure } from './errors.js'
import { assertIntegerInRange, assertOptions, show } from './validate.js'

/**
 * The part of vitest's `expect` that `sweep` reads: the current test's name and file.
 * @example
 * ```ts
 * import { expect } from 'vitest'
 * sweep({ expect }, run) // expect.getState() names the test and its file
 * ```
 */
export interface ExpectLike {
  getState(): { currentTestName?: string | undefined; testPath?: string | undefined }
}

/**
 * Options of {@link sweep}.
 * @example
 * ```ts
 * sweep({ seeds: 200, baseSeed: 1_000, packageName: '@synod/raft', testFile: 'test/sim.test.ts', testName: 'raft elects one leader' }, run)
 * ```
 */
export interface SweepOptions {
  /** How many seeds to run (default 100). */
  seeds?: number
  /** How many seeds to run when `SYNOD_SLOW=1` (default 10 × `seeds`). */
  slowSeeds?: number
  /** The first seed (default 1). Seeds run from `baseSeed` to `baseSeed + seeds - 1`. */
  baseSeed?: number
  /** The package to name in the replay command (default: `npm_package_name` from the environment). */
  packageName?: string
  /** The test file, relative to the package folder (default: from `expect`). */
  testFile?: string
  /** The full test name, describe blocks included (default: from `expect`). */
  testName?: string
  /** vitest's `expect`, to read the current test's name and file from. */
  expect?: ExpectLike
  /** Where to read `SYNOD_SEED` and `SYNOD_SLOW` from (default `process.env`). */
  env?: Readonly<Record<string, string | undefined>>
}

/**
 * What a sweep ran.
 * @example
 * ```ts
 * const { seeds, results } = sweep({ seeds: 10, expect }, (seed) => runSimulation({ ...options, seed }))
 * ```
 */
export interface SweepReport<R> {
  /** The seeds that ran, in order. */
  seeds: number[]
  /** What `run` returned for each seed. */
  results: R[]
  /** The replay command template, with `<seed>` in place of the seed. */
  replayCommand: string
}

function defaultEnv(): Readonly<Record<string, string | undefined>> {
  const g = globalThis as { process?: { env?: Record<string, string | undefined> } }
  return g.process?.env ?? {}
}

function defaultCwd(): string | undefined {
  const g = globalThis as { process?: { cwd?: () => string } }
  return g.process?.cwd?.()
}

/** Escapes a string for a regular expression, then for a double-quoted shell word. */
function testNamePattern(testName: string): string {
  // vitest matches -t against the test's full name: its suites and itself joined by spaces
  const pattern = testName
    .split(' > ')
    .join(' ')
    .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  return pattern.replace(/["$`\\]/g, '\\$&')
}

/**
 * The command that replays one seed of a sweep.
 *
 * @example
 * ```ts
 * replayCommand({ seed: 7, packageName: '@synod/raft', testFile: 'test/sim.test.ts', testName: 'raft > elects' })
 * // SYNOD_SEED=7 pnpm --filter @synod/raft exec vitest run test/sim.test.ts -t "raft elects"
 * ```
 */
export function replayCommand(options: {
  seed: number | string
  packageName: string
  testFile: string
  testName: string
}): string {
  return `SYNOD_SEED=${options.seed} pnpm --filter ${options.packageName} exec vitest run ${options.testFile} -t "${testNamePattern(options.testName)}"`
}

function prepare(options: SweepOptions): { seeds: number[]; command: (seed: number | string) => string } {
  assertOptions('options', options)
  const env = options.env ?? defaultEnv()
  const slow = env.SYNOD_SLOW === '1' || env.SYNOD_SLOW === 'true'
  const count = assertIntegerInRange('seeds', options.seeds ?? 100, 1, 10_000_000)
  const slowCount = assertIntegerInRange('slowSeeds', options.slowSeeds ?? count * 10, 1, 100_000_000)
  const baseSeed = assertIntegerInRange(
    'baseSeed',
    options.baseSeed ?? 1,
    Number.MIN_SAFE_INTEGER,
    Number.MAX_SAFE_INTEGER - slowCount,
  )
  for (const key of ['packageName', 'testFile', 'testName'] as const) {
    const value = options[key]
    if (value !== undefined && (typeof value !== 'string' || value.length === 0))
      throw new TypeError(`${key}: expected a non-empty string, got ${show(value)}`)
  }
  if (options.expect !== undefined && typeof options.expect?.getState !== 'function')
    throw new TypeError(`expect: expected vitest's expect, got ${show(options.expect)}`)

  const state = options.expect?.getState() ?? {}
  const packageName = options.packageName ?? env.npm_package_name ?? env.PNPM_PACKAGE_NAME ?? '<package>'
  let testFile = options.testFile
  if (testFile === undefined && state.testPath !== undefined) {
    const cwd = defaultCwd()
    testFile =
      cwd !== undefined && state.testPath.startsWith(`${cwd}/`)
        ? state.testPath.slice(cwd.length + 1)
        : state.testPath
  }
  const testName = options.testName ?? state.currentTestName ?? '<test name>'
  const command = (seed: number | string) =>
    replayCommand({ seed, packageName, testFile: testFile ?? '<test file>', testName })

  let seeds: number[]
  const only = env.SYNOD_SEED
  if (only !== undefined && only !== '') {
    const seed = Number(only)
    if (!/^-?\d+$/.test(only.trim()) || !Number.isSafeInteger(seed))
      throw new RangeError(`SYNOD_SEED: expected a safe integer, got ${show(only)}`)
    seeds = [seed]
  } else {
    const n = slow ? slowCount : count
    seeds = Array.from({ length: n }, (_, i) => baseSeed + i)
  }
  return { seeds, command }
}

function failureOf(
  error: unknown,
  seed: number,
  command: (seed: number | string) => string,
): SimulationFailure {
  if (SimulationFailure.isInstance(error) && String(error.seed) === String(seed))
    return error.withReplayCommand(command(seed))
  // anything else (an assertion, or a nested run of another seed): a failure of this seed
  return new SimulationFailure({
    seed,
    reason: 'error',
    detail: `the run threw: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
    atMs: SimulationFailure.isInstance(error) ? error.atMs : 0,
    events: SimulationFailure.isInstance(error) ? error.events : 0,
    traceHash: SimulationFailure.isInstance(error) ? error.traceHash : '0000000000000000',
    replayCommand: command(seed),
    cause: error,
  })
}

/**
 * Runs `run(seed)` for seeds `baseSeed .. baseSeed + seeds - 1` (10× more with
 * `SYNOD_SLOW=1`), or only for `SYNOD_SEED` when that is set, and stops at the
 * first failure. Call it inside a vitest test. A failure is rethrown as a
 * {@link SimulationFailure} whose message names the seed and the command that
 * replays it:
 *
 * `SYNOD_SEED=<n> pnpm --filter <package> exec vitest run <test file> -t "<test name>"`
 *
 * The package comes from `packageName` or the `npm_package_name` variable that
 * pnpm sets; the file and name from `testFile`/`testName`, or from vitest's
 * `expect.getState()` when `expect` is passed (the file relative to the
 * current directory, which is the package folder under `pnpm test`).
 *
 * @throws {SimulationFailure} for the first failing seed
 * @throws {RangeError} when `SYNOD_SEED` is not a safe integer
 * @example
 * ```ts
 * import { expect, it } from 'vitest'
 * it('survives partitions', () => {
 *   sweep({ seeds: 50, expect }, (seed) => runSimulation({ ...options, seed }))
 * })
 * ```
 */
export function sweep<R>(options: SweepOptions, run: (seed: number) => R): SweepReport<R> {
  if (typeof run !== 'function') throw new TypeError(`run: expected a function, got ${show(run)}`)
  const { seeds, command } = prepare(options)
  const results: R[] = []
  for (const seed of seeds) {
    try {
      results.push(run(seed))
    } catch (error) {
      throw failureOf(error, seed, command)
    }
  }
  return { seeds, results, replayCommand: command('<seed>') }
}

/**
 * {@link sweep} for asynchronous runs (`runSimulationAsync`): seeds run one after another.
 *
 * @throws {SimulationFailure} for the first failing seed
 * @example
 * ```ts
 * it('raft survives faults', async () => {
 *   await sweepAsync({ seeds: 50, expect }, (seed) => runSimulationAsync({ ...options, seed }))
 * })
 * ```
 */
export async function sweepAsync<R>(
  options: SweepOptions,
  run: (seed: number) => Promise<R>,
): Promise<SweepReport<R>> {
  if (typeof run !== 'function') throw new TypeError(`run: expected a function, got ${show(run)}`)
  const { seeds, command } = prepare(options)
  const results: R[] = []
  for (const seed of seeds) {
    try {
      results.push(await run(seed))
    } catch (error) {
      throw failureOf(error, seed, command)
    }
  }
  return { seeds, results, replayCommand: command('<seed>') }
}
