import { describe, expect, it } from 'vitest'
import { toHex } from '../src/index.js'
import { Cluster } from './helpers.js'
import { byzantineHook } from './scenario.js'

function runClients(cluster: Cluster, opsPerClient: number, maxTicks: number): boolean {
  const sent = cluster.clients.map(() => 0)
  return cluster.runUntil(() => {
    cluster.clients.forEach((client, c) => {
      if (client.outstanding === undefined && sent[c]! < opsPerClient) {
        cluster.submit(c, `c${c}-${sent[c]}`)
        sent[c]!++
      }
    })
    return cluster.clients.every((client, c) => client.outstanding === undefined && sent[c] === opsPerClient)
  }, maxTicks)
}

function converged(cluster: Cluster, replicas = cluster.honestIndexes()): boolean {
  const executed = replicas.map((i) => cluster.replica(i).lastExecuted)
  return executed.every((e) => e === executed[0])
}

describe('batching and pipelining', () => {
  it('batches requests while the pipeline is full and never exceeds the limits', () => {
    const cluster = new Cluster({
      clients: 12,
      replicaOptions: { maxInFlightBatches: 1, maxBatchRequests: 4 },
    })
    for (let c = 0; c < 12; c++) cluster.submit(c, `op${c}`)
    expect(
      cluster.runUntil(() => cluster.clients.every((client) => client.outstanding === undefined), 200),
    ).toBe(true)
    const batches = cluster.executed[1]!.size
    expect(batches).toBeLessThan(12) // fewer batches than requests
    expect(cluster.apps[1]!.entries).toHaveLength(12)
    // no pre-prepare carried more than maxBatchRequests
    const persisted = cluster.batchSizes[1]!
    expect(Math.max(...persisted)).toBeLessThanOrEqual(4)
    expect(Math.max(...persisted)).toBeGreaterThan(1)
    expect(cluster.checkSafety()).toBeUndefined()
  })

  it('keeps at most maxInFlightBatches proposed and unexecuted', () => {
    const cluster = new Cluster({
      clients: 10,
      replicaOptions: { maxInFlightBatches: 2, maxBatchRequests: 1 },
    })
    cluster.maxDelay = 3
    for (let c = 0; c < 10; c++) cluster.submit(c, `op${c}`)
    let maxInFlight = 0
    cluster.runUntil(() => {
      const primary = cluster.replica(0)
      maxInFlight = Math.max(
        maxInFlight,
        (primary as unknown as { nextSequence: number }).nextSequence - 1 - primary.lastExecuted,
      )
      return cluster.clients.every((client) => client.outstanding === undefined)
    }, 400)
    expect(maxInFlight).toBeGreaterThan(0)
    expect(maxInFlight).toBeLessThanOrEqual(2)
    expect(cluster.apps[0]!.entries).toHaveLength(10)
  })
})

describe('checkpoints and garbage collection', () => {
  it('makes a checkpoint stable every K sequences with 2f+1 signatures and moves the watermarks', () => {
    const cluster = new Cluster({
      clients: 1,
      replicaOptions: { checkpointInterval: 4, maxBatchRequests: 1 },
    })
    expect(runClients(cluster, 9, 500)).toBe(true)
    cluster.run(20)
    for (let i = 0; i < 4; i++) {
      const replica = cluster.replica(i)
      expect(replica.lastExecuted).toBe(9)
      expect(replica.lowWatermark).toBe(8)
      expect(replica.highWatermark).toBe(16)
      expect(replica.stableCheckpoint.proof.length).toBe(3)
      expect(new Set(replica.stableCheckpoint.proof.map((c) => c.replica)).size).toBe(3)
      // the log below the stable checkpoint is gone
      const internal = replica as unknown as {
        log: Map<number, unknown>
        committedCertificates: Map<number, unknown>
      }
      expect([...internal.log.keys()].every((s) => s > 8)).toBe(true)
      expect([...internal.committedCertificates.keys()].every((s) => s > 8)).toBe(true)
      expect(cluster.hardStates[i]!.committed.every((c) => c.prePrepare.sequence > 8)).toBe(true)
    }
    expect(cluster.eventsOf('checkpoint-stable', 0).map((e) => e.event.sequence)).toEqual([4, 8])
  })
})

