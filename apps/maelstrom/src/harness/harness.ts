/**
 * The in-repo harness: a small Maelstrom. It runs N nodes, sends `init`,
 * routes node-to-node messages between them with seeded loss and partitions,
 * runs concurrent clients issuing random lin-kv operations with client-side
 * timeouts, records what they saw, and checks the history for linearizability.
 */
import { Random } from '@synod/sim'
import {
  type CheckResult,
  checkLinearizability,
  HistoryRecorder,
  type KvInput,
  kvModel,
  type RegisterOutput,
  type RegisterValue,
} from '@synod/sim/check'
import { type BackendName, DEFAULT_BACKEND, resolveBackend } from '../backends/index.js'
import type { BackendFactory } from '../backends/types.js'
import { HarnessError, isDefiniteErrorCode, MAELSTROM_ERROR_CODES } from '../errors.js'
import { DEFAULT_REQUEST_TIMEOUT_MS } from '../node.js'
import { parseEnvelope } from '../protocol/envelope.js'
import { createEndpoints, type EndpointFactory, type NodeEndpoint } from './endpoints.js'

/**
 * The harness's nemesis: none, or random partitions (random halves, one node isolated) and heals.
 *
 * @example
 * ```ts
 * await runHarness({ nemesis: 'partition' satisfies NemesisKind })
 * ```
 */
export type NemesisKind = 'none' | 'partition'

/**
 * Options of `runHarness`. Every field has a default.
 *
 * @example
 * ```ts
 * const options: HarnessOptions = { nodes: 3, ops: 200, seed: 1, backend: 'single-leader', nemesis: 'none', lossRate: 0 }
 * ```
 */
export interface HarnessOptions {
  /** Nodes, `n0` … (default 3; 1 to 16). */
  nodes?: number
  /** Operations in all, across clients (default 500). */
  ops?: number
  /** Seeds operation choices, losses and the nemesis (timing is real, so a run is not replayed exactly). */
  seed?: number
  /** The backend every node runs (default `raft`). */
  backend?: BackendName
  /** Concurrent clients, `c1` … (default 5). */
  clients?: number
  /** Keys operated on, `0` … (default 3). */
  keys?: number
  /** Default `partition`. */
  nemesis?: NemesisKind
  /** Probability that a node-to-node message is lost (default 0.05; 0 to 1). */
  lossRate?: number
  /** Probability that a delivered node-to-node message is delivered twice (default 0.02; 0 to 1). */
  duplicateRate?: number
  /** Each node-to-node message is delayed by a seeded random 0 … maxDelayMs ms, which reorders them (default 0). */
  maxDelayMs?: number
  /** Time between nemesis steps (a fault, then a heal, …) (default 300 ms). */
  nemesisIntervalMs?: number
  /** A client gives up on a request after this long and records it as unknown (default 1500 ms). */
  clientTimeoutMs?: number
  /** The nodes' own request timeout, `--request-timeout-ms` (default 1000 ms). */
  requestTimeoutMs?: number
  /** The checker's time budget (default 30,000 ms). */
  timeBudgetMs?: number
  /** `processes` (default): spawn the built binary; `in-process`: `MaelstromNode`s in this process. */
  mode?: 'processes' | 'in-process'
  /** In `processes` mode: the script to run instead of this package's binary. */
  binPath?: string
  /** In `in-process` mode: a backend factory to use instead of `backend`'s. */
  backendFactory?: BackendFactory
  /** Receives progress and the nodes' logs (default: nowhere). */
  log?: (line: string) => void
  /** Forward every node log line to `log` (default false: only the tails of failed nodes). */
  verbose?: boolean
}

/**
 * What `runHarness` returns (and the CLI prints as one JSON line).
 *
 * @example
 * ```ts
 * const summary: HarnessSummary = await runHarness({ nodes: 3, ops: 200 })
 * summary.verdict // 'ok'
 * ```
 */
