/**
 * `PaxosCore`: one Multi-Paxos replica (proposer, acceptor and learner) as a
 * pure state machine. Inputs: `step(from, message)`, `tick()`, `propose(command)`;
 * outputs collected until `ready()`. No I/O, no clock, no randomness but the
 * injected PRNG.
 *
 * The protocol (Lamport, "Paxos Made Simple", with the engineering of "Paxos
 * Made Live" and "Paxos Made Moderately Complex"):
 *
 * - A candidate picks a ballot above any it has seen and runs phase 1 once for
 *   every slot from its first unchosen one up: each acceptor promises and
 *   reports what it accepted there (paged, so a long tail never makes a huge
 *   message). With promises from a majority, it is leader: for each such slot
 *   it proposes the value accepted at the highest ballot, and a no-op where
 *   nobody accepted anything.
 * - A leader then runs only phase 2: it gives each proposal the next slot, keeps
 *   many slots in flight (bounded in slots and bytes) and batches them into
 *   `accept` messages. A value is chosen once a majority accepted it at the
 *   leader's ballot; the leader's messages carry its commit index (the chosen
 *   prefix). A follower treats a slot up to that index as chosen when it
 *   accepted the slot at the same ballot, and gets the rest by `learn`.
 * - Once a snapshot of the state machine is durable, `compact(slot)` drops the
 *   values up to it; a replica that needs them (a lagging follower, or a
 *   candidate whose phase 1 starts below an acceptor's compaction) is sent the
 *   snapshot instead.
 * - Followers start phase 1 when they miss heartbeats for a randomized timeout.
 *   A proposer that meets a higher ballot (a `reject`, a `prepare` it promised,
 *   an `accept`) steps back.
 */
import type { NodeId } from '@synod/transport'
import { NotLeaderError, PaxosInvariantError, ProposalQueueFullError } from '../errors.js'
import { type PaxosCoreOptions, type ResolvedOptions, resolveOptions } from './options.js'
import type { ChosenEntry, DroppedProposal, Outgoing, PaxosEvent, PaxosReady, PaxosRole } from './ready.js'
import { SlotArray } from './slot-array.js'
import {
  type AcceptedEntry,
  type Ballot,
  compareBallots,
  type PaxosMessage,
  type PaxosRecord,
  type PaxosValue,
  type SlotValue,
  valueBytes,
  ZERO_BALLOT,
} from './types.js'

const NOOP: PaxosValue = Object.freeze({ kind: 'noop' })

/**
 * A snapshot of a replica's state, for drivers, tests and monitoring.
 *
 * @example
 * ```ts
 * const { role, leaderId, chosenIndex } = core.status()
 * ```
 */
export interface PaxosStatus {
  readonly id: NodeId
  readonly role: PaxosRole
  /** The ballot this replica leads or campaigns with (the zero ballot as a follower). */
  readonly ballot: Ballot
  /** The highest ballot this acceptor promised. */
  readonly promised: Ballot
  /** The leader this replica last heard from, or null. */
  readonly leaderId: NodeId | null
  /** Every slot up to this one is chosen and known here. */
  readonly chosenIndex: number
  /** The highest slot this acceptor accepted a value in (0 when none). */
  readonly lastAcceptedSlot: number
  /** Every slot up to this one is covered by a state-machine snapshot and dropped here (0 when none). */
  readonly compactedSlot: number
  /** Leader only: slots proposed and not yet chosen. */
  readonly inflightSlots: number
  /** Leader only: proposals waiting for a slot. */
  readonly pendingProposals: number
}

interface Proposal {
  readonly value: PaxosValue
  /** The replicas that accepted it, as bits by member index (0-31, then 32-63). */
  acksLo: number
  acksHi: number
  ackCount: number
  /** The tick it was last sent at, or -1 when never. */
  sentAt: number
}

interface PendingProposal {
  readonly id: number
  readonly value: PaxosValue
}

function hasAck(proposal: Proposal, index: number): boolean {
  return index < 32 ? (proposal.acksLo & (1 << index)) !== 0 : (proposal.acksHi & (1 << (index - 32))) !== 0
}

/** Counts `index`'s acceptance once. */
function addAck(proposal: Proposal, index: number): void {
  if (index < 32) {
    const bit = 1 << index
    if ((proposal.acksLo & bit) !== 0) return
    proposal.acksLo |= bit
  } else {
    const bit = 1 << (index - 32)
    if ((proposal.acksHi & bit) !== 0) return
    proposal.acksHi |= bit
  }
  proposal.ackCount++
}

interface CandidateState {
  readonly fromSlot: number
  /** Per peer: the slot its next promise page starts at, or null once its last page arrived. */
  readonly cursors: Map<NodeId, number | null>
  /** Per slot: the value accepted at the highest ballot among the promises so far. */
  readonly collected: Map<number, AcceptedEntry>
}

