/**
 * `pnpm bench pbft`: PBFT throughput and latency with real Ed25519 signatures
 * (node:crypto through `@synod/crypto/node`), against the bound that signature
 * verification sets on this machine.
 *
 * The cluster is n `PbftReplica` cores in one process, driven by a direct
 * synchronous loop (no driver, no transport, no storage): a FIFO queue of
 * messages, each replica's `Ready` handled in the order of the I/O contract
 * (persist — here: fold with `applyPersist` into memory —, send, advance, apply).
 * Clients live outside the measured cluster: their requests are signed before
 * a sample starts, handed to the primary, and a request counts as committed when
 * f+1 replicas have sent their signed reply for it (what a client waits for).
 *
 * Every verification the replicas do goes through a counting adapter, so
 * verifications/request is counted during the run, not derived from a formula.
 * The verify rate is measured in the same process right before each sample
 * (same message size, the replicas' keys), so bound = verifyRate /
 * verificationsPerRequest and the fraction is computed per sample.
 */
import { nodeCrypto } from '@synod/crypto/node'
import {
  applyCommands,
  applyPersist,
  type ClientRequest,
  cryptoSuiteAdapter,
  type ExecutableRequest,
  type PbftApplication,
  type PbftCrypto,
  type PbftHardState,
  type PbftMessage,
  PbftReplica,
  signMessage,
  toHex,
} from '@synod/pbft'
import type { BenchCase, BenchSuite } from '../harness.js'

const OPERATION_BYTES = 16
const CLIENTS = 256
const BATCH_REQUESTS = 64
const IN_FLIGHT_BATCHES = 8
/** Requests outstanding at once: enough to fill every in-flight batch. */
const WINDOW_REQUESTS = BATCH_REQUESTS * IN_FLIGHT_BATCHES
/** The light-load latency run: few requests outstanding, so latency is the protocol's, not the queue's. */
const LIGHT_WINDOW_REQUESTS = 1
const LIGHT_REQUESTS = 128
/** The verify rate is probed for this long right before and right after each sample (averaged). */
const VERIFY_PROBE_MS = 200

const encoder = new TextEncoder()

/** A counter: the cheapest deterministic application, so the cost measured is PBFT's. */
class Counter implements PbftApplication {
  total = 0
  execute(batch: readonly ExecutableRequest[]): Uint8Array[] {
    return batch.map(() => Uint8Array.of(++this.total & 0xff))
  }
  query(): Uint8Array {
    return Uint8Array.of(this.total & 0xff)
  }
  snapshot(): Uint8Array {
    return encoder.encode(String(this.total))
  }
  restore(snapshot: Uint8Array): void {
    this.total = Number(new TextDecoder().decode(snapshot))
  }
}

interface VerifyCounter {
  count: number
  /** Wall time spent inside `verify`, in ms. */
  ms: number
}

/** The node suite, with every `verify` counted and timed (one counter shared by the replicas). */
function countingCrypto(secretKey: Uint8Array, verifications: VerifyCounter): PbftCrypto {
  const inner = cryptoSuiteAdapter(nodeCrypto, secretKey)
  return {
    sign: inner.sign,
    digest: inner.digest,
    verify: (signature, bytes, publicKey) => {
      verifications.count++
      const start = performance.now()
      const valid = inner.verify(signature, bytes, publicKey)
      verifications.ms += performance.now() - start
      return valid
    },
  }
}

const seed = (label: string) => nodeCrypto.sha256(encoder.encode(label))
const replicaKeys = Array.from({ length: 7 }, (_, i) =>
  nodeCrypto.keyPairFromSeed(seed(`bench-replica-${i}`)),
)
const clientKeys = Array.from({ length: CLIENTS }, (_, i) =>
  nodeCrypto.keyPairFromSeed(seed(`bench-client-${i}`)),
)
const clientSigners = clientKeys.map((key) => cryptoSuiteAdapter(nodeCrypto, key.secretKey))
/** Timestamps only grow, across samples too (each sample has a fresh cluster, but why not). */
let nextTimestamp = 1

/** `count` signed requests, round-robin over the clients (signed by the clients, before timing). */
function signedRequests(count: number): ClientRequest[] {
  const requests: ClientRequest[] = []
  for (let i = 0; i < count; i++) {
    const client = i % CLIENTS
    const key = clientKeys[client]!
    const operation = new Uint8Array(OPERATION_BYTES)
    operation[0] = i & 0xff
    operation[1] = (i >>> 8) & 0xff
    requests.push(
      signMessage<ClientRequest>(clientSigners[client]!, {
        kind: 'request',
        client: toHex(key.publicKey),
        publicKey: key.publicKey,
        timestamp: nextTimestamp + Math.floor(i / CLIENTS),
        readOnly: false,
        operation,
      }),
    )
  }
  nextTimestamp += Math.ceil(count / CLIENTS) + 1
  return requests
}