export interface HarnessSummary {
  workload: 'lin-kv'
  backend: string
  mode: 'processes' | 'in-process'
  nodes: number
  clients: number
  keys: number
  seed: number
  ops: number
  ok: number
  fail: number
  info: number
  /** Replies that were not what the protocol allows (recorded as unknown). */
  unexpectedReplies: number
  nemesis: { kind: NemesisKind; lossRate: number; duplicateRate: number; maxDelayMs: number; faults: number }
  network: { delivered: number; dropped: number; duplicated: number }
  /** Nodes that exited during the run, with how. */
  unexpectedExits: Record<string, string>
  elapsedMs: number
  verdict: CheckResult['result']
  check: CheckResult
}

interface Settings {
  nodes: number
  ops: number
  seed: number
  backend: BackendName
  clients: number
  keys: number
  nemesis: NemesisKind
  lossRate: number
  duplicateRate: number
  maxDelayMs: number
  nemesisIntervalMs: number
  clientTimeoutMs: number
  requestTimeoutMs: number
  timeBudgetMs: number
  mode: 'processes' | 'in-process'
}

function integer(name: string, value: number, min: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < min || value > max)
    throw new RangeError(`${name}: expected an integer from ${min} to ${max}, got ${String(value)}`)
  return value
}

function rate(name: string, value: number): number {
  if (typeof value !== 'number' || !(value >= 0 && value <= 1))
    throw new RangeError(`${name}: expected a number from 0 to 1, got ${String(value)}`)
  return value
}

function settingsOf(options: HarnessOptions): Settings {
  const nemesis = options.nemesis ?? 'partition'
  if (nemesis !== 'none' && nemesis !== 'partition')
    throw new RangeError(`nemesis: expected none or partition, got ${JSON.stringify(nemesis)}`)
  const mode = options.mode ?? 'processes'
  if (mode !== 'processes' && mode !== 'in-process')
    throw new RangeError(`mode: expected processes or in-process, got ${JSON.stringify(mode)}`)
  return {
    nodes: integer('nodes', options.nodes ?? 3, 1, 16),
    ops: integer('ops', options.ops ?? 500, 1, 100_000),
    seed: integer('seed', options.seed ?? 1, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER),
    backend: options.backend ?? DEFAULT_BACKEND,
    clients: integer('clients', options.clients ?? 5, 1, 64),
    keys: integer('keys', options.keys ?? 3, 1, 100),
    nemesis,
    lossRate: rate('lossRate', options.lossRate ?? 0.05),
    duplicateRate: rate('duplicateRate', options.duplicateRate ?? 0.02),
    maxDelayMs: integer('maxDelayMs', options.maxDelayMs ?? 0, 0, 10_000),
    nemesisIntervalMs: integer('nemesisIntervalMs', options.nemesisIntervalMs ?? 300, 1, 600_000),
    clientTimeoutMs: integer('clientTimeoutMs', options.clientTimeoutMs ?? 1500, 1, 600_000),
    requestTimeoutMs: integer(
      'requestTimeoutMs',
      options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      1,
      600_000,
    ),
    timeBudgetMs: integer('timeBudgetMs', options.timeBudgetMs ?? 30_000, 1, 3_600_000),
    mode,
  }
}

/** The harness's own id when it sends `init`. */
const INIT_CLIENT = 'c0'
const INIT_TIMEOUT_MS = 10_000
const STOP_GRACE_MS = 3_000
const TAIL_IN_ERRORS = 20

type Reply = { type: string; [member: string]: unknown }

/**
 * Runs the harness once and checks the history.
 *
 * @throws {HarnessError} when the binary is not built, or a node fails to start or answer `init`
 * @throws {RangeError} for an option out of range
 * @example
 * ```ts
 * const summary = await runHarness({ nodes: 3, ops: 200, seed: 1, nemesis: 'partition' })
 * console.log(JSON.stringify(summary)) // {"workload":"lin-kv",…,"verdict":"ok",…}
 * ```
 */