interface LeaderState {
  readonly proposals: SlotArray<Proposal>
  /** Proposals waiting for a slot: `pending[pendingHead..]`. */
  pending: PendingProposal[]
  pendingHead: number
  pendingBytes: number
  inflightBytes: number
  nextSlot: number
  /** The first slot not yet sent (slots are opened in order, and sent in order as the window allows). */
  sendCursor: number
  /** Per peer: its reported chosen prefix, and the tick we last heard from it. */
  readonly peerChosen: Map<NodeId, number>
  readonly peerHeard: Map<NodeId, number>
  /** Per peer: the first slot of the last `learn` sent, and when. */
  readonly learnSent: Map<NodeId, { from: number; at: number }>
  readonly since: number
}

function sameValue(a: PaxosValue, b: PaxosValue): boolean {
  if (a === b) return true
  if (a.kind !== b.kind) return false
  if (a.kind === 'noop' || b.kind === 'noop') return true
  if (a.data.length !== b.data.length) return false
  for (let i = 0; i < a.data.length; i++) if (a.data[i] !== b.data[i]) return false
  return true
}

/**
 * A Multi-Paxos replica as a deterministic state machine (see the module comment
 * for the protocol and `PaxosReady` for the I/O contract).
 *
 * @example
 * ```ts
 * import { PaxosCore } from '@synod/paxos'
 * const core = new PaxosCore({ id: 'a', members: ['a'], random: () => 0.5 })
 * core.campaign() // a single replica is its own majority
 * core.propose(new TextEncoder().encode('hello'))
 * const ready = core.ready()
 * // persist ready.records, send ready.messages, apply ready.chosen
 * ready.chosen[0]?.slot // 1
 * ```
 */
export class PaxosCore {
  private readonly options: ResolvedOptions
  private readonly peers: readonly NodeId[]
  private readonly quorum: number
  /** Member id to its index, for the ack bits. */
  private readonly memberIndex: Map<NodeId, number>
  private readonly selfIndex: number
  // acceptor (durable through records)
  private promised: Ballot
  /** Per slot: the ballot and value this acceptor accepted last (two arrays, no object per slot). */
  private readonly acceptedBallots: SlotArray<Ballot>
  private readonly acceptedValues: SlotArray<PaxosValue>
  private lastAcceptedSlot = 0
  private compactedSlot = 0
  // learner
  private readonly chosen: SlotArray<PaxosValue>
  private chosenIndex = 0
  private emittedIndex = 0
  private knownCommit: { ballot: Ballot; index: number } = { ballot: ZERO_BALLOT, index: 0 }
  // proposer
  private role: PaxosRole = 'follower'
  private ballot: Ballot = ZERO_BALLOT
  private leaderId: NodeId | null = null
  private highestRound = 0
  private candidate: CandidateState | null = null
  private leader: LeaderState | null = null
  private readonly ownProposals: SlotArray<PendingProposal>
  private proposalCounter = 0
  // timers, in ticks
  private ticks = 0
  private electionElapsed = 0
  private electionTimeout: number
  private heartbeatElapsed = 0
  private leaderHeardElapsed: number
  // outputs
  private records: PaxosRecord[] = []
  private messages: Outgoing[] = []
  private chosenOut: ChosenEntry[] = []
  private dropped: DroppedProposal[] = []
  private events: PaxosEvent[] = []
  private snapshotOut: { slot: number; data: Uint8Array } | null = null
  private snapshotsToSend: NodeId[] = []
  private acceptBuffer: AcceptedEntry[] = []

  /**
   * @throws {TypeError | RangeError} for a bad option, with the option's name in the message
   */
  constructor(options: PaxosCoreOptions) {
    this.options = resolveOptions(options)
    const { id, members, state } = this.options
    this.peers = members.filter((member) => member !== id)
    this.quorum = Math.floor(members.length / 2) + 1
    this.memberIndex = new Map(members.map((member, index) => [member, index]))
    this.selfIndex = this.memberIndex.get(id) as number
    this.acceptedBallots = new SlotArray()
    this.acceptedValues = new SlotArray()
    this.chosen = new SlotArray()
    this.ownProposals = new SlotArray()
    this.promised = state.promised
    this.highestRound = state.promised.round
    this.compactedSlot = state.compactedSlot
    this.chosenIndex = state.compactedSlot
    this.emittedIndex = state.compactedSlot
    for (const entry of state.accepted) {
      if (entry.slot <= this.compactedSlot) continue
      this.acceptedBallots.set(entry.slot, entry.ballot)
      this.acceptedValues.set(entry.slot, entry.value)
      if (entry.slot > this.lastAcceptedSlot) this.lastAcceptedSlot = entry.slot
      if (compareBallots(entry.ballot, this.promised) > 0) this.promised = entry.ballot
    }
    this.electionTimeout = this.randomTimeout()
    this.leaderHeardElapsed = this.options.electionTicks
  }