describe('view change', () => {
  it('replaces a crashed primary and keeps going (n=4)', () => {
    const cluster = new Cluster({ clients: 2 })
    expect(runClients(cluster, 2, 200)).toBe(true)
    cluster.crash(0)
    expect(runClients(cluster, 4, 2000)).toBe(true)
    for (const i of [1, 2, 3]) {
      expect(cluster.replica(i).view).toBeGreaterThanOrEqual(1)
      expect(cluster.replica(i).status).toBe('normal')
    }
    expect(cluster.eventsOf('new-view-install').length).toBeGreaterThan(0)
    expect(converged(cluster, [1, 2, 3])).toBe(true)
    expect(cluster.checkSafety()).toBeUndefined()
  })

  it('carries a prepared batch into the new view at the same sequence', () => {
    const cluster = new Cluster({ clients: 1 })
    cluster.dropKinds.add('commit') // the batch prepares everywhere but commits nowhere
    cluster.submit(0, 'survivor')
    cluster.run(20)
    for (let i = 0; i < 4; i++) expect(cluster.replica(i).lastExecuted).toBe(0)
    const prepared = cluster.hardStates[1]!.prepared
    expect(prepared.map((c) => [c.prePrepare.view, c.prePrepare.sequence])).toEqual([[0, 1]])
    cluster.crash(0)
    const inViewOne = () =>
      [1, 2, 3].every((i) => cluster.replica(i).view === 1 && cluster.replica(i).status === 'normal')
    expect(cluster.runUntil(inViewOne, 1000)).toBe(true)
    expect(cluster.replica(1).lastExecuted).toBe(0)
    cluster.dropKinds.clear()
    expect(cluster.runUntil(() => cluster.clients[0]!.outstanding === undefined, 3000)).toBe(true)
    for (const i of [1, 2, 3]) {
      expect(cluster.replica(i).view).toBe(1)
      expect(cluster.executed[i]!.get(1)).toBe(toHex(prepared[0]!.prePrepare.digest))
      expect(cluster.apps[i]!.entries).toEqual([`${cluster.clients[0]!.id}:survivor`])
    }
    expect(cluster.checkSafety()).toBeUndefined()
  })

  it('survives a view-change storm: timeouts back off exponentially, then the cluster recovers', () => {
    const cluster = new Cluster({ clients: 1, replicaOptions: { maxViewChangeBackoffExponent: 10 } })
    // everybody cut off from everybody: every replica keeps timing out on its own
    for (let a = 0; a < 4; a++) for (let b = a + 1; b < 4; b++) cluster.block(a, b)
    cluster.submit(0, 'x')
    cluster.run(1000)
    const starts = cluster.eventsOf('view-change-start', 1).map((e) => e.event.view as number)
    // an isolated replica sends one view-change per timeout; the replica waits for 2f+1 at its
    // view before moving on, so it does not run away with ever higher views
    expect(starts.length).toBeLessThanOrEqual(2)
    cluster.heal()
    expect(cluster.runUntil(() => cluster.clients[0]!.outstanding === undefined, 4000)).toBe(true)
    expect(cluster.checkSafety()).toBeUndefined()
  })

  it('skips the crashed primaries of consecutive views (n=7, f=2)', () => {
    // the primaries of views 0 and 1 are crashed
    const cluster = new Cluster({ n: 7, clients: 1, replicaOptions: { viewChangeTimeoutTicks: 20 } })
    cluster.crash(0)
    cluster.crash(1)
    cluster.submit(0, 'x')
    expect(cluster.runUntil(() => cluster.clients[0]!.outstanding === undefined, 4000)).toBe(true)
    const starts = cluster.events
      .filter((e) => e.replica === 3 && e.event.type === 'view-change-start')
      .map((e) => ({ view: e.event.view as number }))
    expect(starts.map((s) => s.view).slice(0, 2)).toEqual([1, 2])
    expect(cluster.replica(3).view).toBe(2)
  })

  it('a replica joins the smallest higher view once f+1 replicas ask for views above its own', () => {
    const cluster = new Cluster({ clients: 1 })
    cluster.isolate(3)
    cluster.blocked.add(`${cluster.clients[0]!.id}>r3`) // r3 never sees the request: no timer of its own
    cluster.crash(0)
    cluster.submit(0, 'x')
    expect(cluster.runUntil(() => cluster.replica(1).view >= 1 && cluster.replica(2).view >= 1, 1000)).toBe(
      true,
    )
    expect(cluster.replica(3).view).toBe(0)
    cluster.blocked.clear()
    cluster.run(30)
    const joined = cluster.eventsOf('view-change-start', 3).map((e) => e.event.reason as string)
    expect(joined.some((reason) => reason.startsWith('f+1 replicas moved to view'))).toBe(true)
  })
})

