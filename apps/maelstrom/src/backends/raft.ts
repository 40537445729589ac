/**
 * `raft` (the default backend): every Maelstrom node runs a `RaftNode` of
 * `@synod/raft` with a `KvStateMachine`; the Raft messages travel over the
 * node's `MaelstromTransport` (binary, `raftMessageCodec`), and writes that
 * arrive at a follower are forwarded to the leader over a second channel,
 * `forward`.
 *
 * - `read` is Raft's linearizable read (ReadIndex, served on any node) followed
 *   by a local get. A read changes nothing, so a failed one is answered with
 *   code 11: "it did not happen" is always true of a read.
 * - `write` / `cas` are proposed with a client session (`clientId`,
 *   `sequence`): a command retried on another leader, forwarded twice or
 *   duplicated by the network is applied at most once. Each in-flight command
 *   holds its own session (Raft's sessions allow one outstanding command per
 *   client); a session whose command's outcome is unknown is never used again.
 * - Outcomes: a result from the state machine is definite (ok, 20, 22). When
 *   the request never left this node and Raft said it was not appended
 *   (`NotLeaderError`, `ProposalDroppedError`, `ProposalOverwrittenError`), the
 *   answer is 11. As soon as the command was forwarded, or a local proposal
 *   ended in `RaftTimeoutError` / `StoppedError` / anything unexpected, the
 *   answer without a result is code 0 (indefinite): a lost forward may have
 *   been applied.
 *
 * Storage is in memory (`MemoryStorage`): Maelstrom's lin-kv nemesis is
 * partitions, not process kills. Do not run it with a `kill` nemesis.
 */
import { randomUUID } from 'node:crypto'
import {
  decodeKvCommand,
  encodeKvCommand,
  KV_LIMITS,
  type KvCommand,
  type KvResult,
  KvStateMachine,
  MemoryStorage,
  ProposalDroppedError,
  ProposalOverwrittenError,
  RaftNode,
  NotLeaderError as RaftNotLeaderError,
  raftMessageCodec,
} from '@synod/raft'
import type { NodeId, Transport } from '@synod/transport'
import {
  CrashError,
  KeyDoesNotExistError,
  MalformedRequestError,
  OperationTimeoutError,
  PreconditionFailedError,
  TemporarilyUnavailableError,
} from '../errors.js'
import { canonicalJson, isJsonObject, type JsonValue } from '../json.js'
import type { BackendContext, BackendFactory, CasOptions, KvBackend } from './types.js'

/** Entry bytes per Raft append message (see where the node starts). */
const MAX_APPEND_PAYLOAD_BYTES = 256 * 1024

/**
 * Options of the Raft backend.
 *
 * @example
 * ```ts
 * raftBackend({ tickMs: 10, electionTicks: 10 })
 * ```
 */
export interface RaftBackendOptions {
  /** Real milliseconds per Raft tick (default 10). */
  tickMs?: number
  /** Election timeout in ticks, drawn in [T, 2T) (default 10). */
  electionTicks?: number
  /** How long a forwarded command waits for an answer before it is sent again (default 250 ms). */
  forwardRetryMs?: number
  /** How long to wait before trying again when no leader is known or the leader refused (default 20 ms). */
  pollMs?: number
  /** Writes and cas in progress on this node (its own and forwarded ones) before code 11 (default 10,000). */
  maxPending?: number
  /** The largest value, as canonical JSON, in bytes (default 256 KiB: Raft batches must fit Maelstrom's 1 MiB lines). */
  maxValueBytes?: number
  /** [0, 1) for Raft's election jitter (default `Math.random`). */
  random?: () => number
}

/**
 * What the leader answers to a forwarded command.
 *
 * - `applied`: the state machine's result (definite);
 * - `not-leader`: the receiver is not the leader and did not propose it;
 * - `not-appended`: it proposed it and Raft said it was not appended or never
 *   commits (dropped, overwritten), or it was too busy to propose;
 * - `unknown`: it proposed it and saw no outcome (timeout, stopped).
 *
 * @example
 * ```ts
 * const outcome: RaftForwardOutcome = { status: 'not-leader', leaderHint: 'n2' }
 * ```
 */