/** Ed25519 verifications per second (node suite) over the replicas' keys, ~160 B messages. */
function verifyRate(n: number): number {
  const items = Array.from({ length: 64 }, (_, i) => {
    const key = replicaKeys[i % n]!
    const message = Uint8Array.from({ length: 160 }, (_, j) => (i * 31 + j) & 0xff)
    return { message, publicKey: key.publicKey, signature: nodeCrypto.sign(message, key.secretKey) }
  })
  let done = 0
  const start = performance.now()
  let elapsed = 0
  do {
    for (const item of items) if (nodeCrypto.verify(item.signature, item.message, item.publicKey)) done++
    elapsed = performance.now() - start
  } while (elapsed < VERIFY_PROBE_MS)
  return (done * 1000) / elapsed
}

interface RunResult {
  requestsPerSecond: number
  p50Ms: number
  p99Ms: number
  verifyRate: number
  verificationsPerRequest: number
  boundRequestsPerSecond: number
  fraction: number
  verifyShare: number
  lightP50Ms: number
  lightP99Ms: number
  meanBatch: number
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN
}

/** One sample: a fresh n-replica cluster commits `total` requests, then a light-load run. */
function runCluster(n: number, total: number): RunResult {
  const rateBefore = verifyRate(n)
  const saturated = commitRequests(n, total, WINDOW_REQUESTS)
  const rate = (rateBefore + verifyRate(n)) / 2
  const light = commitRequests(n, LIGHT_REQUESTS, LIGHT_WINDOW_REQUESTS)
  const boundRequestsPerSecond = rate / saturated.verificationsPerRequest
  return {
    requestsPerSecond: saturated.requestsPerSecond,
    p50Ms: saturated.p50Ms,
    p99Ms: saturated.p99Ms,
    verifyRate: rate,
    verificationsPerRequest: saturated.verificationsPerRequest,
    boundRequestsPerSecond,
    fraction: (100 * saturated.requestsPerSecond) / boundRequestsPerSecond,
    verifyShare: saturated.verifyShare,
    lightP50Ms: light.p50Ms,
    lightP99Ms: light.p99Ms,
    meanBatch: saturated.meanBatch,
  }
}

/** A fresh n-replica cluster commits `total` requests with `window` outstanding. */
function commitRequests(n: number, total: number, window: number) {
  const requests = signedRequests(total)
  const verifications: VerifyCounter = { count: 0, ms: 0 }
  const infos = replicaKeys.slice(0, n).map((key, i) => ({ id: `r${i}`, publicKey: key.publicKey }))
  const replicas = infos.map(
    (info, i) =>
      new PbftReplica({
        id: info.id,
        replicas: infos,
        crypto: countingCrypto(replicaKeys[i]!.secretKey, verifications),
        clients: { kind: 'any-key' },
        maxBatchRequests: BATCH_REQUESTS,
        maxInFlightBatches: IN_FLIGHT_BATCHES,
      }),
  )
  const byId = new Map(replicas.map((replica, i) => [replica.id, i]))
  const apps = replicas.map(() => new Counter())
  const hardStates: (PbftHardState | undefined)[] = replicas.map(() => undefined)
  const f = Math.floor((n - 1) / 3)
  const queueFrom: string[] = []
  const queueTo: number[] = []
  const queueMessage: PbftMessage[] = []
  let head = 0
  const replies = new Map<string, number>()
  const submittedAt = new Map<string, number>()
  const latencies: number[] = []
  let batches = 0
  let batchedRequests = 0
  let submitted = 0
  let committed = 0

  const drain = (i: number) => {
    const replica = replicas[i]!
    while (replica.hasReady()) {
      const ready = replica.ready()
      if (ready.persist) hardStates[i] = applyPersist(replica.id, hardStates[i], ready.persist)
      for (const { to, message } of ready.messages) {
        const target = byId.get(to)
        if (target !== undefined) {
          queueFrom.push(replica.id)
          queueTo.push(target)
          queueMessage.push(message)
        } else if (message.kind === 'reply') {
          const key = `${message.client}:${message.timestamp}`
          const count = (replies.get(key) ?? 0) + 1
          replies.set(key, count)
          if (count === f + 1) {
            latencies.push(performance.now() - submittedAt.get(key)!)
            submittedAt.delete(key)
            committed++
          }
        }
      }
      replica.advance()
      if (i === 0)
        for (const batch of ready.executed) {
          batches++
          batchedRequests += batch.requests.length
        }
      applyCommands(replica, apps[i]!, ready.apply)
    }
  }
  const submit = () => {
    while (submitted < total && submitted - committed < window) {
      const request = requests[submitted++]!
      submittedAt.set(`${request.client}:${request.timestamp}`, performance.now())
      replicas[0]!.request(request) // the client sends to the primary of view 0
    }
    drain(0)
  }

  const start = performance.now()
  submit()
  while (committed < total) {
    if (head === queueTo.length) throw new Error(`pbft bench: stalled at ${committed}/${total} committed`)
    const to = queueTo[head]!
    replicas[to]!.step(queueFrom[head]!, queueMessage[head]!)
    head++
    drain(to)
    if (submitted - committed < window) submit()
    if (head > 65_536) {
      queueFrom.splice(0, head)
      queueTo.splice(0, head)
      queueMessage.splice(0, head)
      head = 0
    }
  }
  const elapsedMs = performance.now() - start
  for (const replica of replicas)
    if (replica.view !== 0) throw new Error(`pbft bench: unexpected view change to ${replica.view}`)
  latencies.sort((a, b) => a - b)
  return {
    requestsPerSecond: (total * 1000) / elapsedMs,
    p50Ms: quantile(latencies, 0.5),
    p99Ms: quantile(latencies, 0.99),
    verificationsPerRequest: verifications.count / total,
    verifyShare: (100 * verifications.ms) / elapsedMs,
    meanBatch: batchedRequests / batches,
  }
}

