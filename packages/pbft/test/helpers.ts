/**
 * Test harness: crypto doubles, a deterministic application, and a tiny
 * seeded in-memory network with loss, duplication, reordering, partitions,
 * crashes and Byzantine hooks.
 */
import { createHash } from 'node:crypto'
import { nodeCrypto } from '@synod/crypto/node'
import {
  applyCommands,
  applyPersist,
  batchDigest,
  cryptoSuiteAdapter,
  type ExecutableRequest,
  type PbftApplication,
  PbftClient,
  type PbftCrypto,
  type PbftHardState,
  type PbftMessage,
  PbftReplica,
  type PbftReplicaOptions,
  type ReplicaInfo,
  signMessage,
  toHex,
  type Unsigned,
} from '../src/index.js'

const sha256 = (data: Uint8Array) => new Uint8Array(createHash('sha256').update(data).digest())

/**
 * INSECURE, TESTS ONLY: a fast deterministic "signature" (sha256(key ‖ bytes))
 * whose public key is its secret. Lets sweeps run thousands of seeds; the
 * Byzantine nodes in the tests only ever use their own keys.
 */
export function insecureTestCrypto(secret: Uint8Array): PbftCrypto {
  return {
    sign: (bytes) => sha256(concat(secret, bytes)),
    verify: (signature, bytes, publicKey) => {
      if (signature.length !== 32) return false
      const expected = sha256(concat(publicKey, bytes))
      for (let i = 0; i < 32; i++) if (expected[i] !== signature[i]) return false
      return true
    },
    digest: sha256,
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length)
  out.set(a)
  out.set(b, a.length)
  return out
}

export interface TestIdentity {
  readonly id: string
  readonly publicKey: Uint8Array
  readonly crypto: PbftCrypto
}

/** Identities with either real Ed25519 (node suite) or the insecure fast double. */
export function makeIdentity(name: string, kind: 'ed25519' | 'fast'): TestIdentity {
  const seed = sha256(new TextEncoder().encode(`seed:${name}`))
  if (kind === 'ed25519') {
    const keys = nodeCrypto.keyPairFromSeed(seed)
    return { id: name, publicKey: keys.publicKey, crypto: cryptoSuiteAdapter(nodeCrypto, keys.secretKey) }
  }
  return { id: name, publicKey: seed, crypto: insecureTestCrypto(seed) }
}

/** What every test replica starts from: any-key clients and a checkpoint every 4 batches. */
export function testReplicaOptions(
  identity: TestIdentity,
  replicas: readonly ReplicaInfo[],
): PbftReplicaOptions {
  return {
    id: identity.id,
    replicas,
    crypto: identity.crypto,
    clients: { kind: 'any-key' },
    checkpointInterval: 4,
  }
}

/** A deterministic append-only log application. */
export class LogApplication implements PbftApplication {
  entries: string[] = []
  execute(batch: readonly ExecutableRequest[]): Uint8Array[] {
    return batch.map((request) => {
      const operation = new TextDecoder().decode(request.operation)
      this.entries.push(`${request.client}:${operation}`)
      return new TextEncoder().encode(`${this.entries.length}:${operation}`)
    })
  }
  query(): Uint8Array {
    return new TextEncoder().encode(`count=${this.entries.length}`)
  }
  snapshot(): Uint8Array {
    return new TextEncoder().encode(JSON.stringify(this.entries))
  }
  restore(snapshot: Uint8Array): void {
    this.entries = JSON.parse(new TextDecoder().decode(snapshot)) as string[]
  }
}

