import { assertNodeId, type NodeId } from '@synod/transport'
import type { Random } from './random.js'
import type { TimerHandle } from './scheduler.js'
import type { Simulation } from './simulation.js'
import { assertIntegerInRange, assertNumberInRange, assertOptions, MAX_DELAY_MS, show } from './validate.js'

/**
 * A node to act on: an id, `'leader'` (from the nemesis' `leader` option, else a random node), or random when left out.
 * @example
 * ```ts
 * const target: FaultTarget = 'leader'
 * ```
 */
export type FaultTarget = NodeId | 'leader'

/**
 * One fault. Fields left out are drawn from the nemesis' random stream.
 *
 * - `partition`: the nodes split into two random halves (a minority and a
 *   majority when `majority` is true, the default), or the given `groups`.
 * - `isolate`: one node cut off from the others.
 * - `one-way`: the link `from -> to` blocked, the reverse still open.
 * - `bridge`: two halves that only talk through one node.
 * - `clog`: the links `from <-> to` hold their messages until healed.
 * - `degrade`: extra loss, duplication and reordering on every link.
 * - `crash`: a node crashes, then restarts after `restartAfterMs`.
 * - `pause`: a node pauses, then resumes after `resumeAfterMs`.
 * - `clock-skew`: a node's clock jumps by `offsetMs` (restored by heal).
 * - `heal`: every network fault ends (crashed and paused nodes are left as they are).
 * @example
 * ```ts
 * const fault: Fault = { kind: 'crash', node: 'leader', restartAfterMs: 500 }
 * ```
 */
export type Fault =
  | { kind: 'partition'; groups?: readonly (readonly NodeId[])[]; majority?: boolean }
  | { kind: 'isolate'; node?: FaultTarget }
  | { kind: 'one-way'; from?: NodeId; to?: NodeId }
  | { kind: 'bridge' }
  | { kind: 'clog'; from?: NodeId; to?: NodeId }
  | { kind: 'degrade'; lossRate?: number; duplicateRate?: number; reorderRate?: number }
  | { kind: 'crash'; node?: FaultTarget; restartAfterMs?: number }
  | { kind: 'pause'; node?: FaultTarget; resumeAfterMs?: number }
  | { kind: 'clock-skew'; node?: FaultTarget; offsetMs?: number }
  | { kind: 'heal' }

/**
 * The kinds of {@link Fault}.
 * @example
 * ```ts
 * const kinds: FaultKind[] = ['partition', 'crash', 'clock-skew']
 * ```
 */
export type FaultKind = Fault['kind']

/**
 * A scripted fault: `fault` happens at virtual time `atMs`.
 * @example
 * ```ts
 * const step: FaultStep = { atMs: 2_000, fault: { kind: 'bridge' } }
 * ```
 */
export interface FaultStep {
  atMs: number
  fault: Fault
}

/**
 * Options of a random nemesis.
 * @example
 * ```ts
 * nemesis.random({ kinds: ['partition', 'pause'], intervalMs: { minMs: 200, maxMs: 800 }, maxDown: 1 }, 10_000)
 * ```
 */
export interface NemesisOptions {
  /** Which faults to draw from (default: all but `heal`). */
  kinds?: readonly FaultKind[]
  /** The time between two faults is uniform in [minMs, maxMs] (default 100–1000). */
  intervalMs?: { minMs: number; maxMs: number }
  /** The most nodes crashed or paused at once (default: a minority, floor((n - 1) / 2)). */
  maxDown?: number
}

/**
 * What the nemesis needs besides the simulation.
 * @example
 * ```ts
 * new Nemesis(sim, { leader: () => sim.nodeIds.find((id) => sim.node(id).role === 'leader') })
 * ```
 */
export interface NemesisContext {
  /** Finds the current leader, for faults that target `'leader'`. */
  leader?: () => NodeId | undefined
}

const ALL_KINDS: readonly FaultKind[] = [
  'partition',
  'isolate',
  'one-way',
  'bridge',
  'clog',
  'degrade',
  'crash',
  'pause',
  'clock-skew',
]

function assertFault(name: string, fault: unknown): asserts fault is Fault {
  if (typeof fault !== 'object' || fault === null)
    throw new TypeError(`${name}: expected a fault object, got ${show(fault)}`)
  const kind = (fault as { kind?: unknown }).kind
  if (kind !== 'heal' && !ALL_KINDS.includes(kind as FaultKind))
    throw new RangeError(
      `${name}.kind: expected one of ${[...ALL_KINDS, 'heal'].join(', ')}, got ${show(kind)}`,
    )
}