  // ---------------------------------------------------------------- inputs

  /**
   * Feeds one message from `from`. Messages from non-members, from this replica,
   * or whose ballot does not belong to their sender are ignored.
   *
   * @example
   * ```ts
   * transport.onMessage((from, message) => core.step(from, message))
   * ```
   */
  step(from: NodeId, message: PaxosMessage): void {
    if (from === this.options.id || !this.peers.includes(from)) return
    switch (message.type) {
      case 'prepare':
        if (message.ballot.nodeId === from) this.onPrepare(from, message.ballot, message.fromSlot)
        return
      case 'promise':
        this.onPromise(from, message)
        return
      case 'accept':
        if (message.ballot.nodeId === from)
          this.onAccept(from, message.ballot, message.entries, message.commitIndex)
        return
      case 'accepted':
        this.onAccepted(from, message.ballot, message.slots, message.chosenIndex)
        return
      case 'reject':
        this.onReject(message.ballot, message.promised)
        return
      case 'learn':
        if (message.ballot.nodeId === from)
          this.onLearn(from, message.ballot, message.entries, message.commitIndex)
        return
      case 'snapshot':
        this.onSnapshot(from, message.ballot, message.slot, message.data)
        return
    }
  }

  /**
   * Advances time by one tick: heartbeats and retransmissions on a leader,
   * prepare retries on a candidate, the election timeout on the others.
   *
   * @example
   * ```ts
   * setInterval(() => core.tick(), 10)
   * ```
   */
  tick(): void {
    this.ticks++
    if (this.role === 'leader') {
      this.leaderHeardElapsed = 0
      if (++this.heartbeatElapsed >= this.options.heartbeatTicks) {
        this.heartbeatElapsed = 0
        this.heartbeat()
      }
      this.retransmit()
      this.checkQuorum()
      return
    }
    this.leaderHeardElapsed++
    if (this.role === 'candidate' && ++this.heartbeatElapsed >= this.options.heartbeatTicks) {
      this.heartbeatElapsed = 0
      this.resendPrepares()
    }
    if (++this.electionElapsed >= this.electionTimeout) this.campaign()
  }

  /**
   * Starts phase 1 now with a ballot above every one seen (a no-op on a leader).
   *
   * @example
   * ```ts
   * core.campaign()
   * core.status().role // 'candidate' (or 'leader' in a one-replica cluster)
   * ```
   */
  campaign(): void {
    if (this.role === 'leader') return
    const round = Math.max(this.promised.round, this.highestRound) + 1
    this.highestRound = round
    const ballot: Ballot = { round, nodeId: this.options.id }
    this.setRole('candidate', ballot)
    this.setLeader(null)
    this.promise(ballot)
    const fromSlot = this.chosenIndex + 1
    const collected = new Map<number, AcceptedEntry>()
    for (let slot = fromSlot; slot <= this.lastAcceptedSlot; slot++) {
      const entry = this.acceptedEntry(slot)
      if (entry !== undefined) collected.set(slot, entry)
    }
    this.candidate = { fromSlot, cursors: new Map(this.peers.map((peer) => [peer, fromSlot])), collected }
    this.resetElection()
    this.heartbeatElapsed = 0
    this.resendPrepares()
    this.checkElected()
  }

  /**
   * Proposes a command (leader only). It is queued, given the next free slot as
   * soon as the in-flight window has room, and sent batched with others.
   *
   * @returns the proposal's id, found again in `ChosenEntry.proposalId` or `DroppedProposal.proposalId`
   * @throws {TypeError} when `command` is not a `Uint8Array`
   * @throws {RangeError} when it is longer than `maxCommandBytes`
   * @throws {NotLeaderError} when this replica is not the leader (nothing was proposed)
   * @throws {ProposalQueueFullError} when `maxPendingProposals` or `maxPendingBytes` is reached
   * @example
   * ```ts
   * const id = core.propose(new TextEncoder().encode('set x 1'))
   * ```
   */
  propose(command: Uint8Array): number {
    if (!(command instanceof Uint8Array))
      throw new TypeError(`command: expected a Uint8Array, got ${command === null ? 'null' : typeof command}`)
    if (command.length > this.options.maxCommandBytes)
      throw new RangeError(
        `command: expected at most ${this.options.maxCommandBytes} bytes, got ${command.length}`,
      )
    const leader = this.leader
    if (this.role !== 'leader' || leader === null) throw new NotLeaderError(this.leaderId)
    const pendingCount = leader.pending.length - leader.pendingHead
    if (pendingCount >= this.options.maxPendingProposals)
      throw new ProposalQueueFullError(
        `${pendingCount} proposals pending (limit ${this.options.maxPendingProposals})`,
      )
    if (leader.pendingBytes + command.length > this.options.maxPendingBytes)
      throw new ProposalQueueFullError(
        `${leader.pendingBytes + command.length} bytes pending (limit ${this.options.maxPendingBytes})`,
      )
    const id = ++this.proposalCounter
    leader.pending.push({ id, value: { kind: 'command', data: command } })
    leader.pendingBytes += command.length
    return id
  }