describe('state transfer', () => {
  it('a replica cut off across several checkpoints catches up from a certified snapshot', () => {
    const cluster = new Cluster({ clients: 2, replicaOptions: { maxBatchRequests: 1 } })
    cluster.isolate(3)
    expect(runClients(cluster, 10, 2000)).toBe(true)
    expect(cluster.replica(3).lastExecuted).toBe(0)
    cluster.heal()
    expect(cluster.runUntil(() => converged(cluster), 500)).toBe(true)
    const installs = cluster.eventsOf('state-transfer-install', 3)
    expect(installs.length).toBeGreaterThan(0)
    expect(cluster.apps[3]!.entries).toEqual(cluster.apps[0]!.entries)
    expect(cluster.replica(3).lowWatermark).toBeGreaterThan(0)
    expect(cluster.checkSafety()).toBeUndefined()
  })

  it('a restarted replica that lost everything catches up', () => {
    const cluster = new Cluster({ clients: 2 })
    expect(runClients(cluster, 6, 1000)).toBe(true)
    cluster.crash(2)
    cluster.hardStates[2] = undefined
    cluster.restart(2)
    cluster.submit(0, 'after')
    cluster.run(300)
    expect(converged(cluster)).toBe(true)
    expect(cluster.apps[2]!.entries).toEqual(cluster.apps[0]!.entries)
  })
})

describe('restart from persisted state', () => {
  it('restores the application from the checkpoint and committed batches', () => {
    const cluster = new Cluster({ clients: 2 })
    expect(runClients(cluster, 7, 1000)).toBe(true)
    const before = cluster.apps[1]!.entries.slice()
    const executed = cluster.replica(1).lastExecuted
    cluster.crash(1)
    cluster.restart(1)
    expect(cluster.replica(1).lastExecuted).toBe(executed)
    expect(cluster.apps[1]!.entries).toEqual(before)
    expect(runClients(cluster, 9, 1000)).toBe(true)
    cluster.run(50)
    expect(converged(cluster)).toBe(true)
  })
})

describe.each([4, 7])('Byzantine replicas, n=%i', (n) => {
  const f = Math.floor((n - 1) / 3)
  const faulty = (behaviour: Parameters<typeof byzantineHook>[0], first = 0) => {
    const ids = Array.from({ length: n }, (_, i) => `r${i}`)
    return new Map(Array.from({ length: f }, (_, k) => [first + k, byzantineHook(behaviour, ids)] as const))
  }

  it.each(['equivocate', 'silent', 'forge', 'replay', 'duplicate', 'invalid-batch', 'chaos'] as const)(
    'f %s replicas (primary included) cannot break safety or liveness',
    (behaviour) => {
      const cluster = new Cluster({ n, clients: 3, byzantine: faulty(behaviour) })
      expect(runClients(cluster, 5, 6000)).toBe(true)
      expect(cluster.checkSafety()).toBeUndefined()
      const honest = cluster.honestIndexes()
      cluster.runUntil(() => converged(cluster), 500)
      expect(converged(cluster)).toBe(true)
      const reference = cluster.apps[honest[0]!]!.entries
      expect(reference.length).toBe(15)
      for (const i of honest) expect(cluster.apps[i]!.entries).toEqual(reference)
      if (behaviour === 'silent' || behaviour === 'equivocate' || behaviour === 'invalid-batch')
        for (const i of honest) expect(cluster.replica(i).view).toBeGreaterThan(0)
      if (behaviour === 'equivocate')
        expect(cluster.eventsOf('equivocation-detect').length).toBeGreaterThan(0)
    },
  )
})
