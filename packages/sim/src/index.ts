/**
 * `@synod/sim`: deterministic simulation for distributed protocols. One seed
 * replays a whole run: a seeded splittable PRNG, a virtual clock, a faulty
 * network (delays, loss, duplicates, reordering, partitions, clogs), disks that
 * lose unsynced data on crash, a nemesis, and a run loop with invariants,
 * liveness and seed sweeps. The linearizability checker is re-exported too.
 *
 * @example
 * ```ts
 * import { runSimulation, sweep } from '@synod/sim'
 * import { expect, it } from 'vitest'
 *
 * it('gossip converges', () => {
 *   sweep({ seeds: 100, expect }, (seed) =>
 *     runSimulation({
 *       seed,
 *       nodeIds: ['n1', 'n2', 'n3'],
 *       node: (ctx) => new GossipNode(ctx),
 *       faultPhaseMs: 2_000,
 *       liveness: (sim) => sim.nodeIds.every((id) => sim.node(id).knowsAll()),
 *       livenessBoundMs: 5_000,
 *     }),
 *   )
 * })
 * ```
 * @packageDocumentation
 */

// biome-ignore assist/source/organizeImports: the checker's re-export stays at the end
export { type DiskStats, SimDisk, type SimDiskOptions } from './disk.js'
export {
  DiskFullError,
  FileNotFoundError,
  NodeStateError,
  type SimErrorCode,
  SimLimitError,
  SimulationFailure,
  type SimulationFailureDetails,
  type SimulationFailureReason,
} from './errors.js'
export {
  type Fault,
  type FaultKind,
  type FaultStep,
  type FaultTarget,
  Nemesis,
  type NemesisContext,
  type NemesisOptions,
} from './nemesis.js'
export {
  type Degradation,
  type DelayDistribution,
  type DropReason,
  type LinkOptions,
  type NetworkStats,
  SimNetwork,
  type SimNetworkOptions,
} from './network.js'
export { Random, type Seed } from './random.js'
export {
  checkDeterminism,
  checkDeterminismAsync,
  flushMicrotasks,
  type Invariant,
  type RunSimulationOptions,
  runSimulation,
  runSimulationAsync,
  type SimulationResult,
} from './run.js'
export { type RunOptions, Scheduler, type SchedulerOptions, type TimerHandle } from './scheduler.js'
export {
  type ClockOptions,
  type NodeContext,
  type NodeStatus,
  Simulation,
  type SimulationOptions,
} from './simulation.js'
export {
  type ExpectLike,
  replayCommand,
  type SweepOptions,
  type SweepReport,
  sweep,
  sweepAsync,
} from './sweep.js'
export { Trace, type TraceOptions } from './trace.js'

// the linearizability checker, re-exported whole (kept last, on purpose)
export * from './check.js'
