import type { NodeId } from '@synod/transport'
import { SimLimitError, SimulationFailure, type SimulationFailureReason } from './errors.js'
import { type FaultStep, Nemesis, type NemesisOptions } from './nemesis.js'
import type { NetworkStats } from './network.js'
import { Simulation, type SimulationOptions } from './simulation.js'
import {
  assertFunction,
  assertIntegerInRange,
  assertNumberInRange,
  assertOptions,
  MAX_DELAY_MS,
  show,
} from './validate.js'

/**
 * A safety check run after every event. It fails by throwing, or by returning
 * `false` or a message string; anything else passes.
 * @example
 * ```ts
 * const oneLeader: Invariant<Msg, RaftNode> = (sim) => sim.upIds().filter((id) => sim.node(id).isLeader()).length <= 1 || 'two leaders'
 * ```
 */
export type Invariant<M, N> = (sim: Simulation<M, N>) => unknown

/**
 * Options of {@link runSimulation}: a {@link Simulation} plus the phases and checks of the run.
 * @example
 * ```ts
 * const options: RunSimulationOptions<Msg, Node> = { seed: 1, nodeIds: ['n1', 'n2', 'n3'], node: (ctx) => new Node(ctx), faultPhaseMs: 5_000 }
 * ```
 */
export interface RunSimulationOptions<M, N> extends SimulationOptions<M, N> {
  /** How long faults are injected, in virtual milliseconds. Everything heals at the end. */
  faultPhaseMs: number
  /**
   * The faults: options of a random nemesis (the default, with every kind),
   * a scripted list of steps, or `false` for none.
   */
  nemesis?: NemesisOptions | readonly FaultStep[] | false
  /** Finds the current leader, for faults that target `'leader'`. */
  leader?: (sim: Simulation<M, N>) => NodeId | undefined
  /** Called once the simulation exists, before any event: start clients and drivers here. */
  setup?: (sim: Simulation<M, N>) => void
  /** Safety checks, run after every event (fault phase and heal phase). */
  invariants?: readonly Invariant<M, N>[]
  /**
   * Must hold within `livenessBoundMs` after the heal. Checked at the heal and
   * after every event after it; the run ends when it holds.
   */
  liveness?: (sim: Simulation<M, N>) => boolean
  /** The bound for `liveness`, in virtual milliseconds after the heal (default 10,000). */
  livenessBoundMs?: number
  /** Without `liveness`: how long to run after the heal (default `livenessBoundMs`). */
  healPhaseMs?: number
  /** A last check when the run ends (for example a linearizability check of the history). Fails like an invariant. */
  finalCheck?: Invariant<M, N>
  /** The most events the whole run may execute (default 5,000,000). */
  maxEvents?: number
  /** The command that replays this run, put in any failure's message (`sweep` sets it). */
  replayCommand?: string
}

/**
 * What a successful run reports.
 * @example
 * ```ts
 * const { traceHash, events, livenessAtMs } = runSimulation(options)
 * ```
 */
export interface SimulationResult {
  seed: SimulationOptions<unknown, unknown>['seed']
  /** The trace hash at the end: equal for two runs of the same seed. */
  traceHash: string
  /** Events executed. */
  events: number
  /** Virtual time at the end, in milliseconds. */
  endMs: number
  /** Virtual time at which liveness held, when a liveness predicate was given. */
  livenessAtMs: number | undefined
  /** Faults the nemesis applied. */
  faults: number
  network: NetworkStats
}

const TRACE_TAIL_LINES = 40

function verdict(outcome: unknown): string | undefined {
  if (outcome === false) return 'returned false'
  if (typeof outcome === 'string') return outcome
  return undefined
}

function nameOf(fn: (...args: never[]) => unknown, fallback: string): string {
  return fn.name !== '' ? fn.name : fallback
}

/**
 * Runs one seeded simulation: `setup`, a fault phase of `faultPhaseMs` with the
 * nemesis, then a full heal, then up to `livenessBoundMs` for `liveness` to
 * hold; `invariants` are checked after every event and `finalCheck` at the end.
 * Any failure (a broken invariant, missed liveness, an exception in node code,
 * a limit) throws a {@link SimulationFailure} naming the seed.
 *
 * @throws {SimulationFailure} when the run fails
 * @example
 * ```ts
 * const result = runSimulation({
 *   seed: 42,
 *   nodeIds: ['n1', 'n2', 'n3'],
 *   node: (ctx) => new EchoNode(ctx),
 *   faultPhaseMs: 5_000,
 *   invariants: [(sim) => atMostOneLeaderPerTerm(sim)],
 *   liveness: (sim) => everyoneAgrees(sim),
 *   livenessBoundMs: 5_000,
 * })
 * console.log(result.traceHash)
 * ```
 */
export function runSimulation<M, N>(options: RunSimulationOptions<M, N>): SimulationResult {
  const loop = runLoop(options)
  for (;;) {
    const next = loop.next()
    if (next.done) return next.value
  }
}

