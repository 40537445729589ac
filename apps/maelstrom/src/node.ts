/**
 * `MaelstromNode`: one Maelstrom node speaking the lin-kv workload. It takes
 * lines from stdin (`handleLine`), writes lines to stdout (`write`), answers
 * `init`, routes lin-kv requests to a `KvBackend` and node-to-node `synod`
 * messages to the backend's `MaelstromTransport`. Nothing on stdin can crash
 * it: a bad line is logged, and answered with an error when its sender and
 * `msg_id` can be read.
 */
import type { NodeId, Transport } from '@synod/transport'
import type { BackendContext, BackendFactory, BackendTransportOptions, KvBackend } from './backends/types.js'
import {
  CrashError,
  MaelstromRequestError,
  MalformedRequestError,
  NotSupportedError,
  OperationTimeoutError,
  TemporarilyUnavailableError,
} from './errors.js'
import { exceedsJsonDepth, type JsonValue, MAX_JSON_DEPTH } from './json.js'
import { type Envelope, type MessageBody, parseEnvelope } from './protocol/envelope.js'
import { DEFAULT_MAX_LINE_BYTES } from './protocol/line-splitter.js'
import { MaelstromTransport, SYNOD_MESSAGE_TYPE } from './transport.js'

/**
 * The default time an operation may take before an indefinite timeout reply: 1000 ms.
 *
 * @example
 * ```ts
 * new MaelstromNode({ backend, write, requestTimeoutMs: DEFAULT_REQUEST_TIMEOUT_MS * 2 })
 * ```
 */
export const DEFAULT_REQUEST_TIMEOUT_MS = 1000
/**
 * The default number of client requests in progress at once before code 11 replies: 10,000.
 *
 * @example
 * ```ts
 * new MaelstromNode({ backend, write, maxInFlight: DEFAULT_MAX_IN_FLIGHT / 10 })
 * ```
 */
export const DEFAULT_MAX_IN_FLIGHT = 10_000
/**
 * The most nodes `init` may list.
 *
 * @example
 * ```ts
 * nodeIds.length <= MAX_CLUSTER_NODES // or init is answered with code 12
 * ```
 */
export const MAX_CLUSTER_NODES = 1024

/**
 * Options of `MaelstromNode`.
 *
 * @example
 * ```ts
 * const options: MaelstromNodeOptions = {
 *   backend: singleLeaderBackend(),
 *   write: (line) => process.stdout.write(`${line}\n`),
 *   log: (text) => process.stderr.write(`${text}\n`),
 * }
 * ```
 */
export interface MaelstromNodeOptions {
  /** Builds the key-value backend at `init`. */
  backend: BackendFactory
  /** Writes one message line (without its newline) to stdout. */
  write: (line: string) => void
  /** Writes one log line to stderr (default: nowhere). */
  log?: (text: string) => void
  /** Passed to the backend as `requestTimeoutMs` (default 1000 ms). */
  requestTimeoutMs?: number
  /** Client requests in progress at once; beyond it, code 11 (default 10,000). */
  maxInFlight?: number
  /**
   * When a backend has not settled a request after this long, the node answers
   * code 0 itself and ignores the late outcome (default twice `requestTimeoutMs`).
   */
  answerDeadlineMs?: number
  /** The largest line the node's transport writes (default 1 MiB). */
  maxLineBytes?: number
}

interface Ready {
  nodeId: NodeId
  nodeIds: readonly NodeId[]
  backend: KvBackend | undefined
  backendError: string | undefined
  /** By channel; the default channel is the empty string. */
  transports: Map<string, MaelstromTransport<unknown>>
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0)
    throw new RangeError(`${name}: expected a positive integer, got ${String(value)}`)
  return value
}

/**
 * A Maelstrom node for the lin-kv workload.
 *
 * @example
 * ```ts
 * const node = new MaelstromNode({ backend: singleLeaderBackend(), write: (line) => console.log(line) })
 * node.handleLine('{"src":"c0","dest":"n0","body":{"type":"init","msg_id":1,"node_id":"n0","node_ids":["n0"]}}')
 * // prints {"src":"n0","dest":"c0","body":{"type":"init_ok","msg_id":1,"in_reply_to":1}}
 * node.handleLine('{"src":"c1","dest":"n0","body":{"type":"write","msg_id":2,"key":1,"value":5}}')
 * // later prints {"src":"n0","dest":"c1","body":{"type":"write_ok","msg_id":2,"in_reply_to":2}}
 * ```
 */
export class MaelstromNode {
  private readonly options: MaelstromNodeOptions
  private readonly log: (text: string) => void
  private readonly requestTimeoutMs: number
  private readonly maxInFlight: number
  private readonly answerDeadlineMs: number
  private readonly watchdogs = new Set<ReturnType<typeof setTimeout>>()
  private ready: Ready | undefined
  private nextMsgId = 1
  private inFlight = 0
  private closed = false
  /** Counters, for logs and tests. */
  readonly stats = { requests: 0, replies: 0, errorReplies: 0, refusedLines: 0, synodDelivered: 0 }

