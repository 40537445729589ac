import { SynodError } from '@synod/transport'

/**
 * Stable error codes raised by `@synod/sim`.
 * @example
 * ```ts
 * if (SynodError.isInstance(error) && error.code === 'ERR_SIM_LIMIT') raiseTheLimit()
 * ```
 */
export type SimErrorCode =
  | 'ERR_SIMULATION_FAILED'
  | 'ERR_SIM_LIMIT'
  | 'ERR_SIM_FILE_NOT_FOUND'
  | 'ERR_SIM_DISK_FULL'
  | 'ERR_SIM_NODE_STATE'

function hasCode(error: unknown, code: SimErrorCode): boolean {
  return SynodError.isInstance(error) && error.code === code
}

/**
 * Why a simulation failed.
 * @example
 * ```ts
 * if (failure.reason === 'liveness') console.log('no progress after the heal')
 * ```
 */
export type SimulationFailureReason =
  | 'invariant'
  | 'liveness'
  | 'error'
  | 'limit'
  | 'check'
  | 'nondeterminism'

/**
 * The structured fields of a {@link SimulationFailure}.
 * @example
 * ```ts
 * new SimulationFailure({ seed: 7, reason: 'invariant', detail: 'two leaders in term 3', atMs: 1200, events: 5310, traceHash: sim.trace.hash })
 * ```
 */
export interface SimulationFailureDetails {
  /** The seed of the failing run, as given. */
  seed: number | bigint | string
  reason: SimulationFailureReason
  /** What went wrong, in one line. */
  detail: string
  /** Virtual time of the failure, in milliseconds. */
  atMs: number
  /** Events executed before the failure. */
  events: number
  /** The running trace hash at the failure (16 hex digits). */
  traceHash: string
  /** The last lines of the text trace, when one was kept. */
  traceTail?: readonly string[]
  /** The shell command that replays exactly this run, when known. */
  replayCommand?: string
  cause?: unknown
}

/**
 * A simulation run broke an invariant, missed its liveness bound, threw, hit a
 * limit, or was not deterministic. The message always names the seed
 * (`seed=<n>`) and, when known, the one command that replays the run.
 *
 * @example
 * ```ts
 * try { runSimulation(options) } catch (error) {
 *   if (SimulationFailure.isInstance(error)) console.log(error.seed, error.replayCommand)
 * }
 * ```
 */
export class SimulationFailure extends SynodError {
  readonly seed: number | bigint | string
  readonly reason: SimulationFailureReason
  readonly detail: string
  readonly atMs: number
  readonly events: number
  readonly traceHash: string
  readonly traceTail: readonly string[]
  readonly replayCommand: string | undefined

  constructor(details: SimulationFailureDetails) {
    const lines = [
      `simulation failed at seed=${String(details.seed)} (${details.reason} at t=${details.atMs}ms, after ${details.events} events, trace ${details.traceHash}): ${details.detail}`,
    ]
    if (details.replayCommand !== undefined) lines.push(`replay: ${details.replayCommand}`)
    if (details.traceTail && details.traceTail.length > 0) {
      lines.push(`last ${details.traceTail.length} trace lines:`, ...details.traceTail.map((l) => `  ${l}`))
    }
    super('ERR_SIMULATION_FAILED', lines.join('\n'), { cause: details.cause })
    this.seed = details.seed
    this.reason = details.reason
    this.detail = details.detail
    this.atMs = details.atMs
    this.events = details.events
    this.traceHash = details.traceHash
    this.traceTail = details.traceTail ?? []
    this.replayCommand = details.replayCommand
  }

  /** The same failure, with the command that replays it in its message. */
  withReplayCommand(replayCommand: string): SimulationFailure {
    const copy = new SimulationFailure({
      seed: this.seed,
      reason: this.reason,
      detail: this.detail,
      atMs: this.atMs,
      events: this.events,
      traceHash: this.traceHash,
      traceTail: this.traceTail,
      replayCommand,
      cause: this.cause,
    })
    return copy
  }

  static override isInstance(error: unknown): error is SimulationFailure {
    return hasCode(error, 'ERR_SIMULATION_FAILED')
  }
}

/**
 * A bound of the simulator was reached: too many pending events, too many
 * events in one run, too many held messages. A runaway protocol, or a limit to raise.
 *
 * @example
 * ```ts
 * scheduler.runUntilIdle({ maxEvents: 10 }) // throws SimLimitError when more than 10 events run
 * ```
 */
export class SimLimitError extends SynodError {
  /** Which limit, e.g. `maxEvents`. */
  readonly limit: string
  readonly value: number
  constructor(limit: string, value: number, detail: string) {
    super('ERR_SIM_LIMIT', `${limit} (${value}) reached: ${detail}`)
    this.limit = limit
    this.value = value
  }
  static override isInstance(error: unknown): error is SimLimitError {
    return hasCode(error, 'ERR_SIM_LIMIT')
  }
}

/**
 * A `SimDisk` read, sync, truncate or rename of a file that does not exist.
 *
 * @example
 * ```ts
 * disk.read('missing') // throws FileNotFoundError: file "missing" does not exist
 * ```
 */
export class FileNotFoundError extends SynodError {
  readonly path: string
  constructor(path: string) {
    super('ERR_SIM_FILE_NOT_FOUND', `file "${path}" does not exist`)
    this.path = path
  }
  static override isInstance(error: unknown): error is FileNotFoundError {
    return hasCode(error, 'ERR_SIM_FILE_NOT_FOUND')
  }
}

/**
 * A `SimDisk` write that would exceed the disk's size or file-count limit.
 *
 * @example
 * ```ts
 * const disk = new SimDisk({ maxTotalBytes: 4 })
 * disk.write('f', new Uint8Array(5)) // throws DiskFullError
 * ```
 */
export class DiskFullError extends SynodError {
  readonly path: string
  constructor(path: string, detail: string) {
    super('ERR_SIM_DISK_FULL', `cannot write "${path}": ${detail}`)
    this.path = path
  }
  static override isInstance(error: unknown): error is DiskFullError {
    return hasCode(error, 'ERR_SIM_DISK_FULL')
  }
}

/**
 * A node operation that does not fit the node's state: restarting a node that
 * is up, pausing a crashed node, addressing an id that is not in the simulation.
 *
 * @example
 * ```ts
 * sim.restart('n1') // throws NodeStateError: node "n1" is running, not crashed
 * ```
 */
export class NodeStateError extends SynodError {
  readonly nodeId: string
  constructor(nodeId: string, detail: string) {
    super('ERR_SIM_NODE_STATE', `node "${nodeId}" ${detail}`)
    this.nodeId = nodeId
  }
  static override isInstance(error: unknown): error is NodeStateError {
    return hasCode(error, 'ERR_SIM_NODE_STATE')
  }
}