/** Mulberry32: a tiny seeded PRNG for the test network. */
export class Rng {
  private state: number
  constructor(seed: number) {
    this.state = seed >>> 0 || 0x9e3779b9
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0
    let t = this.state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  int(maxExclusive: number): number {
    return Math.floor(this.next() * maxExclusive)
  }
  chance(p: number): boolean {
    return this.next() < p
  }
}

/** Rewrites what a Byzantine replica sends: return the messages to send instead (each with its destination). */
export type ByzantineHook = (
  to: string,
  message: PbftMessage,
  tools: ByzantineTools,
) => readonly { to: string; message: PbftMessage }[]

export interface ByzantineTools {
  readonly index: number
  readonly crypto: PbftCrypto
  readonly rng: Rng
  readonly now: number
  sign<M extends PbftMessage>(unsigned: Unsigned<M>): M
  history: PbftMessage[]
}

interface InFlight {
  readonly from: string
  readonly to: string
  readonly message: PbftMessage
  readonly deliverAt: number
}

export interface ClusterOptions {
  readonly n?: number
  readonly crypto?: 'ed25519' | 'fast'
  readonly seed?: number
  readonly clients?: number
  readonly replicaOptions?: Partial<PbftReplicaOptions>
  readonly byzantine?: ReadonlyMap<number, ByzantineHook>
}

export interface ExecutedRecord {
  readonly sequence: number
  readonly digest: string
}

/**
 * A cluster of replicas and clients on a seeded in-memory network. Safety
 * (`checkSafety`) compares what honest replicas executed at each sequence.
 */
export class Cluster {
  readonly n: number
  readonly rng: Rng
  readonly identities: TestIdentity[]
  readonly replicaInfos: ReplicaInfo[]
  readonly replicas: (PbftReplica | undefined)[]
  readonly apps: LogApplication[]
  readonly hardStates: (PbftHardState | undefined)[]
  readonly clients: PbftClient[]
  readonly clientIdentities: TestIdentity[]
  readonly results: Map<string, { timestamp: number; result: string }[]> = new Map()
  readonly executed: Map<number, string>[]
  /** The number of requests in each batch a replica executed. */
  readonly batchSizes: number[][]
  readonly byzantine: ReadonlyMap<number, ByzantineHook>
  readonly byzantineHistory: PbftMessage[][]
  readonly events: { replica: number; event: { type: string } & Record<string, unknown> }[] = []
  now = 0
  loss = 0
  duplication = 0
  maxDelay = 1
  blocked = new Set<string>()
  private queue: InFlight[] = []
  private readonly options: ClusterOptions
  delivered = 0

  constructor(options: ClusterOptions = {}) {
    this.options = options
    this.n = options.n ?? 4
    this.rng = new Rng(options.seed ?? 1)
    const kind = options.crypto ?? 'fast'
    this.identities = Array.from({ length: this.n }, (_, i) => makeIdentity(`r${i}`, kind))
    this.replicaInfos = this.identities.map(({ id, publicKey }) => ({ id, publicKey }))
    this.clientIdentities = Array.from({ length: options.clients ?? 1 }, (_, i) => {
      const base = makeIdentity(`client${i}`, kind)
      return { ...base, id: toHex(base.publicKey) }
    })
    this.apps = this.identities.map(() => new LogApplication())
    this.hardStates = this.identities.map(() => undefined)
    this.executed = this.identities.map(() => new Map())
    this.batchSizes = this.identities.map(() => [])
    this.byzantine = options.byzantine ?? new Map()
    this.byzantineHistory = this.identities.map(() => [])
    this.replicas = this.identities.map((_, i) => this.createReplica(i))
    this.clients = this.clientIdentities.map(
      (identity) =>
        new PbftClient({
          id: identity.id,
          publicKey: identity.publicKey,
          crypto: identity.crypto,
          replicas: this.replicaInfos,
          retransmitTicks: 25,
        }),
    )
  }

  private createReplica(i: number): PbftReplica {
    return new PbftReplica({
      ...testReplicaOptions(this.identities[i]!, this.replicaInfos),
      viewChangeTimeoutTicks: 30,
      retransmitTicks: 8,
      stateTransferTimeoutTicks: 10,
      maxViewChangeBackoffExponent: 4,
      ...this.options.replicaOptions,
      ...(this.hardStates[i] ? { restore: this.hardStates[i] } : {}),
    })
  }