/**
 * Like {@link runSimulation}, for node or driver code that uses Promises (an
 * async storage API, say): after every event it lets all pending microtasks
 * run (one `setImmediate` turn; no virtual time passes) before checking
 * invariants and running the next event. Microtasks run in a deterministic
 * order, so a seed still replays exactly, provided the code awaits nothing but
 * the simulation (no real I/O, no real timers). About 10× slower per event than
 * the synchronous loop.
 *
 * @throws {SimulationFailure} when the run fails
 * @example
 * ```ts
 * const result = await runSimulationAsync({ ...options, node: (ctx) => new RaftDriver(ctx) })
 * ```
 */
export async function runSimulationAsync<M, N>(
  options: RunSimulationOptions<M, N>,
): Promise<SimulationResult> {
  const loop = runLoop(options)
  for (;;) {
    const next = loop.next()
    if (next.done) return next.value
    await flushMicrotasks()
  }
}

/**
 * Resolves once every microtask queued so far, and every microtask those queue,
 * has run (it waits for one `setImmediate` turn of the event loop).
 *
 * @example
 * ```ts
 * sim.step()
 * await flushMicrotasks() // the promise chains the event started have settled
 * ```
 */
export function flushMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

/** The run loop, shared by the synchronous and asynchronous runners: it yields after every event. */
function* runLoop<M, N>(
  options: RunSimulationOptions<M, N>,
): Generator<undefined, SimulationResult, undefined> {
  assertOptions('options', options)
  if (options === undefined) throw new TypeError('options: expected an options object, got undefined')
  const faultPhaseMs = assertNumberInRange('faultPhaseMs', options.faultPhaseMs, 0, MAX_DELAY_MS)
  const livenessBoundMs = assertNumberInRange(
    'livenessBoundMs',
    options.livenessBoundMs ?? 10_000,
    0,
    MAX_DELAY_MS,
  )
  const healPhaseMs = assertNumberInRange(
    'healPhaseMs',
    options.healPhaseMs ?? livenessBoundMs,
    0,
    MAX_DELAY_MS,
  )
  const maxEvents = assertIntegerInRange(
    'maxEvents',
    options.maxEvents ?? 5_000_000,
    1,
    Number.MAX_SAFE_INTEGER,
  )
  const invariants = options.invariants ?? []
  if (!Array.isArray(invariants))
    throw new TypeError(`invariants: expected an array of functions, got ${show(invariants)}`)
  invariants.forEach((inv, i) => assertFunction(`invariants[${i}]`, inv))
  if (options.liveness !== undefined) assertFunction('liveness', options.liveness)
  if (options.finalCheck !== undefined) assertFunction('finalCheck', options.finalCheck)
  if (options.setup !== undefined) assertFunction('setup', options.setup)
  if (options.leader !== undefined) assertFunction('leader', options.leader)
  if (options.replayCommand !== undefined && typeof options.replayCommand !== 'string')
    throw new TypeError(`replayCommand: expected a string, got ${show(options.replayCommand)}`)

  let sim: Simulation<M, N> | undefined
  let phase = 'setup'
  const fail = (reason: SimulationFailureReason, detail: string, cause?: unknown): SimulationFailure =>
    new SimulationFailure({
      seed: options.seed,
      reason,
      detail,
      atMs: sim?.now ?? 0,
      events: sim?.scheduler.eventsRun ?? 0,
      traceHash: sim?.trace.hash ?? '0000000000000000',
      traceTail: sim?.trace.lines.slice(-TRACE_TAIL_LINES) ?? [],
      ...(options.replayCommand === undefined ? {} : { replayCommand: options.replayCommand }),
      ...(cause === undefined ? {} : { cause }),
    })
  const check = (
    s: Simulation<M, N>,
    invariant: Invariant<M, N>,
    label: string,
    reason: SimulationFailureReason,
  ) => {
    let outcome: unknown
    try {
      outcome = invariant(s)
    } catch (error) {
      throw fail(reason, `${label} failed in the ${phase} phase: ${errorText(error)}`, error)
    }
    const message = verdict(outcome)
    if (message !== undefined) throw fail(reason, `${label} failed in the ${phase} phase: ${message}`)
  }
  const labels = invariants.map((invariant, i) => `invariant ${nameOf(invariant, `invariants[${i}]`)}`)
  const checkAll = (s: Simulation<M, N>) => {
    for (let i = 0; i < invariants.length; i++)
      check(s, invariants[i] as Invariant<M, N>, labels[i] as string, 'invariant')
  }

  try {
    sim = new Simulation<M, N>(options)
    const s = sim
    options.setup?.(s)
    yield
    let nemesis: Nemesis<M, N> | undefined
    if (options.nemesis !== false) {
      const leader = options.leader
      nemesis = new Nemesis(s, leader === undefined ? {} : { leader: () => leader(s) })
      if (Array.isArray(options.nemesis)) nemesis.script(options.nemesis as readonly FaultStep[])
      else nemesis.random((options.nemesis ?? {}) as NemesisOptions, faultPhaseMs)
    }
    phase = 'fault'
    checkAll(s)
    const budget = () => {
      if (s.scheduler.eventsRun >= maxEvents)
        throw new SimLimitError('maxEvents', maxEvents, `the run did not end by t=${s.now}ms`)
    }
    // fault phase
    for (;;) {
      const next = s.scheduler.nextAtMs()
      if (next === undefined || next > faultPhaseMs) break
      budget()
      s.step()
      yield
      checkAll(s)
    }
    s.scheduler.runUntil(faultPhaseMs)
    phase = 'heal'
    if (nemesis) nemesis.stop()
    else s.heal()
    yield
    checkAll(s)
    const healedAtMs = s.now
    const deadline = healedAtMs + (options.liveness ? livenessBoundMs : healPhaseMs)
    let livenessAtMs: number | undefined
    const live = () => {
      try {
        return (options.liveness as (sim: Simulation<M, N>) => boolean)(s) === true
      } catch (error) {
        throw fail('liveness', `liveness threw in the heal phase: ${errorText(error)}`, error)
      }
    }
    if (options.liveness && live()) livenessAtMs = s.now
    while (livenessAtMs === undefined) {
      const next = s.scheduler.nextAtMs()
      if (next === undefined || next > deadline) {
        if (!options.liveness) break
        s.scheduler.runUntil(Math.max(s.now, Math.min(deadline, next ?? deadline)))
        throw fail(
          'liveness',
          next === undefined
            ? `liveness did not hold and nothing is left to run (${s.now - healedAtMs}ms after the heal)`
            : `liveness did not hold within livenessBoundMs=${livenessBoundMs} after the heal at t=${healedAtMs}ms`,
        )
      }
      budget()
      s.step()
      yield
      checkAll(s)
      if (options.liveness && live()) livenessAtMs = s.now
    }
    if (!options.liveness) s.scheduler.runUntil(deadline)
    phase = 'final'
    if (options.finalCheck) check(s, options.finalCheck, 'finalCheck', 'check')
    return {
      seed: options.seed,
      traceHash: s.trace.hash,
      events: s.scheduler.eventsRun,
      endMs: s.now,
      livenessAtMs,
      faults: nemesis?.faults ?? 0,
      network: s.network.stats,
    }
  } catch (error) {
    if (SimulationFailure.isInstance(error)) throw error
    if (SimLimitError.isInstance(error)) throw fail('limit', error.message, error)
    throw fail('error', `node or driver code threw in the ${phase} phase: ${errorText(error)}`, error)
  }
}