export async function runHarness(options: HarnessOptions = {}): Promise<HarnessSummary> {
  const settings = settingsOf(options)
  const log = options.log ?? (() => {})
  const onLog = options.verbose ? (id: string, line: string) => log(`[${id}] ${line}`) : undefined
  const factory: EndpointFactory =
    settings.mode === 'in-process'
      ? createEndpoints({
          kind: 'in-process',
          backend: options.backendFactory ?? resolveBackend(settings.backend),
          requestTimeoutMs: settings.requestTimeoutMs,
          ...(onLog ? { onLog } : {}),
        })
      : createEndpoints({
          kind: 'processes',
          ...(options.binPath !== undefined ? { binPath: options.binPath } : {}),
          args: [
            '--workload',
            'lin-kv',
            '--backend',
            settings.backend,
            '--request-timeout-ms',
            String(settings.requestTimeoutMs),
          ],
          ...(onLog ? { onLog } : {}),
        })
  const run = new HarnessRun(settings, factory, log)
  try {
    return await run.execute()
  } finally {
    await run.stop()
  }
}

class HarnessRun {
  private readonly settings: Settings
  private readonly log: (line: string) => void
  private readonly nodeIds: string[]
  private readonly endpoints = new Map<string, NodeEndpoint>()
  private readonly random: Random
  private readonly networkRandom: Random
  private readonly history = new HistoryRecorder<KvInput, RegisterOutput>()
  private readonly pending = new Map<string, (reply: Reply) => void>()
  private readonly startMs = performance.now()
  /** The group of each node while partitioned; undefined when healed. */
  private groups: Map<string, number> | undefined
  private faults = 0
  private delivered = 0
  private dropped = 0
  private duplicated = 0
  private stopped = false
  private unexpectedReplies = 0
  private issued = 0
  private counts = { ok: 0, fail: 0, info: 0 }

  constructor(settings: Settings, factory: EndpointFactory, log: (line: string) => void) {
    this.settings = settings
    this.log = log
    this.random = new Random(settings.seed)
    this.networkRandom = this.random.split('network')
    this.nodeIds = Array.from({ length: settings.nodes }, (_, index) => `n${index}`)
    for (const id of this.nodeIds) {
      const endpoint = factory(id)
      endpoint.onLine((line) => this.route(id, line))
      this.endpoints.set(id, endpoint)
    }
  }

  async execute(): Promise<HarnessSummary> {
    await this.init()
    this.log(`harness: ${this.settings.nodes} nodes initialized; running ${this.settings.ops} operations`)
    let nemesisDone = false
    const nemesis =
      this.settings.nemesis === 'partition' ? this.runNemesis(() => nemesisDone) : Promise.resolve()
    await Promise.all(Array.from({ length: this.settings.clients }, (_, index) => this.runClient(index + 1)))
    nemesisDone = true
    await nemesis
    this.groups = undefined
    const elapsedMs = Math.round(this.now())
    const check = checkLinearizability(this.history.operations(), kvModel, {
      timeBudgetMs: this.settings.timeBudgetMs,
    })
    const unexpectedExits: Record<string, string> = {}
    for (const [id, endpoint] of this.endpoints) {
      if (endpoint.unexpectedExit !== undefined) {
        unexpectedExits[id] = endpoint.unexpectedExit
        this.log(`harness: node ${id} exited (${endpoint.unexpectedExit}); its last log lines:`)
        for (const line of endpoint.logTail.slice(-TAIL_IN_ERRORS)) this.log(`[${id}] ${line}`)
      }
    }
    return {
      workload: 'lin-kv',
      backend: this.settings.backend,
      mode: this.settings.mode,
      nodes: this.settings.nodes,
      clients: this.settings.clients,
      keys: this.settings.keys,
      seed: this.settings.seed,
      ops: this.issued,
      ...this.counts,
      unexpectedReplies: this.unexpectedReplies,
      nemesis: {
        kind: this.settings.nemesis,
        lossRate: this.settings.lossRate,
        duplicateRate: this.settings.duplicateRate,
        maxDelayMs: this.settings.maxDelayMs,
        faults: this.faults,
      },
      network: { delivered: this.delivered, dropped: this.dropped, duplicated: this.duplicated },
      unexpectedExits,
      elapsedMs,
      verdict: check.result,
      check,
    }
  }