export type RaftForwardOutcome =
  | { status: 'applied'; result: KvResult }
  | { status: 'not-leader'; leaderHint: NodeId | null }
  | { status: 'not-appended'; reason: string }
  | { status: 'unknown'; reason: string }

/**
 * The messages of the `forward` channel. `origin` names one incarnation of
 * the forwarding node, `id` one of its requests (the same for every resend),
 * `command` is the base64 of an `encodeKvCommand` with the origin's session.
 * A node that receives a `propose` and is not the leader answers `not-leader`
 * and never forwards further (one hop): the origin retries toward the hint.
 *
 * @example
 * ```ts
 * const message: RaftForwardMessage = { kind: 'propose', origin: 'n1:5f…', id: 3, command: 'AQE…', timeoutMs: 800 }
 * ```
 */
export type RaftForwardMessage =
  | { kind: 'propose'; origin: string; id: number; command: string; timeoutMs: number }
  | { kind: 'outcome'; origin: string; id: number; outcome: RaftForwardOutcome }

const MAX_ORIGIN_LENGTH = 512
const MAX_REASON_LENGTH = 1024
const MAX_FORWARD_TIMEOUT_MS = 600_000
/** base64 of a command whose value is at most 1 MiB, with room for the key and the session. */
const MAX_COMMAND_BASE64_LENGTH = Math.ceil(((KV_LIMITS.maxValueBytes + 16 * 1024) * 4) / 3)

function fail(reason: string): never {
  throw new Error(reason)
}

function isNullableString(value: unknown): value is string | null {
  return value === null || typeof value === 'string'
}

function parseKvResult(value: unknown): KvResult {
  if (!isJsonObject(value)) fail('outcome.result: expected an object')
  if (value.ok === true) {
    if (!('previous' in value)) return { ok: true }
    if (!isNullableString(value.previous)) fail('outcome.result.previous: expected a string or null')
    return { ok: true, previous: value.previous }
  }
  if (value.ok !== false) fail('outcome.result.ok: expected a boolean')
  switch (value.reason) {
    case 'precondition-failed':
    case 'key-does-not-exist':
      if (!isNullableString(value.current)) fail('outcome.result.current: expected a string or null')
      return { ok: false, reason: value.reason, current: value.current }
    case 'invalid-command':
    case 'session-stale':
    case 'session-expired':
      return { ok: false, reason: value.reason }
    default:
      return fail(`outcome.result.reason: unknown ${JSON.stringify(value.reason)}`)
  }
}

function parseReason(value: unknown): string {
  if (typeof value !== 'string' || value.length > MAX_REASON_LENGTH)
    fail(`outcome.reason: expected a string of at most ${MAX_REASON_LENGTH} characters`)
  return value
}

function parseOutcome(value: unknown): RaftForwardOutcome {
  if (!isJsonObject(value)) fail('outcome: expected an object')
  switch (value.status) {
    case 'applied':
      return { status: 'applied', result: parseKvResult(value.result) }
    case 'not-leader': {
      const hint = value.leaderHint
      if (hint !== null && (typeof hint !== 'string' || hint.length === 0 || hint.length > MAX_ORIGIN_LENGTH))
        fail('outcome.leaderHint: expected a node id or null')
      return { status: 'not-leader', leaderHint: hint }
    }
    case 'not-appended':
    case 'unknown':
      return { status: value.status, reason: parseReason(value.reason) }
    default:
      return fail(`outcome.status: unknown ${JSON.stringify(value.status)}`)
  }
}

function decodeBase64(text: string): Uint8Array {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) fail('command: not base64')
  return new Uint8Array(Buffer.from(text, 'base64'))
}

/**
 * Checks an arriving payload of the `forward` channel and returns it as a
 * `RaftForwardMessage`, or throws. A `propose`'s command must decode as a
 * key-value command with a session.
 *
 * @throws {Error} naming the first thing that is wrong
 * @example
 * ```ts
 * parseRaftForwardMessage({ kind: 'outcome', origin: 'n1:x', id: 1, outcome: { status: 'not-leader', leaderHint: null } })
 * ```
 */