  isHonest(i: number): boolean {
    return !this.byzantine.has(i)
  }

  replica(i: number): PbftReplica {
    const replica = this.replicas[i]
    if (!replica) throw new Error(`replica ${i} is crashed`)
    return replica
  }

  crash(i: number): void {
    this.replicas[i] = undefined
    this.queue = this.queue.filter((m) => m.to !== this.identities[i]!.id)
  }

  restart(i: number): void {
    if (this.replicas[i]) return
    this.apps[i] = new LogApplication()
    this.replicas[i] = this.createReplica(i)
    this.drain(i)
  }

  block(a: number, b: number): void {
    this.blocked.add(`r${a}>r${b}`)
    this.blocked.add(`r${b}>r${a}`)
  }

  heal(): void {
    this.blocked.clear()
    this.loss = 0
    this.duplication = 0
  }

  /** Isolates replica i from all others (both directions). */
  isolate(i: number): void {
    for (let j = 0; j < this.n; j++) if (j !== i) this.block(i, j)
  }

  /** Message kinds the network drops (for staging scenarios). */
  dropKinds = new Set<string>()

  private enqueue(from: string, to: string, message: PbftMessage): void {
    if (this.blocked.has(`${from}>${to}`)) return
    if (this.dropKinds.has(message.kind)) return
    if (this.rng.chance(this.loss)) return
    const copies = this.rng.chance(this.duplication) ? 2 : 1
    for (let c = 0; c < copies; c++)
      this.queue.push({ from, to, message, deliverAt: this.now + 1 + this.rng.int(this.maxDelay) })
  }

  /** Collects a replica's Ready: persist first, then send, then record executions. */
  drain(i: number): void {
    for (;;) {
      const replica = this.replicas[i]
      if (!replica?.hasReady()) return
      this.drainOnce(i, replica)
    }
  }

  private drainOnce(i: number, replica: PbftReplica): void {
    const ready = replica.ready()
    if (ready.persist) this.hardStates[i] = applyPersist(replica.id, this.hardStates[i], ready.persist)
    const hook = this.byzantine.get(i)
    for (const { to, message } of ready.messages) {
      if (hook) {
        const tools: ByzantineTools = {
          index: i,
          crypto: this.identities[i]!.crypto,
          rng: this.rng,
          now: this.now,
          sign: (unsigned) => signMessage(this.identities[i]!.crypto, unsigned),
          history: this.byzantineHistory[i]!,
        }
        for (const out of hook(to, message, tools)) this.enqueue(replica.id, out.to, out.message)
        tools.history.push(message)
        if (tools.history.length > 200) tools.history.shift()
      } else this.enqueue(replica.id, to, message)
    }
    for (const batch of ready.executed) {
      const digest = toHex(batch.certificate.prePrepare.digest)
      const previous = this.executed[i]!.get(batch.sequence)
      if (previous !== undefined && previous !== digest)
        throw new Error(`replica ${i} re-executed sequence ${batch.sequence} with another digest`)
      this.executed[i]!.set(batch.sequence, digest)
      this.batchSizes[i]!.push(batch.requests.length)
    }
    for (const event of ready.events) this.events.push({ replica: i, event: event as never })
    replica.advance()
    applyCommands(replica, this.apps[i]!, ready.apply)
  }

  private drainClient(c: number): void {
    const client = this.clients[c]!
    if (!client.hasReady()) return
    const ready = client.ready()
    for (const { to, message } of ready.messages) this.enqueue(client.id, to, message)
    for (const result of ready.results) {
      const list = this.results.get(client.id) ?? []
      list.push({ timestamp: result.timestamp, result: new TextDecoder().decode(result.result) })
      this.results.set(client.id, list)
    }
    client.advance()
  }

  /** Sends a request from client c; returns its timestamp. */
  submit(c: number, operation: string, readOnly = false): number {
    const timestamp = this.clients[c]!.request(new TextEncoder().encode(operation), { readOnly })
    this.drainClient(c)
    return timestamp
  }

