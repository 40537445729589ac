/**
 * The options of the Multi-Paxos core and their defaults, checked with exact messages.
 */
import { assertNodeId, type NodeId } from '@synod/transport'
import { assertIs, booleanOption, integerOption, show } from '../validate.js'
import { compareBallots, type PersistedState, ZERO_BALLOT } from './types.js'

/**
 * Size limits shared by the core and the codec: what a message may carry.
 *
 * @example
 * ```ts
 * const limits: PaxosLimits = { ...DEFAULT_LIMITS, maxCommandBytes: 4096 }
 * ```
 */
export interface PaxosLimits {
  /** The largest command in bytes (default 1 MiB). */
  maxCommandBytes: number
  /** The most slots one message carries (default 64). */
  maxBatchEntries: number
  /** The most value bytes one message carries; one entry may exceed it alone (default 1 MiB). */
  maxBatchBytes: number
  /** The largest state-machine snapshot a `snapshot` message carries (default 64 MiB). */
  maxSnapshotBytes: number
}

/**
 * The default {@link PaxosLimits}.
 *
 * @example
 * ```ts
 * DEFAULT_LIMITS.maxBatchEntries // 64
 * ```
 */
export const DEFAULT_LIMITS: Readonly<PaxosLimits> = Object.freeze({
  maxCommandBytes: 1024 * 1024,
  maxBatchEntries: 64,
  maxBatchBytes: 1024 * 1024,
  maxSnapshotBytes: 64 * 1024 * 1024,
})

/**
 * Options of `PaxosCore`. Times are in ticks; the driver decides how long a tick is.
 *
 * @example
 * ```ts
 * const options: PaxosCoreOptions = { id: 'a', members: ['a', 'b', 'c'], random: () => 0.5, electionTicks: 10 }
 * ```
 */
export interface PaxosCoreOptions extends Partial<PaxosLimits> {
  /** This replica's id: one of `members`. */
  id: NodeId
  /** Every replica, this one included (fixed for the cluster's life; at most 64). */
  members: readonly NodeId[]
  /** A seeded PRNG returning floats in [0, 1): the election jitter comes from it. */
  random: () => number
  /** The acceptor state persisted before a restart (default: nothing). */
  state?: PersistedState
  /** Ticks without hearing from a leader before starting phase 1, plus up to as many of jitter (default 10). */
  electionTicks?: number
  /** Ticks between a leader's heartbeats, and between a candidate's prepare retries (default 2). */
  heartbeatTicks?: number
  /** Ticks after which an unanswered accept is sent again (default 2 × `heartbeatTicks`). */
  retransmitTicks?: number
  /** The most slots a leader keeps open beyond its commit index (default 256). */
  maxInflightSlots?: number
  /** The most command bytes in open slots (default 8 MiB). */
  maxInflightBytes?: number
  /** The most proposals waiting for a slot (default 4096). */
  maxPendingProposals?: number
  /** The most command bytes waiting for a slot (default 16 MiB). */
  maxPendingBytes?: number
  /**
   * An acceptor that heard from a live leader within `electionTicks` ignores a
   * challenger's prepare, and a leader ignores them all (default true): a replica
   * that was cut off cannot depose a working leader when it comes back.
   */
  leaderStickiness?: boolean
  /** @internal Deliberately broken variants, for the simulation's negative controls only. */
  unsafe?: {
    /** A new leader ignores the values reported in promises (fills every slot it does not know with a no-op). */
    ignorePromisedValues?: boolean
    /** An acceptor does not persist what it accepts before answering. */
    skipAcceptRecords?: boolean
  }
}

/** The checked options with defaults filled in. */
export interface ResolvedOptions extends PaxosLimits {
  id: NodeId
  members: readonly NodeId[]
  random: () => number
  state: PersistedState
  electionTicks: number
  heartbeatTicks: number
  retransmitTicks: number
  maxInflightSlots: number
  maxInflightBytes: number
  maxPendingProposals: number
  maxPendingBytes: number
  leaderStickiness: boolean
  ignorePromisedValues: boolean
  skipAcceptRecords: boolean
}

/**
 * The most replicas a cluster may have.
 *
 * @example
 * ```ts
 * if (members.length > MAX_MEMBERS) throw new RangeError('too many replicas')
 * ```
 */
export const MAX_MEMBERS = 64
const TICKS_MAX = 1_000_000
const BYTES_MAX = 2 ** 31

