/** One seeded simulation run: faults, Byzantine replicas, heal, then safety and liveness checks. */
import type { PbftMessage, PrePrepare } from '../src/index.js'
import { type ByzantineHook, Cluster, Rng } from './helpers.js'

export type Behaviour = 'silent' | 'equivocate' | 'forge' | 'replay' | 'duplicate' | 'invalid-batch' | 'chaos'
const BEHAVIOURS: readonly Behaviour[] = [
  'silent',
  'equivocate',
  'forge',
  'replay',
  'duplicate',
  'invalid-batch',
  'chaos',
]

function flip(bytes: Uint8Array): Uint8Array {
  const copy = bytes.slice()
  copy[0] = (copy[0] ?? 0) ^ 1
  return copy
}

/** Builds the outgoing-message rewriter of a Byzantine replica. */
export function byzantineHook(behaviour: Behaviour, ids: readonly string[]): ByzantineHook {
  const hook: ByzantineHook = (to, message, tools) => {
    const pick: Behaviour =
      behaviour === 'chaos' ? BEHAVIOURS[1 + tools.rng.int(BEHAVIOURS.length - 2)]! : behaviour
    switch (pick) {
      case 'silent':
        return []
      case 'equivocate': {
        const target = ids.indexOf(to)
        if (message.kind === 'pre-prepare' && target % 2 === 1) {
          // a different batch that is still valid: reversed, or an older request (executed
          // requests are skipped at execution, but the batch itself is well-formed)
          let batch = message.batch.length >= 2 ? [...message.batch].reverse() : []
          if (batch.length === 0) {
            const older = tools.history.find(
              (m) => m.kind === 'pre-prepare' && m.batch.length > 0 && m.sequence !== message.sequence,
            )
            if (older?.kind === 'pre-prepare') batch = [older.batch[0]!]
          }
          const digest = tools.crypto.digest(encodeBatchFor(batch))
          const forged = tools.sign<PrePrepare>({
            kind: 'pre-prepare',
            view: message.view,
            sequence: message.sequence,
            digest,
            replica: message.replica,
            batch,
          })
          return [{ to, message: forged }]
        }
        if ((message.kind === 'prepare' || message.kind === 'commit') && target % 2 === 1) {
          const digest = flip(message.digest)
          return [{ to, message: tools.sign({ ...message, digest }) as PbftMessage }]
        }
        return [{ to, message }]
      }
      case 'forge': {
        if (tools.rng.chance(0.5) && 'signature' in message)
          return [{ to, message: { ...message, signature: flip(message.signature) } }]
        if (tools.rng.chance(0.5) && 'replica' in message && message.kind !== 'reply') {
          // claim to be another replica (spoofed sender)
          const other = (message.replica + 1) % ids.length
          return [{ to, message: { ...message, replica: other } as PbftMessage }]
        }
        return [{ to, message }]
      }
      case 'replay': {
        const out = [{ to, message }]
        if (tools.history.length > 0 && tools.rng.chance(0.5))
          out.push({ to, message: tools.history[tools.rng.int(tools.history.length)]! })
        return out
      }
      case 'invalid-batch': {
        // a primary proposing a batch with a forged client signature (digest and signature
        // consistent), or a digest that does not match its batch
        if (message.kind !== 'pre-prepare' || message.batch.length === 0) return [{ to, message }]
        const badDigest = tools.rng.chance(0.5)
        const batch = badDigest
          ? message.batch
          : [
              { ...message.batch[0]!, signature: flip(message.batch[0]!.signature) },
              ...message.batch.slice(1),
            ]
        const digest = badDigest ? flip(message.digest) : tools.crypto.digest(encodeBatchFor(batch))
        return [{ to, message: tools.sign<PrePrepare>({ ...message, batch, digest }) }]
      }
      case 'duplicate': {
        const out = [
          { to, message },
          { to, message },
        ]
        if (message.kind === 'prepare' || message.kind === 'commit')
          out.push({ to, message: tools.sign({ ...message, digest: flip(message.digest) }) as PbftMessage })
        return out
      }
      default:
        return [{ to, message }]
    }
  }
  return hook
}

// the batch encoding is exported from the package; imported lazily to keep the hook pure
import { encodeBatch } from '../src/index.js'

function encodeBatchFor(batch: PrePrepare['batch']): Uint8Array {
  return encodeBatch(batch)
}

export interface ScenarioResult {
  readonly failure: string | undefined
  readonly executed: number
  readonly ticks: number
  readonly description: string
  readonly cluster?: Cluster
  readonly stats?: ScenarioStats
}

/** What a run exercised, summed over a sweep to show the faults really happened. */
export interface ScenarioStats {
  readonly crashes: number
  readonly viewChanges: number
  readonly newViews: number
  readonly stateTransfers: number
  readonly equivocations: number
  readonly rejected: number
  readonly byzantine: number
}