  /** Injects a raw message as if `from` had sent it. */
  inject(from: string, to: number, message: PbftMessage): void {
    const replica = this.replicas[to]
    if (!replica) return
    replica.step(from, message)
    this.drain(to)
  }

  /** One tick: deliver due messages in random order, then tick everyone. */
  step(): void {
    this.now++
    const due: InFlight[] = []
    const later: InFlight[] = []
    for (const m of this.queue) (m.deliverAt <= this.now ? due : later).push(m)
    this.queue = later
    for (let i = due.length - 1; i > 0; i--) {
      const j = this.rng.int(i + 1)
      ;[due[i], due[j]] = [due[j]!, due[i]!]
    }
    for (const m of due) {
      const replicaIndex = this.identities.findIndex((identity) => identity.id === m.to)
      if (replicaIndex >= 0) {
        const replica = this.replicas[replicaIndex]
        if (!replica) continue
        this.delivered++
        replica.step(m.from, m.message)
        this.drain(replicaIndex)
      } else {
        const c = this.clients.findIndex((client) => client.id === m.to)
        if (c >= 0) {
          this.clients[c]!.step(m.from, m.message)
          this.drainClient(c)
        }
      }
    }
    for (let i = 0; i < this.n; i++) {
      const replica = this.replicas[i]
      if (!replica) continue
      replica.tick()
      this.drain(i)
    }
    for (let c = 0; c < this.clients.length; c++) {
      this.clients[c]!.tick()
      this.drainClient(c)
    }
  }

  run(ticks: number): void {
    for (let t = 0; t < ticks; t++) this.step()
  }

  /** Runs until `done()` or the bound; returns whether it finished. */
  runUntil(done: () => boolean, maxTicks: number): boolean {
    for (let t = 0; t < maxTicks; t++) {
      if (done()) return true
      this.step()
    }
    return done()
  }

  /** Safety: no two honest replicas executed different batches at one sequence. */
  checkSafety(): string | undefined {
    const bySequence = new Map<number, { replica: number; digest: string }>()
    for (let i = 0; i < this.n; i++) {
      if (!this.isHonest(i)) continue
      for (const [sequence, digest] of this.executed[i]!) {
        const other = bySequence.get(sequence)
        if (other === undefined) bySequence.set(sequence, { replica: i, digest })
        else if (other.digest !== digest)
          return `replicas ${other.replica} and ${i} executed different batches at sequence ${sequence}`
      }
    }
    return undefined
  }

  honestIndexes(): number[] {
    return Array.from({ length: this.n }, (_, i) => i).filter((i) => this.isHonest(i))
  }

  eventsOf(type: string, replica?: number) {
    return this.events.filter(
      (e) => e.event.type === type && (replica === undefined || e.replica === replica),
    )
  }

  nullDigest(): string {
    return toHex(batchDigest(this.identities[0]!.crypto, []))
  }
}

/** A signed client request from a test identity. */
export function makeRequest(
  identity: TestIdentity,
  operation: string,
  timestamp: number,
  readOnly = false,
): import('../src/index.js').ClientRequest {
  return signMessage(identity.crypto, {
    kind: 'request',
    client: identity.id,
    publicKey: identity.publicKey,
    timestamp,
    readOnly,
    operation: new TextEncoder().encode(operation),
  })
}

/** One replica under test, driven by hand; the other replicas are just keys we sign with. */
export class Harness {
  readonly identities: TestIdentity[]
  readonly replicaInfos: ReplicaInfo[]
  readonly client: TestIdentity
  readonly app = new LogApplication()
  replica: PbftReplica
  hardState: PbftHardState | undefined
  readonly sent: { to: string; message: PbftMessage }[] = []
  readonly events: { type: string; [key: string]: unknown }[] = []
  readonly executed: import('../src/index.js').ExecutedBatch[] = []

