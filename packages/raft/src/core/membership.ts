/**
 * Membership changes and quorum arithmetic. A configuration entry's data is the
 * whole resulting `Membership` (strict JSON), so the configuration at any index
 * is the last configuration entry at or before it.
 */
import type { NodeId } from '@synod/transport'
import { ConfigChangeRefusedError, RaftInvariantError } from './errors.js'
import type { Membership } from './types.js'

/**
 * One change to a configuration. `remove-node` removes a voter or a learner.
 * @example
 * ```ts
 * const change: ConfigChange = { type: 'add-learner', nodeId: 'd' }
 * ```
 */
export interface ConfigChange {
  type: 'add-voter' | 'add-learner' | 'remove-node'
  nodeId: NodeId
}

/**
 * How a change is carried out:
 * - `auto` (default): a single-server step when at most one voter changes, else
 *   joint consensus left automatically by the leader once the joint configuration commits;
 * - `joint-auto-leave`: always joint consensus, left automatically;
 * - `joint-explicit`: joint consensus, left only when `proposeConfigChange({ changes: [] })` is called.
 * @example
 * ```ts
 * core.proposeConfigChange({ changes: [{ type: 'add-voter', nodeId: 'd' }], transition: 'joint-explicit' })
 * ```
 */
export type ConfigTransition = 'auto' | 'joint-auto-leave' | 'joint-explicit'

/**
 * A membership change request. In a joint configuration, an empty `changes` leaves it.
 * @example
 * ```ts
 * core.proposeConfigChange({ changes: [{ type: 'add-voter', nodeId: 'd' }, { type: 'remove-node', nodeId: 'a' }] })
 * ```
 */
export interface ConfigChangeRequest {
  changes: ConfigChange[]
  transition?: ConfigTransition
}

/**
 * Builds a simple (non-joint) membership.
 *
 * @example
 * ```ts
 * membership(['a', 'b', 'c']) // { voters: ['a','b','c'], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false }
 * ```
 */
export function membership(voters: NodeId[], learners: NodeId[] = []): Membership {
  return simpleMembership(voters, learners)
}

/** A simple (non-joint) membership of copies of `voters` and `learners`. */
function simpleMembership(voters: Iterable<NodeId>, learners: Iterable<NodeId>): Membership {
  return {
    voters: [...voters],
    learners: [...learners],
    votersOutgoing: [],
    learnersNext: [],
    autoLeave: false,
  }
}

/**
 * True while `m` is a joint configuration.
 *
 * @example
 * ```ts
 * isJoint(membership(['a'])) // false
 * ```
 */
export function isJoint(m: Membership): boolean {
  return m.votersOutgoing.length > 0
}

/**
 * Every node that must receive the log: voters of both halves, learners, and learners-to-be.
 *
 * @example
 * ```ts
 * allMembers(membership(['a'], ['l'])) // ['a', 'l']
 * ```
 */
export function allMembers(m: Membership): NodeId[] {
  const seen = new Set<NodeId>()
  for (const list of [m.voters, m.votersOutgoing, m.learners, m.learnersNext])
    for (const id of list) seen.add(id)
  return [...seen]
}

/**
 * True when `id` votes in `m` (in either half of a joint configuration).
 *
 * @example
 * ```ts
 * isVoter(membership(['a'], ['l']), 'l') // false
 * ```
 */
export function isVoter(m: Membership, id: NodeId): boolean {
  return m.voters.includes(id) || m.votersOutgoing.includes(id)
}

function sameSet(a: NodeId[], b: Set<NodeId>): boolean {
  if (a.length !== b.size) return false
  for (const id of a) if (!b.has(id)) return false
  return true
}

/**
 * Checks the shape invariants of a membership (no duplicates, no node both voter
 * and learner, learnersNext only in joint configurations, at least one voter).
 *
 * @throws {RangeError} naming the first broken rule
 * @example
 * ```ts
 * validateMembership(membership(['a'], ['a'])) // RangeError: membership: "a" is both a voter and a learner
 * ```
 */