  // ---------------------------------------------------------------- outputs

  /**
   * True when `ready()` has work: records, messages, chosen values, dropped proposals or events.
   *
   * @example
   * ```ts
   * while (core.hasReady()) handle(core.ready())
   * ```
   */
  hasReady(): boolean {
    this.flushProposals()
    return (
      this.records.length > 0 ||
      this.messages.length > 0 ||
      this.chosenOut.length > 0 ||
      this.dropped.length > 0 ||
      this.events.length > 0 ||
      this.snapshotOut !== null ||
      this.snapshotsToSend.length > 0
    )
  }

  /**
   * Takes the pending outputs, each handed out once (see `PaxosReady` for the order to carry them out in).
   *
   * @example
   * ```ts
   * const { records, messages, chosen } = core.ready()
   * ```
   */
  ready(): PaxosReady {
    this.flushProposals()
    const ready: PaxosReady = {
      records: this.records,
      messages: this.messages,
      chosen: this.chosenOut,
      dropped: this.dropped,
      events: this.events,
      snapshot: this.snapshotOut,
      snapshotsToSend: this.snapshotsToSend,
    }
    this.snapshotOut = null
    this.snapshotsToSend = []
    this.records = []
    this.messages = []
    this.chosenOut = []
    this.dropped = []
    this.events = []
    return ready
  }

  /**
   * The replica's current state.
   *
   * @example
   * ```ts
   * core.status().chosenIndex // 0 on a fresh replica
   * ```
   */
  status(): PaxosStatus {
    return {
      id: this.options.id,
      role: this.role,
      ballot: this.ballot,
      promised: this.promised,
      leaderId: this.leaderId,
      chosenIndex: this.chosenIndex,
      lastAcceptedSlot: this.lastAcceptedSlot,
      compactedSlot: this.compactedSlot,
      inflightSlots: this.leader?.proposals.size ?? 0,
      pendingProposals: this.leader === null ? 0 : this.leader.pending.length - this.leader.pendingHead,
    }
  }

  /**
   * The chosen value of `slot`, if this replica knows it.
   *
   * @example
   * ```ts
   * core.chosenValue(1) // { kind: 'noop' } or { kind: 'command', data } or undefined
   * ```
   */
  chosenValue(slot: number): PaxosValue | undefined {
    return this.chosen.get(slot)
  }

  /**
   * Drops the values of every slot up to `slot`, once a snapshot of the state
   * machine at `slot` is durable (`PaxosStorage.saveSnapshot`). A replica that
   * later needs those slots is sent the snapshot instead.
   *
   * @throws {TypeError} when `slot` is not a number
   * @throws {RangeError} unless it is an applied slot above the last compaction
   * @example
   * ```ts
   * storage.saveSnapshot(applied, stateMachine.snapshot())
   * core.compact(applied)
   * ```
   */
  compact(slot: number): void {
    if (typeof slot !== 'number') throw new TypeError(`slot: expected an integer, got ${typeof slot}`)
    if (!Number.isSafeInteger(slot) || slot <= this.compactedSlot || slot > this.emittedIndex)
      throw new RangeError(
        `slot: expected an applied slot from ${this.compactedSlot + 1} to ${this.emittedIndex}, got ${slot}`,
      )
    this.dropUpTo(slot)
  }

  private dropUpTo(slot: number): void {
    this.compactedSlot = slot
    this.chosen.dropUpTo(slot)
    this.acceptedBallots.dropUpTo(slot)
    this.acceptedValues.dropUpTo(slot)
    this.ownProposals.dropUpTo(slot)
  }

  /** Installs a peer's snapshot: every slot up to `slot` is chosen, and the state machine is restored from `data`. */
  private onSnapshot(from: NodeId, ballot: Ballot, slot: number, data: Uint8Array): void {
    if (slot > this.chosenIndex) {
      if (this.role === 'leader') {
        this.stepDown()
        this.setLeader(null)
      }
      this.dropUpTo(slot)
      this.chosenIndex = slot
      this.emittedIndex = slot
      this.snapshotOut = { slot, data }
      this.advanceChosen()
      if (this.role === 'candidate') this.campaign() // again, from the first slot after the snapshot
    }
    this.send(from, { type: 'accepted', ballot, slots: [], chosenIndex: this.chosenIndex })
  }

  private requestSnapshot(peer: NodeId): void {
    if (this.compactedSlot > 0 && !this.snapshotsToSend.includes(peer)) this.snapshotsToSend.push(peer)
  }

  // ---------------------------------------------------------------- acceptor