function errorText(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`
  return String(error)
}

/**
 * Runs the same seed twice and compares the trace hashes (and, when the runs
 * fail, the failures). Returns the first run's result, or rethrows its failure
 * when both runs failed the same way.
 *
 * @throws {SimulationFailure} with reason `nondeterminism` when the runs differ, or the run's own failure
 * @example
 * ```ts
 * checkDeterminism({ ...options, seed: 7 }) // throws if anything leaks real time or Math.random
 * ```
 */
export function checkDeterminism<M, N>(options: RunSimulationOptions<M, N>): SimulationResult {
  const attempt = (): Attempt => {
    try {
      return { result: runSimulation(options), failure: undefined }
    } catch (error) {
      if (!SimulationFailure.isInstance(error)) throw error
      return { result: undefined, failure: error }
    }
  }
  return compareAttempts(options, attempt(), attempt())
}

type Attempt =
  | { result: SimulationResult; failure: undefined }
  | { result: undefined; failure: SimulationFailure }

function compareAttempts<M, N>(
  options: RunSimulationOptions<M, N>,
  first: Attempt,
  second: Attempt,
): SimulationResult {
  const hashOf = (a: Attempt) => a.result?.traceHash ?? a.failure?.traceHash
  const eventsOf = (a: Attempt) => a.result?.events ?? a.failure?.events
  if (hashOf(first) !== hashOf(second) || eventsOf(first) !== eventsOf(second)) {
    throw new SimulationFailure({
      seed: options.seed,
      reason: 'nondeterminism',
      detail: `two runs of the same seed differ: trace ${hashOf(first)} after ${eventsOf(first)} events, then ${hashOf(second)} after ${eventsOf(second)} events (something reads real time, Math.random, or unordered state)`,
      atMs: first.result?.endMs ?? first.failure?.atMs ?? 0,
      events: eventsOf(first) ?? 0,
      traceHash: hashOf(first) ?? '0000000000000000',
      ...(options.replayCommand === undefined ? {} : { replayCommand: options.replayCommand }),
    })
  }
  if (first.failure) throw first.failure
  return first.result as SimulationResult
}

/**
 * {@link checkDeterminism} for {@link runSimulationAsync}.
 *
 * @throws {SimulationFailure} with reason `nondeterminism` when the runs differ, or the run's own failure
 * @example
 * ```ts
 * await checkDeterminismAsync({ ...options, seed: 7 })
 * ```
 */
export async function checkDeterminismAsync<M, N>(
  options: RunSimulationOptions<M, N>,
): Promise<SimulationResult> {
  const attempt = async (): Promise<Attempt> => {
    try {
      return { result: await runSimulationAsync(options), failure: undefined }
    } catch (error) {
      if (!SimulationFailure.isInstance(error)) throw error
      return { result: undefined, failure: error }
    }
  }
  return compareAttempts(options, await attempt(), await attempt())
}