/**
 * The harness runs each case separately; the cases of one cluster size read
 * one shared list of runs, the first case of a size starting each run.
 */
function casesFor(n: number, total: number): BenchCase[] {
  const runs: RunResult[] = []
  const readers = new Map<string, number>()
  const next =
    (field: keyof RunResult, first = false) =>
    () => {
      if (first) runs.push(runCluster(n, total))
      const index = readers.get(field) ?? 0
      readers.set(field, index + 1)
      const run = runs[index]
      if (run === undefined) throw new Error(`pbft bench: case ${field} read before its run`)
      return run[field]
    }
  const label = `n = ${n}, f = ${Math.floor((n - 1) / 3)}, batches ≤ ${BATCH_REQUESTS}`
  return [
    {
      name: `${label}: committed requests/s`,
      unit: 'requests/s',
      run: next('requestsPerSecond', true),
      note: `${total} requests of ${OPERATION_BYTES} B from ${CLIENTS} clients, ${WINDOW_REQUESTS} outstanding, ${IN_FLIGHT_BATCHES} batches in flight; committed = f+1 signed replies sent. Real Ed25519 (node:crypto) on every message.`,
    },
    {
      name: `${label}: p50 request latency at saturation`,
      unit: 'ms',
      lowerIsBetter: true,
      run: next('p50Ms'),
      note: `closed loop with ${WINDOW_REQUESTS} requests outstanding: by Little's law mostly queueing (outstanding / rate)`,
    },
    {
      name: `${label}: p99 request latency at saturation`,
      unit: 'ms',
      lowerIsBetter: true,
      run: next('p99Ms'),
    },
    {
      name: `${label}: p50 request latency, one request at a time`,
      unit: 'ms',
      lowerIsBetter: true,
      run: next('lightP50Ms'),
      note: `${LIGHT_REQUESTS} more requests on a fresh cluster right after each sample, one outstanding (a batch of one): the protocol's own latency with every replica's work serialised on one thread (n client-signature checks plus all pre-prepare/prepare/commit verifications of every replica)`,
    },
    {
      name: `${label}: p99 request latency, one request at a time`,
      unit: 'ms',
      lowerIsBetter: true,
      run: next('lightP99Ms'),
    },
    {
      name: `${label}: Ed25519 verify rate (node suite, same process, around each sample)`,
      unit: 'verifications/s',
      run: next('verifyRate'),
    },
    {
      name: `${label}: verifications per committed request (counted)`,
      unit: 'verifications/request',
      lowerIsBetter: true,
      run: next('verificationsPerRequest'),
      note: 'every PbftCrypto.verify call of every replica, counted by an instrumented adapter during the run, divided by the committed requests',
    },
    {
      name: `${label}: mean batch size`,
      unit: 'requests/batch',
      run: next('meanBatch'),
    },
    {
      name: `${label}: verification bound (verify rate / verifications per request)`,
      unit: 'requests/s',
      run: next('boundRequestsPerSecond'),
    },
    {
      name: `${label}: committed rate as a fraction of the bound`,
      unit: '%',
      run: next('fraction'),
      note: 'per sample: requests/s over (verify rate probed just before and after, averaged / verifications per request). On a shared machine the probe and the run see different loads, so this swings between samples; the next case does not.',
    },
    {
      name: `${label}: share of the run spent inside verify (in-run fraction of the bound)`,
      unit: '%',
      run: next('verifyShare'),
      note: `time inside the counted verify calls / wall time of the run: the same ratio as ours/bound with the verify rate taken from the run itself. Replies are signed once per batch per replica (a Merkle tree of the batch's replies); the rest goes to signing votes, SHA-256, encoding and the loop.`,
    },
  ]
}

const suite: BenchSuite = {
  core: 'pbft',
  samples: 5,
  warmup: 1,
  cases: () => [...casesFor(4, 4096), ...casesFor(7, 2048)],
}

export default suite