export function parseRaftForwardMessage(payload: unknown): RaftForwardMessage {
  if (!isJsonObject(payload)) fail('message: expected an object')
  const { kind, origin, id } = payload
  if (typeof origin !== 'string' || origin.length === 0 || origin.length > MAX_ORIGIN_LENGTH)
    fail(`origin: expected a non-empty string of at most ${MAX_ORIGIN_LENGTH} characters`)
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0)
    fail('id: expected a non-negative integer')
  if (kind === 'propose') {
    const { command, timeoutMs } = payload
    if (typeof command !== 'string' || command.length > MAX_COMMAND_BASE64_LENGTH)
      fail('command: expected a base64 string')
    if (decodeKvCommand(decodeBase64(command)).session === null) fail('command: expected a session')
    if (
      typeof timeoutMs !== 'number' ||
      !Number.isSafeInteger(timeoutMs) ||
      timeoutMs < 1 ||
      timeoutMs > MAX_FORWARD_TIMEOUT_MS
    )
      fail(`timeoutMs: expected an integer from 1 to ${MAX_FORWARD_TIMEOUT_MS}`)
    return { kind, origin, id, command, timeoutMs }
  }
  if (kind === 'outcome') return { kind, origin, id, outcome: parseOutcome(payload.outcome) }
  return fail(`kind: expected propose or outcome, got ${JSON.stringify(kind)}`)
}

/** A client session; one command in flight at a time. `sequence` is the next one to use. */
interface SessionSlot {
  clientId: string
  sequence: number
}

/** What became of a command: a result, or no result and whether it may still take effect. */
type Submission =
  | { kind: 'result'; result: KvResult }
  | { kind: 'no-result'; mayTakeEffect: boolean; reason: string }

/** Raft's definite "not appended / never commits" errors. */
function isNotAppended(error: unknown): boolean {
  return (
    RaftNotLeaderError.isInstance(error) ||
    ProposalDroppedError.isInstance(error) ||
    ProposalOverwrittenError.isInstance(error)
  )
}

function positive(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0)
    throw new RangeError(`${name}: expected a positive integer, got ${String(value)}`)
  return value
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/**
 * The Raft backend of one node.
 *
 * @example
 * ```ts
 * const node = new MaelstromNode({ backend: raftBackend(), write, log })
 * // after init: (node.backend as RaftBackend).raftNode?.status().role
 * ```
 */
export class RaftBackend implements KvBackend {
  /** The state machine every committed command is applied to. */
  readonly kv = new KvStateMachine()
  private readonly context: BackendContext
  private readonly forwardTransport: Transport<RaftForwardMessage>
  private readonly origin: string
  private readonly forwardRetryMs: number
  private readonly pollMs: number
  private readonly maxPending: number
  private readonly maxValueBytes: number
  private readonly starting: Promise<RaftNode | undefined>
  private node: RaftNode | undefined
  private startError: string | undefined
  private closed = false
  private pending = 0
  private nextRequestId = 0
  private nextSlot = 0
  private readonly freeSlots: SessionSlot[] = []
  private readonly forwardWaiters = new Map<number, (outcome: RaftForwardOutcome | undefined) => void>()
  private readonly serving = new Set<string>()
  private readonly wakers = new Set<() => void>()
  /** Counters, for logs and tests. */
  readonly stats = {
    proposedLocally: 0,
    forwardsSent: 0,
    forwardsServed: 0,
    applied: 0,
    notAppended: 0,
    unknown: 0,
    sessionsRetired: 0,
  }