/** Checks the limit options (also used by the codec). */
export function resolveLimits(options: Partial<PaxosLimits>): PaxosLimits {
  return {
    maxCommandBytes: integerOption(
      'maxCommandBytes',
      options.maxCommandBytes,
      DEFAULT_LIMITS.maxCommandBytes,
      1,
      BYTES_MAX,
    ),
    maxBatchEntries: integerOption(
      'maxBatchEntries',
      options.maxBatchEntries,
      DEFAULT_LIMITS.maxBatchEntries,
      1,
      65_536,
    ),
    maxBatchBytes: integerOption(
      'maxBatchBytes',
      options.maxBatchBytes,
      DEFAULT_LIMITS.maxBatchBytes,
      1,
      BYTES_MAX,
    ),
    maxSnapshotBytes: integerOption(
      'maxSnapshotBytes',
      options.maxSnapshotBytes,
      DEFAULT_LIMITS.maxSnapshotBytes,
      0,
      BYTES_MAX,
    ),
  }
}

/** Checks a member list: 1 to 64 distinct node ids. */
export function resolveMembers(id: NodeId, value: unknown): readonly NodeId[] {
  if (!Array.isArray(value)) throw new TypeError(`members: expected an array of node ids, got ${show(value)}`)
  if (value.length === 0 || value.length > MAX_MEMBERS)
    throw new RangeError(`members: expected 1 to ${MAX_MEMBERS} node ids, got ${value.length}`)
  const seen = new Set<NodeId>()
  value.forEach((member: unknown, index) => {
    assertNodeId(`members[${index}]`, member)
    if (seen.has(member)) throw new RangeError(`members[${index}]: ${show(member)} is listed twice`)
    seen.add(member)
  })
  if (!seen.has(id)) throw new RangeError(`members: must include this replica's id ${show(id)}`)
  return [...seen].sort()
}

/** Checks a core's options and fills in the defaults. */
export function resolveOptions(options: PaxosCoreOptions): ResolvedOptions {
  assertIs('options', options, 'object')
  assertNodeId('id', options.id)
  const members = resolveMembers(options.id, options.members)
  assertIs('random', options.random, 'function')
  const state = options.state ?? { promised: ZERO_BALLOT, accepted: [], compactedSlot: 0 }
  assertIs('state', state, 'object')
  if (!Array.isArray(state.accepted))
    throw new TypeError(`state.accepted: expected an array, got ${show(state.accepted)}`)
  if (compareBallots(state.promised, ZERO_BALLOT) < 0)
    throw new RangeError('state.promised: below the zero ballot')
  integerOption('state.compactedSlot', state.compactedSlot, 0, 0, Number.MAX_SAFE_INTEGER)
  const limits = resolveLimits(options)
  if (limits.maxCommandBytes > limits.maxBatchBytes)
    throw new RangeError(
      `maxCommandBytes: expected at most maxBatchBytes (${limits.maxBatchBytes}), got ${limits.maxCommandBytes}`,
    )
  const heartbeatTicks = integerOption('heartbeatTicks', options.heartbeatTicks, 2, 1, TICKS_MAX)
  const electionTicks = integerOption('electionTicks', options.electionTicks, 10, 1, TICKS_MAX)
  if (electionTicks <= heartbeatTicks)
    throw new RangeError(
      `electionTicks: expected more than heartbeatTicks (${heartbeatTicks}), got ${electionTicks}`,
    )
  const unsafe = options.unsafe ?? {}
  return {
    ...limits,
    id: options.id,
    members,
    random: options.random,
    state,
    electionTicks,
    heartbeatTicks,
    retransmitTicks: integerOption(
      'retransmitTicks',
      options.retransmitTicks,
      2 * heartbeatTicks,
      1,
      TICKS_MAX,
    ),
    maxInflightSlots: integerOption('maxInflightSlots', options.maxInflightSlots, 256, 1, 1_000_000),
    maxInflightBytes: integerOption(
      'maxInflightBytes',
      options.maxInflightBytes,
      8 * 1024 * 1024,
      1,
      BYTES_MAX,
    ),
    maxPendingProposals: integerOption(
      'maxPendingProposals',
      options.maxPendingProposals,
      4096,
      1,
      10_000_000,
    ),
    maxPendingBytes: integerOption(
      'maxPendingBytes',
      options.maxPendingBytes,
      16 * 1024 * 1024,
      1,
      BYTES_MAX,
    ),
    leaderStickiness: booleanOption('leaderStickiness', options.leaderStickiness, true),
    ignorePromisedValues: unsafe.ignorePromisedValues === true,
    skipAcceptRecords: unsafe.skipAcceptRecords === true,
  }
}