/** Runs one seed. */
export function runScenario(seed: number): ScenarioResult {
  const rng = new Rng(seed * 7919 + 17)
  const n = rng.chance(0.25) ? 7 : 4
  const f = Math.floor((n - 1) / 3)
  const byzantineCount = rng.int(f + 1)
  const byzantine = new Map<number, ByzantineHook>()
  const ids = Array.from({ length: n }, (_, i) => `r${i}`)
  const behaviours: string[] = []
  while (byzantine.size < byzantineCount) {
    const index = rng.int(n)
    if (byzantine.has(index)) continue
    const behaviour = BEHAVIOURS[rng.int(BEHAVIOURS.length)]!
    behaviours.push(`r${index}:${behaviour}`)
    byzantine.set(index, byzantineHook(behaviour, ids))
  }
  const clients = 3
  const opsPerClient = 6
  const cluster = new Cluster({ n, seed, clients, byzantine })
  cluster.loss = rng.next() * 0.2
  cluster.duplication = rng.next() * 0.2
  cluster.maxDelay = 1 + rng.int(4)
  const description = `n=${n} byzantine=[${behaviours.join(',')}] loss=${cluster.loss.toFixed(2)} dup=${cluster.duplication.toFixed(2)} delay<=${cluster.maxDelay}`
  const sent = new Array<number>(clients).fill(0)
  const pump = () => {
    for (let c = 0; c < clients; c++) {
      if (cluster.clients[c]!.outstanding === undefined && sent[c]! < opsPerClient) {
        const readOnly = rng.chance(0.15)
        cluster.submit(c, `c${c}-op${sent[c]}`, readOnly)
        sent[c]!++
      }
    }
  }
  const honest = cluster.honestIndexes()
  const faultTicks = 300
  let crashes = 0
  try {
    for (let t = 0; t < faultTicks; t++) {
      pump()
      if (rng.chance(0.02)) {
        const a = rng.int(n)
        const b = rng.int(n)
        if (a !== b) cluster.block(a, b)
      }
      if (rng.chance(0.01)) cluster.blocked.clear()
      if (rng.chance(0.01)) {
        cluster.crash(honest[rng.int(honest.length)]!)
        crashes++
      }
      if (rng.chance(0.02)) {
        const down = honest.filter((i) => cluster.replicas[i] === undefined)
        if (down.length > 0) cluster.restart(down[rng.int(down.length)]!)
      }
      cluster.step()
      const unsafe = cluster.checkSafety()
      if (unsafe) return { failure: `safety: ${unsafe}`, executed: 0, ticks: cluster.now, description }
    }
    cluster.heal()
    for (const i of honest) cluster.restart(i)
    const done = () => {
      pump()
      if (!cluster.clients.every((client, c) => client.outstanding === undefined && sent[c] === opsPerClient))
        return false
      const executed = honest.map((i) => cluster.replica(i).lastExecuted)
      return executed.every((e) => e === executed[0])
    }
    const live = cluster.runUntil(done, 6000)
    const unsafe = cluster.checkSafety()
    if (unsafe) return { failure: `safety: ${unsafe}`, executed: 0, ticks: cluster.now, description }
    if (!live) {
      const state = honest
        .map((i) => {
          const r = cluster.replica(i)
          return `r${i}{view=${r.view} ${r.status} exec=${r.lastExecuted} h=${r.lowWatermark} pending=${r.pendingRequests}}`
        })
        .join(' ')
      const outstanding = cluster.clients.map((c, i) => `${i}:${c.outstanding ?? '-'}/${sent[i]}`).join(' ')
      return {
        failure: `liveness: no convergence 6000 ticks after heal: ${state} clients ${outstanding}`,
        executed: 0,
        cluster,
        ticks: cluster.now,
        description,
      }
    }
    // every honest replica holds the same application state
    const reference = cluster.apps[honest[0]!]!.entries.join('|')
    for (const i of honest)
      if (cluster.apps[i]!.entries.join('|') !== reference)
        return {
          failure: `state: replica ${i} application state differs`,
          executed: 0,
          ticks: cluster.now,
          description,
        }
    // exactly-once: every acknowledged operation appears once in the log
    const entries = cluster.apps[honest[0]!]!.entries
    for (let c = 0; c < clients; c++) {
      const id = cluster.clients[c]!.id
      for (let k = 0; k < opsPerClient; k++) {
        const count = entries.filter((e) => e === `${id}:c${c}-op${k}`).length
        if (count > 1)
          return {
            failure: `exactly-once: ${id} op${k} executed ${count} times`,
            executed: 0,
            ticks: cluster.now,
            description,
          }
      }
    }
    const stats: ScenarioStats = {
      crashes,
      viewChanges: cluster.eventsOf('view-change-start').length,
      newViews: cluster.eventsOf('new-view-install').length,
      stateTransfers: cluster.eventsOf('state-transfer-install').length,
      equivocations: cluster.eventsOf('equivocation-detect').length,
      rejected: cluster.eventsOf('message-reject').length,
      byzantine: byzantine.size,
    }
    return {
      failure: undefined,
      executed: cluster.replica(honest[0]!).lastExecuted,
      ticks: cluster.now,
      description,
      stats,
    }
  } catch (error) {
    return { failure: `exception: ${(error as Error).stack}`, executed: 0, ticks: cluster.now, description }
  }
}