  private onPrepare(from: NodeId, ballot: Ballot, fromSlot: number): void {
    const order = compareBallots(ballot, this.promised)
    if (order < 0) {
      this.send(from, { type: 'reject', ballot, promised: this.promised })
      return
    }
    if (order > 0) {
      // leader stickiness: do not help a challenger depose a leader that is alive
      if (
        this.options.leaderStickiness &&
        this.leaderId !== null &&
        this.leaderId !== from &&
        this.leaderHeardElapsed < this.options.electionTicks
      )
        return
      this.noteRound(ballot.round)
      if (this.role !== 'follower') this.stepDown()
      this.setLeader(null)
      this.promise(ballot)
      this.resetElection()
    }
    // one page of what this acceptor accepted at slots >= fromSlot
    const entries: AcceptedEntry[] = []
    let bytes = 0
    // slots up to compactedSlot are chosen and dropped: the candidate needs the snapshot
    if (fromSlot <= this.compactedSlot) this.requestSnapshot(from)
    let slot = Math.max(fromSlot, this.compactedSlot + 1)
    for (; slot <= this.lastAcceptedSlot; slot++) {
      const entry = this.acceptedEntry(slot)
      if (entry === undefined) continue
      const size = valueBytes(entry.value)
      if (
        entries.length >= this.options.maxBatchEntries ||
        (entries.length > 0 && bytes + size > this.options.maxBatchBytes)
      )
        break
      entries.push(entry)
      bytes += size
    }
    const nextSlot = slot <= this.lastAcceptedSlot ? slot : null
    this.send(from, {
      type: 'promise',
      ballot,
      fromSlot,
      entries,
      nextSlot,
      chosenIndex: this.chosenIndex,
      compactedSlot: this.compactedSlot,
    })
  }

  private onAccept(from: NodeId, ballot: Ballot, entries: readonly SlotValue[], commitIndex: number): void {
    const order = compareBallots(ballot, this.promised)
    if (order < 0) {
      this.send(from, { type: 'reject', ballot, promised: this.promised })
      return
    }
    if (order > 0) {
      this.noteRound(ballot.round)
      if (this.role !== 'follower') this.stepDown()
      if (entries.length === 0) this.promise(ballot)
      else this.promised = ballot
    }
    this.setLeader(from)
    this.leaderHeardElapsed = 0
    this.resetElection()
    const slots: number[] = []
    for (const { slot, value } of entries) {
      slots.push(slot)
      // a compacted slot is chosen, and any proposal for it at a ballot this acceptor accepts is the chosen value
      if (slot <= this.compactedSlot) continue
      const before = this.acceptedBallots.get(slot)
      if (before !== undefined && compareBallots(before, ballot) === 0) continue
      this.acceptLocally({ slot, ballot, value })
    }
    this.flushAcceptRecord()
    this.noteCommit(ballot, commitIndex)
    this.send(from, { type: 'accepted', ballot, slots, chosenIndex: this.chosenIndex })
  }

  private onLearn(from: NodeId, ballot: Ballot, entries: readonly SlotValue[], commitIndex: number): void {
    // learned values are chosen whatever their ballot: a leader only teaches chosen ones
    for (const { slot, value } of entries) if (slot > this.chosenIndex) this.markChosen(slot, value)
    if (compareBallots(ballot, this.promised) === 0 && this.role === 'follower') {
      this.setLeader(from)
      this.leaderHeardElapsed = 0
      this.resetElection()
    }
    this.noteCommit(ballot, commitIndex)
    this.send(from, { type: 'accepted', ballot, slots: [], chosenIndex: this.chosenIndex })
  }

  /** Raises the promise and records it. */
  private promise(ballot: Ballot): void {
    this.promised = ballot
    this.records.push({ type: 'promise', ballot })
  }

  /** What this acceptor accepted in `slot`, as an entry (off the hot path). */
  private acceptedEntry(slot: number): AcceptedEntry | undefined {
    const ballot = this.acceptedBallots.get(slot)
    if (ballot === undefined) return undefined
    return { slot, ballot, value: this.acceptedValues.get(slot) as PaxosValue }
  }

  private acceptLocally(entry: AcceptedEntry): void {
    this.acceptedBallots.set(entry.slot, entry.ballot)
    this.acceptedValues.set(entry.slot, entry.value)
    if (entry.slot > this.lastAcceptedSlot) this.lastAcceptedSlot = entry.slot
    this.acceptBuffer.push(entry)
  }

  /** Records what was accepted since the last flush, in records no larger than a message. */
  private flushAcceptRecord(): void {
    if (this.acceptBuffer.length === 0) return
    if (!this.options.skipAcceptRecords)
      for (const entries of this.batches(this.acceptBuffer)) this.records.push({ type: 'accept', entries })
    this.acceptBuffer = []
  }

  // ---------------------------------------------------------------- learner