/**
 * Injects faults into a {@link Simulation}: a random schedule drawn from the
 * seed (stream `nemesis`), or a scripted list of timed steps. In a random
 * schedule each new network fault replaces the previous one (the network is
 * healed first); scripted network faults add up until a `heal` step. Crashed
 * and paused nodes come back after their own delay. `stop()` cancels what is
 * pending and heals everything (`sim.heal()`).
 *
 * @example
 * ```ts
 * const nemesis = new Nemesis(sim, { leader: () => findLeader(sim) })
 * nemesis.random({ kinds: ['partition', 'crash'], intervalMs: { minMs: 200, maxMs: 800 } }, 10_000)
 * sim.runUntil(10_000)
 * nemesis.stop() // everything heals
 * ```
 */
export class Nemesis<M, N> {
  private readonly sim: Simulation<M, N>
  private readonly rng: Random
  private readonly leader: (() => NodeId | undefined) | undefined
  private readonly pending = new Set<TimerHandle>()
  private maxDown: number
  /** Faults applied so far. */
  faults = 0

  constructor(sim: Simulation<M, N>, context: NemesisContext = {}) {
    assertOptions('context', context)
    if (typeof sim?.heal !== 'function') throw new TypeError(`sim: expected a Simulation, got ${show(sim)}`)
    if (context.leader !== undefined && typeof context.leader !== 'function')
      throw new TypeError(`leader: expected a function, got ${show(context.leader)}`)
    this.sim = sim
    this.rng = sim.random.split('nemesis')
    this.leader = context.leader
    this.maxDown = Math.floor((sim.nodeIds.length - 1) / 2)
  }

  private later(delayMs: number, action: () => void): void {
    const handle = this.sim.scheduler.schedule(delayMs, () => {
      this.pending.delete(handle)
      action()
    })
    this.pending.add(handle)
  }

  /**
   * Schedules a random fault every interval until `untilMs` (virtual time).
   * @example
   * ```ts
   * nemesis.random({}, 5_000)
   * ```
   */
  random(options: NemesisOptions, untilMs: number): void {
    assertOptions('options', options)
    const kinds = options.kinds ?? ALL_KINDS
    if (!Array.isArray(kinds) || kinds.length === 0)
      throw new TypeError(`kinds: expected a non-empty array of fault kinds, got ${show(kinds)}`)
    kinds.forEach((kind, i) => assertFault(`kinds[${i}]`, { kind }))
    assertOptions('intervalMs', options.intervalMs)
    const minMs = assertNumberInRange('intervalMs.minMs', options.intervalMs?.minMs ?? 100, 1, MAX_DELAY_MS)
    const maxMs = assertNumberInRange(
      'intervalMs.maxMs',
      options.intervalMs?.maxMs ?? 1000,
      minMs,
      MAX_DELAY_MS,
    )
    assertNumberInRange('untilMs', untilMs, 0, MAX_DELAY_MS)
    if (options.maxDown !== undefined)
      this.maxDown = assertIntegerInRange('maxDown', options.maxDown, 0, this.sim.nodeIds.length)
    const tick = () => {
      const kind = this.rng.pick(kinds)
      // the network fault of the previous interval ends before the next one starts
      this.sim.network.heal()
      this.apply({ kind } as Fault, { minMs, maxMs })
      const next = minMs + this.rng.float() * (maxMs - minMs)
      if (this.sim.now + next < untilMs) this.later(next, tick)
    }
    const first = minMs + this.rng.float() * (maxMs - minMs)
    if (this.sim.now + first < untilMs) this.later(first, tick)
  }

  /**
   * Schedules the given steps (times are absolute virtual times, not before now).
   * @example
   * ```ts
   * nemesis.script([
   *   { atMs: 1_000, fault: { kind: 'isolate', node: 'leader' } },
   *   { atMs: 3_000, fault: { kind: 'heal' } },
   *   { atMs: 4_000, fault: { kind: 'crash', node: 'n2', restartAfterMs: 500 } },
   * ])
   * ```
   */
  script(steps: readonly FaultStep[]): void {
    if (!Array.isArray(steps))
      throw new TypeError(`steps: expected an array of fault steps, got ${show(steps)}`)
    steps.forEach((step, i) => {
      assertOptions(`steps[${i}]`, step)
      assertNumberInRange(`steps[${i}].atMs`, step?.atMs, this.sim.now, MAX_DELAY_MS)
      assertFault(`steps[${i}].fault`, step.fault)
    })
    for (const step of steps) this.later(step.atMs - this.sim.now, () => this.apply(step.fault, undefined))
  }