  constructor(
    readonly index: number,
    options: { n?: number; crypto?: 'ed25519' | 'fast'; replicaOptions?: Partial<PbftReplicaOptions> } = {},
  ) {
    const n = options.n ?? 4
    const kind = options.crypto ?? 'fast'
    this.identities = Array.from({ length: n }, (_, i) => makeIdentity(`r${i}`, kind))
    this.replicaInfos = this.identities.map(({ id, publicKey }) => ({ id, publicKey }))
    const client = makeIdentity('client0', kind)
    this.client = { ...client, id: toHex(client.publicKey) }
    this.replicaOptions = options.replicaOptions ?? {}
    this.replica = this.create()
  }

  private readonly replicaOptions: Partial<PbftReplicaOptions>

  private create(): PbftReplica {
    return new PbftReplica({
      ...testReplicaOptions(this.identities[this.index]!, this.replicaInfos),
      ...this.replicaOptions,
      ...(this.hardState ? { restore: this.hardState } : {}),
    })
  }

  /** Crash and restart from the persisted hard state, with a fresh application. */
  restart(): void {
    this.app.entries = []
    this.replica = this.create()
    this.collect()
  }

  sign<M extends PbftMessage>(replica: number, unsigned: Unsigned<M>): M {
    return signMessage(this.identities[replica]!.crypto, unsigned)
  }

  request(operation: string, timestamp: number) {
    return makeRequest(this.client, operation, timestamp)
  }

  prePrepare(view: number, sequence: number, batch: import('../src/index.js').ClientRequest[]) {
    const primary = view % this.identities.length
    return this.sign<import('../src/index.js').PrePrepare>(primary, {
      kind: 'pre-prepare',
      view,
      sequence,
      digest: batchDigest(this.identities[0]!.crypto, batch),
      replica: primary,
      batch,
    })
  }

  prepare(replica: number, { view, sequence, digest, signature }: import('../src/index.js').PrePrepare) {
    return this.sign<import('../src/index.js').Prepare>(replica, {
      kind: 'prepare',
      view,
      sequence,
      digest,
      replica,
      prePrepareSignature: signature,
    })
  }

  commit(replica: number, { view, sequence, digest }: import('../src/index.js').PrePrepare) {
    return this.sign<import('../src/index.js').Commit>(replica, {
      kind: 'commit',
      view,
      sequence,
      digest,
      replica,
    })
  }

  /** Delivers a message as if sent by replica `from` (or any id) and collects the output. */
  deliver(from: number | string, message: PbftMessage): void {
    this.replica.step(typeof from === 'number' ? this.identities[from]!.id : from, message)
    this.collect()
  }

  tick(times = 1): void {
    for (let i = 0; i < times; i++) {
      this.replica.tick()
      this.collect()
    }
  }

  collect(): void {
    while (this.replica.hasReady()) {
      const ready = this.replica.ready()
      if (ready.persist) this.hardState = applyPersist(this.replica.id, this.hardState, ready.persist)
      this.sent.push(...ready.messages)
      this.events.push(...(ready.events as never[]))
      this.executed.push(...ready.executed)
      this.replica.advance()
      applyCommands(this.replica, this.app, ready.apply)
    }
  }

  sentOfKind<K extends PbftMessage['kind']>(kind: K): Extract<PbftMessage, { kind: K }>[] {
    return this.sent.filter((s) => s.message.kind === kind).map((s) => s.message) as never
  }

  rejects(reason?: string) {
    return this.events.filter(
      (e) => e.type === 'message-reject' && (reason === undefined || String(e.reason).includes(reason)),
    )
  }

  /** Drives sequence `sequence` to commit with votes from the given replicas. */
  commitBatch(prePrepare: import('../src/index.js').PrePrepare, voters: number[]): void {
    this.deliver(prePrepare.replica, prePrepare)
    for (const voter of voters)
      if (voter !== prePrepare.replica) this.deliver(voter, this.prepare(voter, prePrepare))
    for (const voter of voters) this.deliver(voter, this.commit(voter, prePrepare))
  }
}