  private noteCommit(ballot: Ballot, commitIndex: number): void {
    const order = compareBallots(ballot, this.knownCommit.ballot)
    if (order > 0 || (order === 0 && commitIndex > this.knownCommit.index))
      this.knownCommit = { ballot, index: commitIndex }
    this.advanceChosen()
  }

  private markChosen(slot: number, value: PaxosValue): void {
    const before = this.chosen.get(slot)
    if (before !== undefined) {
      if (!sameValue(before, value))
        throw new PaxosInvariantError(`slot ${slot} chosen twice with different values`)
      return
    }
    this.chosen.set(slot, value)
  }

  /** Extends the chosen prefix as far as known, and hands the new values out to apply. */
  private advanceChosen(): void {
    const { ballot, index } = this.knownCommit
    for (;;) {
      const slot = this.chosenIndex + 1
      if (!this.chosen.has(slot)) {
        // accepted at the ballot that committed it: that is the chosen value
        const accepted = slot <= index ? this.acceptedBallots.get(slot) : undefined
        if (accepted === undefined || compareBallots(accepted, ballot) !== 0) break
        this.chosen.set(slot, this.acceptedValues.get(slot) as PaxosValue)
      }
      this.chosenIndex = slot
    }
    while (this.emittedIndex < this.chosenIndex) {
      const slot = ++this.emittedIndex
      const value = this.chosen.get(slot) as PaxosValue
      const own = this.ownProposals.size > 0 ? this.ownProposals.get(slot) : undefined
      let proposalId: number | null = null
      if (own !== undefined) {
        this.ownProposals.delete(slot)
        if (sameValue(own.value, value)) proposalId = own.id
        else this.dropped.push({ proposalId: own.id, reason: 'overwritten' })
      }
      this.chosenOut.push({ slot, value, proposalId })
    }
  }

  // ---------------------------------------------------------------- proposer

  private onPromise(from: NodeId, message: Extract<PaxosMessage, { type: 'promise' }>): void {
    const candidate = this.candidate
    if (this.role !== 'candidate' || candidate === null || compareBallots(message.ballot, this.ballot) !== 0)
      return
    const cursor = candidate.cursors.get(from)
    if (cursor === undefined || cursor === null || cursor !== message.fromSlot) return // a duplicate or stale page
    // the acceptor dropped slots this candidate has not learned: it waits for the snapshot the acceptor sends
    if (message.compactedSlot >= candidate.fromSlot) return
    for (const entry of message.entries) {
      if (entry.slot < candidate.fromSlot) continue
      const best = candidate.collected.get(entry.slot)
      if (best === undefined || compareBallots(entry.ballot, best.ballot) > 0)
        candidate.collected.set(entry.slot, entry)
    }
    if (message.nextSlot === null) {
      candidate.cursors.set(from, null)
      this.checkElected()
    } else if (message.nextSlot > message.fromSlot) {
      candidate.cursors.set(from, message.nextSlot)
      this.send(from, { type: 'prepare', ballot: this.ballot, fromSlot: message.nextSlot })
    }
  }

  private resendPrepares(): void {
    const candidate = this.candidate
    if (candidate === null) return
    for (const [peer, cursor] of candidate.cursors)
      if (cursor !== null) this.send(peer, { type: 'prepare', ballot: this.ballot, fromSlot: cursor })
  }

  private checkElected(): void {
    const candidate = this.candidate
    if (candidate === null) return
    let promised = 1 // this replica promised its own ballot
    for (const cursor of candidate.cursors.values()) if (cursor === null) promised++
    if (promised >= this.quorum) this.becomeLeader(candidate)
  }

  private becomeLeader(candidate: CandidateState): void {
    this.candidate = null
    this.setRole('leader', this.ballot)
    this.setLeader(this.options.id)
    const leader: LeaderState = {
      proposals: new SlotArray(),
      pending: [],
      pendingHead: 0,
      pendingBytes: 0,
      inflightBytes: 0,
      nextSlot: candidate.fromSlot,
      sendCursor: candidate.fromSlot,
      peerChosen: new Map(this.peers.map((peer) => [peer, 0])),
      peerHeard: new Map(this.peers.map((peer) => [peer, this.ticks])),
      learnSent: new Map(),
      since: this.ticks,
    }
    this.leader = leader
    let last = candidate.fromSlot - 1
    for (const slot of candidate.collected.keys()) if (slot > last) last = slot
    if (this.chosen.end - 1 > last) last = this.chosen.end - 1
    // re-propose the highest-ballot value of every open slot; fill the gaps with no-ops
    for (let slot = candidate.fromSlot; slot <= last; slot++) {
      const known = this.chosen.get(slot)
      const reported = this.options.ignorePromisedValues ? undefined : candidate.collected.get(slot)?.value
      this.openSlot(leader, slot, known ?? reported ?? NOOP)
    }
    leader.nextSlot = last + 1
    this.flushAcceptRecord()
    this.heartbeatElapsed = 0
    this.heartbeat()
    this.advanceChosen()
  }