  /**
   * Cancels pending faults and heals everything now.
   * @example
   * ```ts
   * nemesis.stop()
   * ```
   */
  stop(): void {
    for (const handle of this.pending) handle.cancel()
    this.pending.clear()
    this.sim.heal()
  }

  private target(target: FaultTarget | undefined, candidates: readonly NodeId[]): NodeId | undefined {
    if (target === 'leader') {
      const leader = this.leader?.()
      if (leader !== undefined && candidates.includes(leader)) return leader
      target = undefined
    }
    if (target !== undefined) {
      assertNodeId('node', target)
      return target
    }
    return candidates.length === 0 ? undefined : this.rng.pick(candidates)
  }

  private duration(given: number | undefined, range: { minMs: number; maxMs: number } | undefined): number {
    if (given !== undefined) return assertNumberInRange('duration', given, 0, MAX_DELAY_MS)
    const r = range ?? { minMs: 100, maxMs: 1000 }
    return r.minMs + this.rng.float() * (r.maxMs - r.minMs)
  }

  /**
   * Applies one fault now.
   * @example
   * ```ts
   * nemesis.apply({ kind: 'partition', majority: true })
   * ```
   */
  apply(fault: Fault, range?: { minMs: number; maxMs: number }): void {
    assertFault('fault', fault)
    const sim = this.sim
    const ids = sim.nodeIds
    const network = sim.network
    const down = ids.length - sim.upIds().length + ids.filter((id) => sim.status(id) === 'paused').length
    this.faults++
    switch (fault.kind) {
      case 'partition': {
        if (fault.groups !== undefined) {
          network.partition(fault.groups)
          break
        }
        const shuffled = this.rng.shuffle([...ids])
        const cut =
          (fault.majority ?? true)
            ? Math.floor((ids.length - 1) / 2) || 1
            : this.rng.int(1, Math.max(1, ids.length - 1))
        network.partition([shuffled.slice(0, cut), shuffled.slice(cut)])
        break
      }
      case 'isolate': {
        const node = this.target(fault.node, ids)
        if (node !== undefined) network.isolate(node, ids)
        break
      }
      case 'one-way':
      case 'clog': {
        if (ids.length < 2) break
        const from = fault.from ?? this.rng.pick(ids)
        const to = fault.to ?? this.rng.pick(ids.filter((id) => id !== from))
        if (fault.kind === 'one-way') network.blockLink(from, to)
        else {
          network.clog(from, to)
          network.clog(to, from)
        }
        break
      }
      case 'bridge': {
        if (ids.length < 3) break
        const shuffled = this.rng.shuffle([...ids])
        const bridge = shuffled[0] as NodeId
        const rest = shuffled.slice(1)
        const half = Math.ceil(rest.length / 2)
        network.bridge(rest.slice(0, half), bridge, rest.slice(half))
        break
      }
      case 'degrade':
        network.degrade({
          lossRate: fault.lossRate ?? this.rng.float() * 0.5,
          duplicateRate: fault.duplicateRate ?? this.rng.float() * 0.3,
          reorderRate: fault.reorderRate ?? this.rng.float() * 0.5,
        })
        break
      case 'crash':
      case 'pause': {
        const running = ids.filter((id) => sim.status(id) === 'running')
        if (fault.node === undefined && down >= this.maxDown) break
        const node = this.target(fault.node, running)
        if (node === undefined || sim.status(node) !== 'running') break
        if (fault.kind === 'crash') {
          sim.crash(node)
          const restartAfterMs = this.duration(fault.restartAfterMs, range)
          this.later(restartAfterMs, () => {
            if (sim.status(node) === 'crashed') sim.restart(node)
          })
        } else {
          sim.pause(node)
          const resumeAfterMs = this.duration(fault.resumeAfterMs, range)
          this.later(resumeAfterMs, () => {
            if (sim.status(node) === 'paused') sim.resume(node)
          })
        }
        break
      }
      case 'clock-skew': {
        const node = this.target(fault.node, ids)
        if (node === undefined) break
        const offsetMs = fault.offsetMs ?? (this.rng.float() * 2 - 1) * 5_000
        sim.setClockOffset(node, sim.clockOffset(node) + offsetMs)
        break
      }
      case 'heal':
        network.heal()
        break
    }
  }
}