  constructor(context: BackendContext, options: RaftBackendOptions = {}) {
    this.context = context
    this.forwardRetryMs = positive('forwardRetryMs', options.forwardRetryMs ?? 250)
    this.pollMs = positive('pollMs', options.pollMs ?? 20)
    this.maxPending = positive('maxPending', options.maxPending ?? 10_000)
    this.maxValueBytes = positive('maxValueBytes', options.maxValueBytes ?? 256 * 1024)
    if (this.maxValueBytes > KV_LIMITS.maxValueBytes)
      throw new RangeError(
        `maxValueBytes: expected at most ${KV_LIMITS.maxValueBytes}, got ${this.maxValueBytes}`,
      )
    this.origin = `${context.nodeId}:${randomUUID()}`
    const raftTransport = context.createTransport({
      codec: raftMessageCodec({ maxMessageBytes: 1024 * 1024 }),
    })
    this.forwardTransport = context.createTransport<RaftForwardMessage>({
      channel: 'forward',
      validate: parseRaftForwardMessage,
    })
    this.forwardTransport.onMessage((from, message) => this.onForwardMessage(from, message))
    this.starting = RaftNode.start({
      id: context.nodeId,
      members: context.nodeIds,
      transport: raftTransport,
      storage: new MemoryStorage(),
      stateMachine: this.kv,
      requestTimeoutMs: context.requestTimeoutMs,
      // Appends travel as base64 in JSON lines of at most 1 MiB: at 256 KiB of entries a
      // message (even one entry of the largest value alone) stays well under that line.
      tuning: { maxMessageBytes: MAX_APPEND_PAYLOAD_BYTES },
      ...(options.tickMs !== undefined ? { tickMs: options.tickMs } : {}),
      ...(options.electionTicks !== undefined ? { electionTicks: options.electionTicks } : {}),
      ...(options.random !== undefined ? { random: options.random } : {}),
    }).then(
      async (node) => {
        if (this.closed) {
          await node.stop()
          return undefined
        }
        this.node = node
        context.log(`raft: ${context.nodeId} started with members ${context.nodeIds.join(',')}`)
        return node
      },
      (error: unknown) => {
        this.startError = messageOf(error)
        context.log(`raft: failed to start: ${error instanceof Error ? error.stack : String(error)}`)
        return undefined
      },
    )
  }

  /** The running Raft node (undefined until started, or when it failed to start). */
  get raftNode(): RaftNode | undefined {
    return this.node
  }

  async read(key: JsonValue): Promise<JsonValue> {
    const node = await this.started()
    try {
      await node.read({ timeoutMs: this.context.requestTimeoutMs })
    } catch (error) {
      // a read changes nothing: reporting that it did not happen is always true
      throw new TemporarilyUnavailableError(`no linearizable read point: ${messageOf(error)}`)
    }
    const value = this.kv.get(canonicalJson(key))
    if (value === null) throw new KeyDoesNotExistError(key)
    return JSON.parse(value) as JsonValue
  }

  async write(key: JsonValue, value: JsonValue): Promise<void> {
    const command: KvCommand = { type: 'put', key: this.keyText(key), value: this.valueText(value) }
    const result = await this.execute(command)
    if (!result.ok) throw new CrashError(`a put was answered ${JSON.stringify(result)}`)
  }

  async cas(key: JsonValue, from: JsonValue, to: JsonValue, options: CasOptions = {}): Promise<void> {
    const name = this.keyText(key)
    const toText = this.valueText(to)
    if (options.createIfNotExists === true) {
      // first "create if absent"; a key that exists gets the ordinary cas below
      const created = await this.execute({ type: 'cas', key: name, from: null, to: toText })
      if (created.ok) return
      if (created.reason !== 'precondition-failed' || created.current === null)
        throw new CrashError(`a cas was answered ${JSON.stringify(created)}`)
    }
    const result = await this.execute({ type: 'cas', key: name, from: this.valueText(from), to: toText })
    if (result.ok) return
    if (result.reason === 'precondition-failed') {
      if (result.current === null) throw new KeyDoesNotExistError(key)
      throw new PreconditionFailedError(key, from, JSON.parse(result.current) as JsonValue)
    }
    throw new CrashError(`a cas was answered ${JSON.stringify(result)}`)
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    for (const wake of [...this.wakers]) wake()
    for (const resolve of [...this.forwardWaiters.values()]) resolve(undefined)
    const node = await this.starting
    await node?.stop()
  }

  private keyText(key: JsonValue): string {
    const text = canonicalJson(key)
    const bytes = Buffer.byteLength(text)
    if (bytes > KV_LIMITS.maxKeyBytes)
      throw new MalformedRequestError(
        `key: ${bytes} bytes as JSON exceeds the raft backend's limit of ${KV_LIMITS.maxKeyBytes}`,
      )
    return text
  }

  private valueText(value: JsonValue): string {
    const text = canonicalJson(value)
    const bytes = Buffer.byteLength(text)
    if (bytes > this.maxValueBytes)
      throw new MalformedRequestError(
        `value: ${bytes} bytes as JSON exceeds the raft backend's limit of ${this.maxValueBytes}`,
      )
    return text
  }