  constructor(options: MaelstromNodeOptions) {
    if (typeof options.backend !== 'function')
      throw new TypeError(`backend: expected a function, got ${typeof options.backend}`)
    if (typeof options.write !== 'function')
      throw new TypeError(`write: expected a function, got ${typeof options.write}`)
    this.options = options
    this.log = options.log ?? (() => {})
    this.requestTimeoutMs = positiveInteger(
      'requestTimeoutMs',
      options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    )
    this.maxInFlight = positiveInteger('maxInFlight', options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT)
    this.answerDeadlineMs = positiveInteger(
      'answerDeadlineMs',
      options.answerDeadlineMs ?? 2 * this.requestTimeoutMs,
    )
    positiveInteger('maxLineBytes', options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES)
  }

  /** This node's id, once initialized. */
  get nodeId(): NodeId | undefined {
    return this.ready?.nodeId
  }

  /** Every node of the cluster, once initialized. */
  get nodeIds(): readonly NodeId[] | undefined {
    return this.ready?.nodeIds
  }

  /** The backend, once initialized (undefined when its factory failed). */
  get backend(): KvBackend | undefined {
    return this.ready?.backend
  }

  /** Handles one line from stdin. Never throws. */
  handleLine(line: string): void {
    if (this.closed) return
    try {
      this.dispatch(line)
    } catch (error) {
      // a handler bug, not bad input: log it loudly but keep serving
      this.log(`internal error while handling a message: ${(error as Error).stack ?? String(error)}`)
    }
  }

  /** Logs and counts a line that was refused before parsing (too long, not UTF-8). */
  refuseLine(reason: string): void {
    this.stats.refusedLines++
    this.log(`refused a line: ${reason}`)
  }

  /** Client requests in progress (accepted, not yet answered). */
  get requestsInProgress(): number {
    return this.inFlight
  }