  /** Gives `value` the slot, accepts it here, and counts this replica's acceptance. */
  private openSlot(leader: LeaderState, slot: number, value: PaxosValue): void {
    this.acceptLocally({ slot, ballot: this.ballot, value })
    const proposal: Proposal = { value, acksLo: 0, acksHi: 0, ackCount: 0, sentAt: -1 }
    addAck(proposal, this.selfIndex)
    leader.proposals.set(slot, proposal)
    leader.inflightBytes += valueBytes(value)
    this.tryChoose(leader, slot, proposal) // a one-replica cluster, or a slot already known chosen
  }

  /** Moves pending proposals into free slots and sends every unsent slot, batched. */
  private flushProposals(): void {
    const leader = this.leader
    if (leader === null) return
    // nothing to place and nothing unsent (every other path that opens slots flushes and advances itself)
    if (leader.pendingHead === leader.pending.length && leader.sendCursor >= leader.nextSlot) return
    const windowEnd = this.chosenIndex + this.options.maxInflightSlots
    const pending = leader.pending
    while (leader.pendingHead < pending.length && leader.nextSlot <= windowEnd) {
      const next = pending[leader.pendingHead] as PendingProposal
      const size = valueBytes(next.value)
      if (leader.proposals.size > 0 && leader.inflightBytes + size > this.options.maxInflightBytes) break
      leader.pendingHead++
      leader.pendingBytes -= size
      const slot = leader.nextSlot++
      this.openSlot(leader, slot, next.value)
      this.ownProposals.set(slot, next)
    }
    if (leader.pendingHead === pending.length) {
      if (leader.pendingHead > 0) {
        leader.pending = []
        leader.pendingHead = 0
      }
    } else if (leader.pendingHead >= 1024 && leader.pendingHead * 2 >= pending.length) {
      leader.pending = pending.slice(leader.pendingHead)
      leader.pendingHead = 0
    }
    this.flushAcceptRecord()
    this.advanceChosen()
    const unsent: SlotValue[] = []
    for (; leader.sendCursor < leader.nextSlot && leader.sendCursor <= windowEnd; leader.sendCursor++) {
      const proposal = leader.proposals.get(leader.sendCursor)
      if (proposal === undefined) continue // already chosen
      proposal.sentAt = this.ticks
      unsent.push({ slot: leader.sendCursor, value: proposal.value })
    }
    if (unsent.length === 0 || this.peers.length === 0) return
    for (const batch of this.batches(unsent)) for (const peer of this.peers) this.sendAccept(peer, batch)
  }

  private sendAccept(peer: NodeId, entries: readonly SlotValue[]): void {
    this.send(peer, { type: 'accept', ballot: this.ballot, entries, commitIndex: this.chosenIndex })
  }

  /** Splits entries into messages of at most `maxBatchEntries` entries and `maxBatchBytes` bytes. */
  private batches<T extends SlotValue>(entries: readonly T[]): T[][] {
    if (entries.length <= this.options.maxBatchEntries) {
      // the common case: one batch, the array itself (callers hand over arrays they no longer touch)
      let total = 0
      for (let i = 0; i < entries.length; i++) total += valueBytes((entries[i] as T).value)
      if (total <= this.options.maxBatchBytes || entries.length <= 1)
        return entries.length === 0 ? [] : [entries as T[]]
    }
    const out: T[][] = []
    let batch: T[] = []
    let bytes = 0
    for (const entry of entries) {
      const size = valueBytes(entry.value)
      if (
        batch.length > 0 &&
        (batch.length >= this.options.maxBatchEntries || bytes + size > this.options.maxBatchBytes)
      ) {
        out.push(batch)
        batch = []
        bytes = 0
      }
      batch.push(entry)
      bytes += size
    }
    if (batch.length > 0) out.push(batch)
    return out
  }