export function validateMembership(m: Membership): void {
  const check = (name: string, list: NodeId[]): Set<NodeId> => {
    const set = new Set(list)
    if (set.size !== list.length) throw new RangeError(`membership: ${name} has duplicates`)
    for (const id of list)
      if (typeof id !== 'string' || id.length === 0 || id.length > 256)
        throw new RangeError(`membership: ${name} holds an invalid node id`)
    return set
  }
  const voters = check('voters', m.voters)
  const learners = check('learners', m.learners)
  const outgoing = check('votersOutgoing', m.votersOutgoing)
  const next = check('learnersNext', m.learnersNext)
  if (voters.size === 0) throw new RangeError('membership: expected at least one voter')
  for (const id of learners) {
    if (voters.has(id) || outgoing.has(id))
      throw new RangeError(`membership: "${id}" is both a voter and a learner`)
  }
  for (const id of next) {
    if (!outgoing.has(id)) throw new RangeError(`membership: learnersNext "${id}" is not an outgoing voter`)
    if (voters.has(id)) throw new RangeError(`membership: learnersNext "${id}" is an incoming voter`)
  }
  if (outgoing.size === 0 && (next.size > 0 || m.autoLeave))
    throw new RangeError('membership: learnersNext and autoLeave need a joint configuration')
}

/**
 * Computes the membership that results from `request` applied to `current`,
 * enforcing the safety rules of single-server changes and joint consensus.
 *
 * @throws {ConfigChangeRefusedError} when the change breaks a rule
 * @example
 * ```ts
 * applyConfigChange(membership(['a', 'b', 'c']), { changes: [{ type: 'add-voter', nodeId: 'd' }] })
 * // a simple change: voters a, b, c, d
 * ```
 */
export function applyConfigChange(current: Membership, request: ConfigChangeRequest): Membership {
  const transition = request.transition ?? 'auto'
  if (isJoint(current)) {
    if (request.changes.length > 0)
      throw new ConfigChangeRefusedError('the configuration is joint: leave it first (an empty change)')
    return simpleMembership(current.voters, new Set([...current.learners, ...current.learnersNext]))
  }
  if (request.changes.length === 0)
    throw new ConfigChangeRefusedError('no changes, and the configuration is not joint')
  const incoming = new Set(current.voters)
  const learners = new Set(current.learners)
  const learnersNext = new Set<NodeId>()
  const outgoing = new Set(current.voters)
  for (const change of request.changes) {
    const id = change.nodeId
    if (typeof id !== 'string' || id.length === 0 || id.length > 256)
      throw new ConfigChangeRefusedError(`invalid node id ${JSON.stringify(id)}`)
    if (change.type === 'add-voter') {
      incoming.add(id)
      learners.delete(id)
      learnersNext.delete(id)
    } else if (change.type === 'add-learner') {
      incoming.delete(id)
      learners.delete(id)
      // an outgoing voter cannot be a learner until the joint configuration is left
      if (outgoing.has(id)) learnersNext.add(id)
      else learners.add(id)
    } else if (change.type === 'remove-node') {
      incoming.delete(id)
      learners.delete(id)
      learnersNext.delete(id)
    } else {
      throw new ConfigChangeRefusedError(
        `unknown change type ${JSON.stringify((change as { type: unknown }).type)}`,
      )
    }
  }
  if (incoming.size === 0) throw new ConfigChangeRefusedError('the change would leave no voters')
  let changedVoters = 0
  for (const id of incoming) if (!outgoing.has(id)) changedVoters++
  for (const id of outgoing) if (!incoming.has(id)) changedVoters++
  const simple = transition === 'auto' && changedVoters <= 1
  if (simple) {
    // a voter demoted to learner in a simple step becomes a learner at once
    for (const id of learnersNext) learners.add(id)
    return simpleMembership(incoming, learners)
  }
  if (sameSet(current.voters, incoming) && learnersNext.size === 0) {
    // no voter changes: only learners changed, no joint configuration needed
    return simpleMembership(incoming, learners)
  }
  return {
    voters: [...incoming],
    learners: [...learners],
    votersOutgoing: [...outgoing],
    learnersNext: [...learnersNext],
    autoLeave: transition !== 'joint-explicit',
  }
}

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

/**
 * Encodes a membership as the data of a configuration entry (canonical JSON).
 *
 * @example
 * ```ts
 * decodeMembership(encodeMembership(membership(['a']))) // { voters: ['a'], ... }
 * ```
 */
export function encodeMembership(m: Membership): Uint8Array {
  return encoder.encode(
    JSON.stringify({
      voters: m.voters,
      learners: m.learners,
      votersOutgoing: m.votersOutgoing,
      learnersNext: m.learnersNext,
      autoLeave: m.autoLeave,
    }),
  )
}