  /**
   * Waits until no client request is in progress, or `timeoutMs` passed (at
   * the end of stdin: answer what can still be answered before closing).
   *
   * @returns whether every request was answered
   */
  async drain(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs
    while (this.inFlight > 0) {
      if (Date.now() >= deadline) return false
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
    return true
  }

  /** Closes the backend and the transport. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    for (const watchdog of this.watchdogs) clearTimeout(watchdog)
    this.watchdogs.clear()
    const ready = this.ready
    if (!ready) return
    await ready.backend?.close()
    await Promise.all([...ready.transports.values()].map((transport) => transport.close()))
  }

  private dispatch(line: string): void {
    const parsed = parseEnvelope(line)
    if (!parsed.ok) {
      this.refuseLine(parsed.reason)
      const replyTo = parsed.replyTo
      // before init, the node's id is only known from what the sender addressed
      const self = this.ready?.nodeId ?? replyTo?.dest
      if (replyTo && self !== undefined)
        this.replyError(self, replyTo.src, replyTo.msgId, new MalformedRequestError(parsed.reason))
      return
    }
    const envelope = parsed.envelope
    const { body } = envelope
    if (this.ready && envelope.dest !== this.ready.nodeId) {
      this.refuseLine(`message for ${envelope.dest} arrived at ${this.ready.nodeId}`)
      return
    }
    if (body.type === 'init') {
      this.handleInit(envelope)
      return
    }
    if (body.type === SYNOD_MESSAGE_TYPE) {
      this.handleSynod(envelope)
      return
    }
    if (body.in_reply_to !== undefined) {
      // this node sends no requests of its own outside `synod` messages
      this.log(`ignoring a reply of type ${body.type} from ${envelope.src} (in_reply_to ${body.in_reply_to})`)
      return
    }
    if (body.msg_id === undefined) {
      this.refuseLine(`request of type ${JSON.stringify(body.type)} from ${envelope.src} has no msg_id`)
      return
    }
    this.stats.requests++
    const ready = this.ready
    if (!ready) {
      this.replyError(
        envelope.dest,
        envelope.src,
        body.msg_id,
        new TemporarilyUnavailableError('the node has not received init yet'),
      )
      return
    }
    switch (body.type) {
      case 'read':
      case 'write':
      case 'cas':
        this.handleKv(ready, envelope, body.msg_id)
        return
      default:
        this.replyError(ready.nodeId, envelope.src, body.msg_id, new NotSupportedError(body.type))
    }
  }

  private handleInit(envelope: Envelope): void {
    const { body, src } = envelope
    const msgId = body.msg_id
    if (msgId === undefined) {
      this.refuseLine(`init from ${src} has no msg_id`)
      return
    }
    const problem = checkInit(body)
    // a bad init's node_id cannot name the sender: answer as the node it reached
    const self = this.ready?.nodeId ?? envelope.dest
    if (problem) {
      this.replyError(self, src, msgId, new MalformedRequestError(problem))
      return
    }
    const nodeId = body.node_id as string
    const nodeIds = body.node_ids as string[]
    if (this.ready) {
      const same =
        this.ready.nodeId === nodeId && this.ready.nodeIds.join('\u0000') === nodeIds.join('\u0000')
      if (same) this.reply(nodeId, src, msgId, { type: 'init_ok' })
      else
        this.replyError(
          this.ready.nodeId,
          src,
          msgId,
          new MalformedRequestError(
            `already initialized as ${this.ready.nodeId} of ${this.ready.nodeIds.join(',')}`,
          ),
        )
      return
    }
    const ready: Ready = {
      nodeId,
      nodeIds: Object.freeze([...nodeIds]),
      backend: undefined,
      backendError: undefined,
      transports: new Map(),
    }
    this.ready = ready
    try {
      ready.backend = this.options.backend(this.contextFor(ready))
    } catch (error) {
      ready.backendError = (error as Error).message
      this.log(`the backend failed to start: ${(error as Error).stack ?? String(error)}`)
    }
    this.log(`initialized as ${nodeId} of ${nodeIds.join(',')}`)
    this.reply(nodeId, src, msgId, { type: 'init_ok' })
  }

  private contextFor(ready: Ready): BackendContext {
    return {
      nodeId: ready.nodeId,
      nodeIds: ready.nodeIds,
      requestTimeoutMs: this.requestTimeoutMs,
      log: this.log,
      createTransport: <M>(options: BackendTransportOptions<M> = {}): Transport<M> => {
        const channel = options.channel ?? ''
        if (ready.transports.has(channel))
          throw new Error(
            channel === ''
              ? 'createTransport: this node already has a transport'
              : `createTransport: this node already has a transport on channel "${channel}"`,
          )
        const transport = new MaelstromTransport<M>({
          localId: ready.nodeId,
          ...(channel !== '' ? { channel } : {}),
          members: ready.nodeIds,
          write: this.options.write,
          maxLineBytes: this.options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES,
          ...(options.codec ? { codec: options.codec } : {}),
          ...(options.validate ? { validate: options.validate } : {}),
          onRefused: (from, reason) => this.log(`refused a synod message from ${from}: ${reason}`),
        })
        ready.transports.set(channel, transport as MaelstromTransport<unknown>)
        return transport
      },
    }
  }

  private handleSynod(envelope: Envelope): void {
    const ready = this.ready
    if (!ready) {
      this.refuseLine(`synod message from ${envelope.src} before init`)
      return
    }
    const channel = envelope.body.channel ?? ''
    if (typeof channel !== 'string') {
      this.refuseLine(`synod message from ${envelope.src}: channel: expected a string`)
      return
    }
    const transport = ready.transports.get(channel)
    if (!transport) {
      this.refuseLine(
        channel === ''
          ? `synod message from ${envelope.src}, but the backend has no transport`
          : `synod message from ${envelope.src} on channel "${channel}", which has no transport`,
      )
      return
    }
    if (transport.deliver(envelope.src, envelope.body.payload)) this.stats.synodDelivered++
  }

  private handleKv(ready: Ready, envelope: Envelope, msgId: number): void {
    const { body, src } = envelope
    const nodeId = ready.nodeId
    const request = parseKvRequest(body)
    if (typeof request === 'string') {
      this.replyError(nodeId, src, msgId, new MalformedRequestError(request))
      return
    }
    const backend = ready.backend
    if (!backend) {
      this.replyError(
        nodeId,
        src,
        msgId,
        new TemporarilyUnavailableError(`the backend failed to start: ${ready.backendError}`),
      )
      return
    }
    if (this.inFlight >= this.maxInFlight) {
      this.replyError(
        nodeId,
        src,
        msgId,
        new TemporarilyUnavailableError(`${this.maxInFlight} requests already in progress`),
      )
      return
    }
    let operation: Promise<JsonValue | undefined>
    try {
      operation =
        request.type === 'read'
          ? backend.read(request.key)
          : request.type === 'write'
            ? backend.write(request.key, request.value).then(() => undefined)
            : backend
                .cas(request.key, request.from, request.to, { createIfNotExists: request.createIfNotExists })
                .then(() => undefined)
    } catch (error) {
      operation = Promise.reject(error)
    }
    this.inFlight++
    let answered = false
    const answer = (send: () => void) => {
      if (answered) return
      answered = true
      clearTimeout(watchdog)
      this.watchdogs.delete(watchdog)
      this.inFlight--
      send()
    }
    // a backend that never settles still gets its client an answer: "unknown" is always true
    const watchdog = setTimeout(
      () =>
        answer(() => {
          this.log(
            `the backend did not settle a ${request.type} from ${src} within ${this.answerDeadlineMs} ms`,
          )
          this.replyError(
            nodeId,
            src,
            msgId,
            new OperationTimeoutError(this.answerDeadlineMs, 'the backend did not settle it'),
          )
        }),
      this.answerDeadlineMs,
    )
    this.watchdogs.add(watchdog)
    operation
      .then(
        (value) =>
          answer(() => {
            if (request.type === 'read')
              this.reply(nodeId, src, msgId, { type: 'read_ok', value: value ?? null })
            else this.reply(nodeId, src, msgId, { type: `${request.type}_ok` })
          }),
        (error: unknown) =>
          answer(() => this.replyError(nodeId, src, msgId, toRequestError(error, this.log))),
      )
      .catch((error: unknown) => {
        // a bug in replying, not bad input: never an unhandled rejection
        this.log(`internal error while replying to ${src}: ${(error as Error)?.stack ?? String(error)}`)
      })
  }

  private reply(
    src: NodeId,
    dest: string,
    inReplyTo: number,
    body: { type: string; [member: string]: JsonValue },
  ): void {
    if (this.closed) return
    const msgId = this.nextMsgId++
    this.stats.replies++
    this.options.write(
      JSON.stringify({ src, dest, body: { ...body, msg_id: msgId, in_reply_to: inReplyTo } }),
    )
  }

  private replyError(src: NodeId, dest: string, inReplyTo: number, error: MaelstromRequestError): void {
    this.stats.errorReplies++
    this.reply(src, dest, inReplyTo, { type: 'error', code: error.maelstromCode, text: error.message })
  }
}

type KvRequest =
  | { type: 'read'; key: JsonValue }
  | { type: 'write'; key: JsonValue; value: JsonValue }
  | { type: 'cas'; key: JsonValue; from: JsonValue; to: JsonValue; createIfNotExists: boolean }

/** Checks the members of a lin-kv request; returns the request or what is wrong with it. */
function parseKvRequest(body: MessageBody): KvRequest | string {
  const need = (member: string): JsonValue | string => {
    const value = body[member]
    return value === undefined ? `${body.type}: missing field ${JSON.stringify(member)}` : value
  }
  if (body.key === undefined) return `${body.type}: missing field "key"`
  for (const member of ['key', 'value', 'from', 'to'])
    if (exceedsJsonDepth(body[member]))
      return `${body.type}: ${member} nests deeper than ${MAX_JSON_DEPTH} levels`
  const key = body.key
  switch (body.type) {
    case 'read':
      return { type: 'read', key }
    case 'write':
      if (body.value === undefined) return need('value') as string
      return { type: 'write', key, value: body.value }
    default: {
      if (body.from === undefined) return need('from') as string
      if (body.to === undefined) return need('to') as string
      const create = body.create_if_not_exists
      if (create !== undefined && typeof create !== 'boolean')
        return `cas: create_if_not_exists: expected a boolean, got ${JSON.stringify(create)}`
      return { type: 'cas', key, from: body.from, to: body.to, createIfNotExists: create === true }
    }
  }
}

/** Checks an `init` body; returns what is wrong, or undefined. */
function checkInit(body: MessageBody): string | undefined {
  const { node_id: nodeId, node_ids: nodeIds } = body
  if (typeof nodeId !== 'string' || nodeId.length === 0 || nodeId.length > 256)
    return 'init: node_id: expected a non-empty string of at most 256 characters'
  if (!Array.isArray(nodeIds) || nodeIds.length === 0 || nodeIds.length > MAX_CLUSTER_NODES)
    return `init: node_ids: expected an array of 1 to ${MAX_CLUSTER_NODES} node ids`
  const seen = new Set<string>()
  for (const [index, id] of nodeIds.entries()) {
    if (typeof id !== 'string' || id.length === 0 || id.length > 256)
      return `init: node_ids[${index}]: expected a non-empty string of at most 256 characters`
    if (seen.has(id)) return `init: node_ids: ${JSON.stringify(id)} appears twice`
    seen.add(id)
  }
  if (!seen.has(nodeId)) return `init: node_ids does not include node_id ${JSON.stringify(nodeId)}`
  return undefined
}

/** Maps a backend rejection to the error reply; anything untyped is a crash (indefinite). */
function toRequestError(error: unknown, log: (text: string) => void): MaelstromRequestError {
  if (MaelstromRequestError.isInstance(error)) return error
  log(`the backend failed unexpectedly: ${(error as Error)?.stack ?? String(error)}`)
  return new CrashError(error instanceof Error ? error.message : String(error), { cause: error })
}