  private onAccepted(from: NodeId, ballot: Ballot, slots: readonly number[], chosenIndex: number): void {
    const leader = this.leader
    if (this.role !== 'leader' || leader === null || compareBallots(ballot, this.ballot) !== 0) return
    leader.peerHeard.set(from, this.ticks)
    // the latest report, even if lower: a restarted replica starts again from nothing
    leader.peerChosen.set(from, chosenIndex)
    const index = this.memberIndex.get(from) as number
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i] as number
      const proposal = leader.proposals.get(slot)
      if (proposal === undefined) continue
      addAck(proposal, index)
      this.tryChoose(leader, slot, proposal)
    }
    this.advanceChosen()
    this.sendLearn(leader, from)
  }

  /** Marks a proposal chosen once a majority accepted it (the caller then advances the commit index). */
  private tryChoose(leader: LeaderState, slot: number, proposal: Proposal): void {
    if (proposal.ackCount < this.quorum && !this.chosen.has(slot)) return
    this.markChosen(slot, proposal.value)
    leader.proposals.delete(slot)
    leader.inflightBytes -= valueBytes(proposal.value)
  }

  /** Teaches a lagging peer the next chosen values it misses. */
  private sendLearn(leader: LeaderState, peer: NodeId): void {
    const from = (leader.peerChosen.get(peer) ?? 0) + 1
    if (from > this.chosenIndex) return
    const last = leader.learnSent.get(peer)
    if (last !== undefined && last.from === from && this.ticks - last.at < this.options.retransmitTicks)
      return
    leader.learnSent.set(peer, { from, at: this.ticks })
    if (from <= this.compactedSlot) {
      this.requestSnapshot(peer)
      return
    }
    const entries: SlotValue[] = []
    let bytes = 0
    for (let slot = from; slot <= this.chosenIndex; slot++) {
      const value = this.chosen.get(slot) as PaxosValue
      const size = valueBytes(value)
      if (
        entries.length >= this.options.maxBatchEntries ||
        (entries.length > 0 && bytes + size > this.options.maxBatchBytes)
      )
        break
      entries.push({ slot, value })
      bytes += size
    }
    this.send(peer, { type: 'learn', ballot: this.ballot, entries, commitIndex: this.chosenIndex })
  }

  private heartbeat(): void {
    for (const peer of this.peers) this.sendAccept(peer, [])
  }

  /** Sends again the open slots a peer has not acknowledged within `retransmitTicks`. */
  private retransmit(): void {
    const leader = this.leader
    if (leader === null) return
    const windowEnd = this.chosenIndex + this.options.maxInflightSlots
    const stale: [number, Proposal][] = []
    const proposals = leader.proposals
    for (let slot = proposals.first, end = proposals.end; slot < end; slot++) {
      const proposal = proposals.get(slot)
      if (
        proposal !== undefined &&
        proposal.sentAt >= 0 &&
        slot <= windowEnd &&
        this.ticks - proposal.sentAt >= this.options.retransmitTicks
      )
        stale.push([slot, proposal])
    }
    if (stale.length === 0) return
    stale.sort((a, b) => a[0] - b[0])
    for (const [, proposal] of stale) proposal.sentAt = this.ticks
    for (const peer of this.peers) {
      const index = this.memberIndex.get(peer) as number
      const missing = stale
        .filter(([, p]) => !hasAck(p, index))
        .map(([slot, p]) => ({ slot, value: p.value }))
      for (const batch of this.batches(missing)) this.sendAccept(peer, batch)
    }
  }

  /** A leader that has not heard from a majority within an election timeout steps down. */
  private checkQuorum(): void {
    const leader = this.leader
    if (leader === null) return
    const { electionTicks } = this.options
    if (this.ticks - leader.since < electionTicks || (this.ticks - leader.since) % electionTicks !== 0) return
    let heard = 1
    for (const at of leader.peerHeard.values()) if (this.ticks - at < electionTicks) heard++
    if (heard < this.quorum) {
      this.stepDown()
      this.setLeader(null)
    }
  }

  private onReject(ballot: Ballot, promised: Ballot): void {
    this.noteRound(promised.round)
    if (this.role === 'follower' || compareBallots(ballot, this.ballot) !== 0) return
    if (compareBallots(promised, this.ballot) <= 0) return
    this.stepDown() // preempted
    this.setLeader(null)
  }

  private stepDown(): void {
    const leader = this.leader
    if (leader !== null) {
      for (const { id } of leader.pending.slice(leader.pendingHead))
        this.dropped.push({ proposalId: id, reason: 'leadership-lost' })
      this.leader = null
    }
    this.candidate = null
    this.setRole('follower', ZERO_BALLOT)
    this.resetElection()
  }

  // ---------------------------------------------------------------- helpers

  private setRole(role: PaxosRole, ballot: Ballot): void {
    this.role = role
    this.ballot = ballot
    this.events.push({ type: 'role-changed', role, ballot })
  }

  private setLeader(leaderId: NodeId | null): void {
    if (this.leaderId === leaderId) return
    this.leaderId = leaderId
    this.events.push({ type: 'leader-changed', leaderId })
  }

  private noteRound(round: number): void {
    if (round > this.highestRound) this.highestRound = round
  }

  private resetElection(): void {
    this.electionElapsed = 0
    this.electionTimeout = this.randomTimeout()
  }

  private randomTimeout(): number {
    const draw = this.options.random()
    if (typeof draw !== 'number' || !(draw >= 0 && draw < 1))
      throw new RangeError(`random: expected a number in [0, 1), got ${String(draw)}`)
    return this.options.electionTicks + Math.floor(draw * this.options.electionTicks)
  }

  private send(to: NodeId, message: PaxosMessage): void {
    this.messages.push({ to, message })
  }
}