function stringList(value: unknown, name: string): NodeId[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string'))
    throw new RaftInvariantError(`configuration entry: ${name} is not a list of node ids`)
  return value as NodeId[]
}

/**
 * Decodes the data of a configuration entry. A configuration entry that cannot be
 * decoded is corruption of a committed (or replicated) log: it throws `RaftInvariantError`.
 *
 * @throws {RaftInvariantError} when `data` is not a valid encoded membership
 * @example
 * ```ts
 * decodeMembership(encodeMembership(membership(['a', 'b']))).voters // ['a', 'b']
 * ```
 */
export function decodeMembership(data: Uint8Array): Membership {
  let value: unknown
  try {
    value = JSON.parse(decoder.decode(data))
  } catch {
    throw new RaftInvariantError('configuration entry: data is not valid JSON')
  }
  if (typeof value !== 'object' || value === null)
    throw new RaftInvariantError('configuration entry: expected an object')
  const v = value as Record<string, unknown>
  if (typeof v.autoLeave !== 'boolean')
    throw new RaftInvariantError('configuration entry: autoLeave is not a boolean')
  const m: Membership = {
    voters: stringList(v.voters, 'voters'),
    learners: stringList(v.learners, 'learners'),
    votersOutgoing: stringList(v.votersOutgoing, 'votersOutgoing'),
    learnersNext: stringList(v.learnersNext, 'learnersNext'),
    autoLeave: v.autoLeave,
  }
  try {
    validateMembership(m)
  } catch (error) {
    throw new RaftInvariantError(`configuration entry: ${(error as Error).message}`)
  }
  return m
}

const scratch: number[] = []

function majorityValue(voters: NodeId[], valueFor: (id: NodeId) => number): number {
  if (voters.length === 0) return Number.POSITIVE_INFINITY
  scratch.length = 0
  // insertion sort, descending: voter sets are small, and Array#sort allocates on every
  // call (this runs on every acknowledgement the leader receives)
  for (const id of voters) {
    const value = valueFor(id)
    let i = scratch.length
    scratch.push(value)
    while (i > 0 && (scratch[i - 1] as number) < value) {
      scratch[i] = scratch[i - 1] as number
      i--
    }
    scratch[i] = value
  }
  return scratch[voters.length >> 1] as number
}

/**
 * The largest value that a quorum of `m` has reached (for match indexes: the
 * commit index; for acknowledged heartbeat rounds: the confirmed round). In a
 * joint configuration both halves must agree.
 *
 * @example
 * ```ts
 * quorumValue(membership(['a', 'b', 'c']), (id) => ({ a: 5, b: 3, c: 1 })[id] ?? 0) // 3
 * ```
 */
export function quorumValue(m: Membership, valueFor: (id: NodeId) => number): number {
  return Math.min(majorityValue(m.voters, valueFor), majorityValue(m.votersOutgoing, valueFor))
}

/**
 * The outcome of an election so far.
 * @example
 * ```ts
 * voteResult(membership(['a']), new Map([['a', true]])) // 'won'
 * ```
 */
export type VoteResult = 'won' | 'lost' | 'pending'

function majorityVote(voters: NodeId[], votes: Map<NodeId, boolean>): VoteResult {
  if (voters.length === 0) return 'won'
  let granted = 0
  let rejected = 0
  for (const id of voters) {
    const vote = votes.get(id)
    if (vote === true) granted++
    else if (vote === false) rejected++
  }
  const quorum = (voters.length >> 1) + 1
  if (granted >= quorum) return 'won'
  if (voters.length - rejected < quorum) return 'lost'
  return 'pending'
}

/**
 * Tallies `votes` (true granted, false rejected, absent unknown) in `m`; a joint
 * configuration needs both halves.
 *
 * @example
 * ```ts
 * voteResult(membership(['a', 'b', 'c']), new Map([['a', true], ['b', true]])) // 'won'
 * ```
 */
export function voteResult(m: Membership, votes: Map<NodeId, boolean>): VoteResult {
  const a = majorityVote(m.voters, votes)
  const b = majorityVote(m.votersOutgoing, votes)
  if (a === 'lost' || b === 'lost') return 'lost'
  if (a === 'won' && b === 'won') return 'won'
  return 'pending'
}