  async stop(): Promise<void> {
    this.stopped = true
    await Promise.all([...this.endpoints.values()].map((endpoint) => endpoint.stop(STOP_GRACE_MS)))
  }

  private now(): number {
    return performance.now() - this.startMs
  }

  private async init(): Promise<void> {
    const answers = this.nodeIds.map((id, index) => {
      const msgId = index + 1
      return this.request(
        INIT_CLIENT,
        id,
        msgId,
        { type: 'init', msg_id: msgId, node_id: id, node_ids: this.nodeIds },
        INIT_TIMEOUT_MS,
      ).then((reply) => {
        if (reply?.type === 'init_ok') return
        const endpoint = this.endpoints.get(id)!
        const tail = endpoint.logTail.slice(-TAIL_IN_ERRORS).join('\n')
        const why =
          reply === undefined
            ? `did not answer init within ${INIT_TIMEOUT_MS} ms${endpoint.unexpectedExit ? ` (${endpoint.unexpectedExit})` : ''}`
            : `answered init with ${JSON.stringify(reply)}`
        throw new HarnessError(`node ${id} ${why}${tail ? `; its last log lines:\n${tail}` : ''}`)
      })
    })
    await Promise.all(answers)
  }

  /** Sends a request from a client to a node; resolves with the reply, or undefined after `timeoutMs`. */
  private request(
    client: string,
    node: string,
    msgId: number,
    body: Reply,
    timeoutMs: number,
  ): Promise<Reply | undefined> {
    const key = `${client}:${msgId}`
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(key)
        resolve(undefined)
      }, timeoutMs)
      this.pending.set(key, (reply) => {
        clearTimeout(timer)
        this.pending.delete(key)
        resolve(reply)
      })
      this.endpoints.get(node)!.write(JSON.stringify({ src: client, dest: node, body }))
    })
  }

  /** Handles a line a node wrote: to a client (a reply), or to another node (through the faulty network). */
  private route(from: string, line: string): void {
    const parsed = parseEnvelope(line)
    if (!parsed.ok) {
      this.unexpectedReplies++
      this.log(`harness: node ${from} wrote an invalid message (${parsed.reason}): ${line.slice(0, 200)}`)
      return
    }
    const { src, dest, body } = parsed.envelope
    if (src !== from) {
      this.unexpectedReplies++
      this.log(`harness: node ${from} wrote a message with src ${src}`)
      return
    }
    const target = this.endpoints.get(dest)
    if (target) {
      const blocked = this.groups !== undefined && this.groups.get(src) !== this.groups.get(dest)
      if (blocked || (this.settings.lossRate > 0 && this.networkRandom.chance(this.settings.lossRate))) {
        this.dropped++
        return
      }
      const copies =
        this.settings.duplicateRate > 0 && this.networkRandom.chance(this.settings.duplicateRate) ? 2 : 1
      if (copies === 2) this.duplicated++
      for (let copy = 0; copy < copies; copy++) {
        this.delivered++
        const delayMs = this.settings.maxDelayMs > 0 ? this.networkRandom.int(0, this.settings.maxDelayMs) : 0
        if (delayMs === 0) target.write(line)
        else
          setTimeout(() => {
            if (!this.stopped) target.write(line)
          }, delayMs)
      }
      return
    }
    const inReplyTo = body.in_reply_to
    const resolve = inReplyTo === undefined ? undefined : this.pending.get(`${dest}:${inReplyTo}`)
    // a reply after the client gave up, or to nobody: nothing waits for it
    resolve?.(body as Reply)
  }

  private async runNemesis(done: () => boolean): Promise<void> {
    const random = this.random.split('nemesis')
    while (!done()) {
      await new Promise((resolve) => setTimeout(resolve, this.settings.nemesisIntervalMs))
      if (done()) break
      if (this.groups) {
        this.groups = undefined
        this.log(`harness: t=${Math.round(this.now())}ms heal`)
        continue
      }
      if (this.nodeIds.length < 2) continue
      const groups = new Map<string, number>()
      if (random.chance(0.5)) {
        const shuffled = random.shuffle([...this.nodeIds])
        const cut = random.int(1, shuffled.length - 1)
        shuffled.forEach((id, index) => groups.set(id, index < cut ? 0 : 1))
        this.log(
          `harness: t=${Math.round(this.now())}ms partition ${shuffled.slice(0, cut).join(',')} | ${shuffled.slice(cut).join(',')}`,
        )
      } else {
        const isolated = random.pick(this.nodeIds)
        for (const id of this.nodeIds) groups.set(id, id === isolated ? 1 : 0)
        this.log(`harness: t=${Math.round(this.now())}ms isolate ${isolated}`)
      }
      this.groups = groups
      this.faults++
    }
  }

  private async runClient(index: number): Promise<void> {
    const client = `c${index}`
    const random = this.random.split(`client:${client}`)
    let generation = 0
    let msgId = 0
    while (this.issued < this.settings.ops) {
      this.issued++
      // after an unknown outcome the operation may still be in flight: continue as a new process, as Jepsen does
      const process = generation === 0 ? client : `${client}/${generation}`
      const node = random.pick(this.nodeIds)
      const key = random.int(0, this.settings.keys - 1)
      const roll = random.float()
      msgId++
      let input: KvInput
      let body: Reply
      if (roll < 0.4) {
        input = { type: 'read', key: String(key) }
        body = { type: 'read', msg_id: msgId, key }
      } else if (roll < 0.7) {
        const value = random.int(0, 9)
        input = { type: 'write', key: String(key), value }
        body = { type: 'write', msg_id: msgId, key, value }
      } else {
        const from = random.int(0, 9)
        const to = random.int(0, 9)
        input = { type: 'cas', key: String(key), from, to }
        body = { type: 'cas', msg_id: msgId, key, from, to }
      }
      const id = this.history.invoke(process, input, this.now())
      const reply = await this.request(client, node, msgId, body, this.settings.clientTimeoutMs)
      const outcome = this.classify(input, reply)
      const time = this.now()
      if (outcome.type === 'ok') {
        this.history.ok(id, outcome.output, time)
        this.counts.ok++
      } else if (outcome.type === 'fail') {
        this.history.fail(id, time)
        this.counts.fail++
      } else {
        this.history.info(id, time)
        this.counts.info++
        generation++
      }
    }
  }

  /** What a reply means for the history: ok (with output), fail (definitely not applied) or info (unknown). */
  private classify(
    input: KvInput,
    reply: Reply | undefined,
  ): { type: 'ok'; output: RegisterOutput } | { type: 'fail' } | { type: 'info' } {
    if (reply === undefined) return { type: 'info' }
    if (reply.type === 'error') {
      const code = reply.code
      if (typeof code !== 'number') {
        this.unexpectedReplies++
        return { type: 'info' }
      }
      // a key that does not exist reads as the model's initial value
      if (input.type === 'read' && code === MAELSTROM_ERROR_CODES['key-does-not-exist'])
        return { type: 'ok', output: { value: null } }
      return isDefiniteErrorCode(code) ? { type: 'fail' } : { type: 'info' }
    }
    if (reply.type !== `${input.type}_ok`) {
      this.unexpectedReplies++
      return { type: 'info' }
    }
    if (input.type !== 'read') return { type: 'ok', output: undefined }
    const value = reply.value
    if (!isRegisterValue(value)) {
      this.unexpectedReplies++
      return { type: 'info' }
    }
    return { type: 'ok', output: { value } }
  }
}

function isRegisterValue(value: unknown): value is RegisterValue {
  return (
    value === null || typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean'
  )
}