  private async started(): Promise<RaftNode> {
    if (this.closed) throw new TemporarilyUnavailableError('the node is shutting down')
    const node = this.node ?? (await this.starting)
    if (node === undefined || this.closed)
      throw new TemporarilyUnavailableError(
        this.startError === undefined
          ? 'the node is shutting down'
          : `raft failed to start: ${this.startError}`,
      )
    return node
  }

  /** Proposes one command under a session of its own; returns the state machine's result or throws. */
  private async execute(command: KvCommand): Promise<KvResult> {
    const node = await this.started()
    if (this.pending >= this.maxPending)
      throw new TemporarilyUnavailableError(`${this.maxPending} writes already in progress on this node`)
    this.pending++
    const slot = this.freeSlots.pop() ?? { clientId: `${this.origin}:${this.nextSlot++}`, sequence: 1 }
    let reusable = false
    try {
      const bytes = encodeKvCommand(command, { clientId: slot.clientId, sequence: slot.sequence })
      const submission = await this.submit(node, bytes)
      if (submission.kind === 'no-result') {
        if (submission.mayTakeEffect) {
          this.stats.unknown++
          throw new OperationTimeoutError(
            this.context.requestTimeoutMs,
            `${submission.reason}; it may or may not take effect`,
          )
        }
        // never appended anywhere: the same sequence number is free for the next command
        reusable = true
        this.stats.notAppended++
        throw new TemporarilyUnavailableError(submission.reason)
      }
      const result = submission.result
      if (result.ok || result.reason === 'precondition-failed' || result.reason === 'key-does-not-exist') {
        this.stats.applied++
        slot.sequence++
        reusable = true
        return result
      }
      // stale or expired: an earlier copy may have been applied; invalid: a bug
      this.stats.unknown++
      throw new OperationTimeoutError(
        this.context.requestTimeoutMs,
        `the session answered ${result.reason}; the command may or may not have taken effect`,
      )
    } finally {
      this.pending--
      if (reusable) this.freeSlots.push(slot)
      else this.stats.sessionsRetired++
    }
  }

  /**
   * Gets `command` applied before the request timeout: proposed here when this
   * node leads, forwarded to the leader otherwise, retried (same session) until
   * a result or the deadline.
   */
  private async submit(node: RaftNode, command: Uint8Array): Promise<Submission> {
    const deadline = Date.now() + this.context.requestTimeoutMs
    const id = this.nextRequestId++
    let mayTakeEffect = false
    let reason = 'no leader is known'
    try {
      while (!this.closed && !node.isStopped) {
        const remainingMs = deadline - Date.now()
        if (remainingMs <= 0) break
        const status = node.status()
        if (status.role === 'leader') {
          this.stats.proposedLocally++
          try {
            return {
              kind: 'result',
              result: (await node.propose(command, { timeoutMs: remainingMs })) as KvResult,
            }
          } catch (error) {
            reason = messageOf(error)
            if (!isNotAppended(error)) {
              // timeout, stopped, or anything else after Raft took the command: unknown
              mayTakeEffect = true
              break
            }
            await this.pause(Math.min(this.pollMs, deadline - Date.now()))
            continue
          }
        }
        const leader = status.leader
        if (leader === null || leader === this.context.nodeId) {
          reason = 'no leader is known'
          await this.pause(Math.min(this.pollMs, remainingMs))
          continue
        }
        // from here on a copy may be applied whatever the answers say (a duplicate may arrive late)
        mayTakeEffect = true
        const outcome = await this.forward(leader, id, command, remainingMs)
        if (outcome === undefined) {
          reason = `the leader ${leader} did not answer`
          continue
        }
        switch (outcome.status) {
          case 'applied':
            return { kind: 'result', result: outcome.result }
          case 'not-leader':
            reason = `${leader} is not the leader`
            break
          case 'not-appended':
          case 'unknown':
            reason = `${leader}: ${outcome.reason}`
            break
        }
        await this.pause(Math.min(this.pollMs, deadline - Date.now()))
      }
    } finally {
      this.forwardWaiters.delete(id)
    }
    if (this.closed || node.isStopped) reason = 'the node is shutting down'
    return { kind: 'no-result', mayTakeEffect, reason }
  }

  /** Sends the command to `leader`; resolves with its answer, or undefined after one retry interval. */
  private forward(
    leader: NodeId,
    id: number,
    command: Uint8Array,
    remainingMs: number,
  ): Promise<RaftForwardOutcome | undefined> {
    const message: RaftForwardMessage = {
      kind: 'propose',
      origin: this.origin,
      id,
      command: Buffer.from(command).toString('base64'),
      timeoutMs: Math.max(1, Math.min(MAX_FORWARD_TIMEOUT_MS, Math.floor(remainingMs))),
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish(undefined), Math.min(this.forwardRetryMs, remainingMs))
      const finish = (outcome: RaftForwardOutcome | undefined) => {
        clearTimeout(timer)
        if (this.forwardWaiters.get(id) === finish) this.forwardWaiters.delete(id)
        resolve(outcome)
      }
      this.forwardWaiters.set(id, finish)
      try {
        this.stats.forwardsSent++
        this.forwardTransport.send(leader, message)
      } catch (error) {
        this.context.log(`raft: cannot forward to ${leader}: ${messageOf(error)}`)
      }
    })
  }

  private pause(ms: number): Promise<void> {
    if (ms <= 0 || this.closed) return Promise.resolve()
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer)
        this.wakers.delete(wake)
        resolve()
      }
      const timer = setTimeout(wake, ms)
      this.wakers.add(wake)
    })
  }

  private onForwardMessage(from: NodeId, message: RaftForwardMessage): void {
    if (message.kind === 'outcome') {
      if (message.origin !== this.origin) return // for a previous incarnation
      this.forwardWaiters.get(message.id)?.(message.outcome)
      return
    }
    void this.serveForward(from, message)
  }

  /** Proposes a command forwarded by `from` (once at a time per request) and answers it. */
  private async serveForward(
    from: NodeId,
    message: Extract<RaftForwardMessage, { kind: 'propose' }>,
  ): Promise<void> {
    const key = `${message.origin}#${message.id}`
    if (this.serving.has(key)) return // a resend while the first copy is in progress: it will answer
    const answer = (outcome: RaftForwardOutcome) => {
      try {
        this.forwardTransport.send(from, { kind: 'outcome', origin: message.origin, id: message.id, outcome })
      } catch (error) {
        this.context.log(`raft: cannot answer ${from}: ${messageOf(error)}`)
      }
    }
    const node = this.node
    if (node === undefined || this.closed || node.isStopped) {
      answer({ status: 'not-leader', leaderHint: null })
      return
    }
    const status = node.status()
    if (status.role !== 'leader') {
      answer({ status: 'not-leader', leaderHint: status.leader })
      return
    }
    if (this.pending >= this.maxPending) {
      answer({ status: 'not-appended', reason: `${this.maxPending} writes already in progress` })
      return
    }
    this.serving.add(key)
    this.pending++
    this.stats.forwardsServed++
    try {
      const command = new Uint8Array(Buffer.from(message.command, 'base64'))
      const timeoutMs = Math.min(message.timeoutMs, this.context.requestTimeoutMs)
      const result = (await node.propose(command, { timeoutMs })) as KvResult
      answer({ status: 'applied', result })
    } catch (error) {
      const reason = messageOf(error).slice(0, MAX_REASON_LENGTH)
      if (RaftNotLeaderError.isInstance(error)) answer({ status: 'not-leader', leaderHint: error.leaderHint })
      else if (isNotAppended(error)) answer({ status: 'not-appended', reason })
      else answer({ status: 'unknown', reason })
    } finally {
      this.pending--
      this.serving.delete(key)
    }
  }
}

/**
 * The Raft backend factory (`--backend raft`, the default).
 *
 * @example
 * ```ts
 * const node = new MaelstromNode({ backend: raftBackend(), write, log })
 * ```
 */
export function raftBackend(options: RaftBackendOptions = {}): BackendFactory {
  // check the options now, not at init
  positive('forwardRetryMs', options.forwardRetryMs ?? 250)
  positive('pollMs', options.pollMs ?? 20)
  positive('maxPending', options.maxPending ?? 10_000)
  positive('maxValueBytes', options.maxValueBytes ?? 256 * 1024)
  return (context) => new RaftBackend(context, options)
}
