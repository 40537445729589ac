/**
 * The Dynamo-style store on the simulator: what each setting guarantees, and
 * what it does not.
 *
 * - strict quorums with R + W > N: a get that starts after a put was
 *   acknowledged returns that put's version or a descendant, for every seed,
 *   under loss, duplication, reordering and partitions (operations may fail;
 *   they never return stale data);
 * - sloppy quorums under a partition: a get CAN return stale data (shown on a
 *   scripted partition and found by a seed sweep), and hinted handoff delivers
 *   every hinted write to its home replicas after the heal;
 * - concurrent puts come back as siblings.
 */
import {
  type DelayDistribution,
  type NemesisOptions,
  type NodeContext,
  type RunSimulationOptions,
  runSimulationAsync,
  Simulation,
  SimulationFailure,
  sweepAsync,
} from '@synod/sim'
import { describe, expect, it } from 'vitest'
import type { DynamoMessage, DynamoValue } from '../src/core/dynamo.js'
import { preferenceList } from '../src/core/preference.js'
import { descends, type VectorClock } from '../src/core/vector-clock.js'
import { QuorumTimeoutError } from '../src/errors.js'
import { DynamoNode, type DynamoNodeOptions } from '../src/node/dynamo.js'
import { expectReplays, nodeClock, runUntil, settle } from './support/sim.js'

const members = ['n1', 'n2', 'n3', 'n4', 'n5']
const timing = { tickMs: 10, retryMs: 30, suspectAfterMs: 40, timeoutMs: 400, handoffIntervalMs: 100 }

function makeNode(ctx: NodeContext<DynamoMessage>, options: Partial<DynamoNodeOptions>): DynamoNode {
  return new DynamoNode({
    transport: ctx.transport,
    members,
    clock: nodeClock(ctx),
    nonce: ctx.random.next(),
    ...timing,
    ...options,
  })
}

/** A simulation of the five members for a scripted test: no nemesis, every link with `delay`. */
function scripted(
  seed: number,
  options: Partial<DynamoNodeOptions>,
  delay: DelayDistribution,
): Simulation<DynamoMessage, DynamoNode> {
  return new Simulation<DynamoMessage, DynamoNode>({
    seed,
    nodeIds: members,
    node: (ctx) => makeNode(ctx, options),
    network: { delay },
  })
}

/** The values node `id` holds locally for `key`. */
function localValues(sim: Simulation<DynamoMessage, DynamoNode>, id: string, key: string): DynamoValue[] {
  return sim
    .node(id)
    .core.local(key)
    .map((s) => s.value)
}

interface Acked {
  key: string
  clock: VectorClock
  ackedAtMs: number
  by: string
  hinted: number
}
interface Read {
  key: string
  invokedAtMs: number
  clocks: VectorClock[]
  by: string
}

/** A get that started after a put was acknowledged but returned neither it nor a descendant. */
function findStaleRead(acked: readonly Acked[], reads: readonly Read[]): string | undefined {
  for (const read of reads) {
    for (const put of acked) {
      if (put.key !== read.key || put.ackedAtMs >= read.invokedAtMs) continue
      if (!read.clocks.some((c) => descends(c, put.clock)))
        return `stale read: get("${read.key}") by ${read.by} at t=${read.invokedAtMs} missed the put acknowledged to ${put.by} at t=${put.ackedAtMs} (${JSON.stringify(put.clock)}, ${put.hinted} hinted acks), returned ${JSON.stringify(read.clocks)}`
    }
  }
  return undefined
}

/**
 * Clients colocated with the nodes: each does read-modify-write (get, then put
 * with the context) or a blind get, on a few keys, and records what was
 * acknowledged and what was read.
 */
function storeRun(
  seed: number,
  options: Partial<DynamoNodeOptions>,
  nemesis: NemesisOptions,
  network: RunSimulationOptions<DynamoMessage, DynamoNode>['network'],
): RunSimulationOptions<DynamoMessage, DynamoNode> & { acked: Acked[]; reads: Read[] } {
  const acked: Acked[] = []
  const reads: Read[] = []
  const faultPhaseMs = 2_000
  return {
    acked,
    reads,
    seed,
    nodeIds: members,
    node: (ctx) => makeNode(ctx, options),
    network,
    nemesis,
    faultPhaseMs,
    healPhaseMs: 1_500,
    setup(sim) {
      for (const id of ['n1', 'n3', 'n5']) {
        const random = sim.random.split(`client:${id}`)
        let n = 0
        const next = () => {
          if (sim.now > faultPhaseMs + 1_000) return
          const key = random.pick(['a', 'b', 'c'])
          const node = sim.node(id)
          const invokedAtMs = sim.now
          const again = () => sim.schedule(random.int(1, 20), next)
          node.get(key).then(
            ({ siblings, context }) => {
              reads.push({ key, invokedAtMs, clocks: siblings.map((s) => s.clock), by: id })
              if (!random.chance(0.6)) return again()
              node.put(key, `${id}-${++n}`, { context }).then(({ clock, hinted }) => {
                acked.push({ key, clock, ackedAtMs: sim.now, by: id, hinted })
                again()
              }, again)
            },
            (error: unknown) => {
              if (!QuorumTimeoutError.isInstance(error)) throw error
              again()
            },
          )
        }
        sim.schedule(random.int(1, 20), next)
      }
    },
    finalCheck() {
      if (acked.length < 10 || reads.length < 10)
        return `too little progress: ${acked.length} puts, ${reads.length} gets`
      return findStaleRead(acked, reads)
    },
  }
}

/** The partitions both the strict control and the sloppy search run under. */
const partitions: NemesisOptions = { kinds: ['partition', 'isolate'], intervalMs: { minMs: 200, maxMs: 600 } }

const faultyLinks = {
  delay: { kind: 'long-tail', minMs: 1, medianMs: 4, maxMs: 60 },
  lossRate: 0.03,
  duplicateRate: 0.03,
  reorderRate: 0.1,
} as const

describe('Dynamo-style store on the simulator', () => {
  it('strict quorums, R + W > N: every get after an acknowledged put sees it or a descendant (loss, duplicates, reordering)', async () => {
    await sweepAsync({ seeds: 25, expect }, (seed) =>
      runSimulationAsync(
        storeRun(seed, { n: 3, r: 2, w: 2, sloppy: false }, { kinds: ['degrade', 'pause'] }, faultyLinks),
      ),
    )
  })

  it('strict quorums, R + W > N: still no stale read under partitions (operations fail instead); the control of the sloppy search below', async () => {
    await sweepAsync({ seeds: 40, expect }, (seed) =>
      runSimulationAsync(storeRun(seed, { n: 3, r: 2, w: 2, sloppy: false }, partitions, faultyLinks)),
    )
  })

  it('sloppy quorums under partitions: some seed returns stale data although R + W > N', async () => {
    let failure: SimulationFailure | undefined
    try {
      await sweepAsync({ seeds: 40, expect, env: {} }, (seed) =>
        runSimulationAsync(storeRun(seed, { n: 3, r: 2, w: 2, sloppy: true }, partitions, faultyLinks)),
      )
    } catch (error) {
      if (!SimulationFailure.isInstance(error)) throw error
      failure = error
    }
    expect(failure, 'no seed showed a stale read with sloppy quorums').toBeDefined()
    expect(failure?.detail).toContain('stale read')
    console.log(`sloppy quorum staleness found: ${failure?.message.split('\n')[0]}`)
  })

  it('replays exactly: two runs of one seed give the same trace', async () => {
    await expectReplays(() => ({
      ...storeRun(3, { n: 3, r: 2, w: 2, sloppy: true }, partitions, faultyLinks),
      finalCheck: undefined,
    }))
  })

  it('R + W <= N gives no such promise: with R = W = 1 some seed reads stale data even without partitions', async () => {
    let failure: SimulationFailure | undefined
    try {
      await sweepAsync({ seeds: 40, expect, env: {} }, (seed) =>
        runSimulationAsync(
          storeRun(
            seed,
            { n: 3, r: 1, w: 1, sloppy: false, readRepair: false },
            { kinds: ['degrade'] },
            faultyLinks,
          ),
        ),
      )
    } catch (error) {
      if (!SimulationFailure.isInstance(error)) throw error
      failure = error
    }
    expect(failure?.detail).toContain('stale read')
  })

  it('scripted: a partitioned minority accepts a sloppy write, the majority reads stale data, handoff repairs it after the heal', async () => {
    const sim = scripted(1, { n: 3, r: 2, w: 2, sloppy: true }, { kind: 'constant', ms: 2 })
    const list = preferenceList('k', members)
    const homes = list.slice(0, 3)
    const standIns = list.slice(3)
    const [h1] = homes as [string]
    const [s1] = standIns as [string]
    const first = await settle(sim, sim.node(h1).put('k', 'v1'), 1_000)
    if (!first.ok) throw first.error
    const read = await settle(sim, sim.node(s1).get('k'), 1_500)
    if (!read.ok) throw read.error
    expect(read.value.siblings.map((s) => s.value)).toEqual(['v1'])
    // the stand-ins are cut off from the home replicas; s1 writes a successor of v1 on its side
    sim.network.partition([homes, standIns])
    const second = await settle(sim, sim.node(s1).put('k', 'v2', { context: read.value.context }), 3_000)
    if (!second.ok) throw second.error
    expect(second.value.hinted).toBe(2) // a sloppy quorum: both acknowledgements came from stand-ins
    // the other side, R + W > N notwithstanding, reads the old value
    const stale = await settle(sim, sim.node(h1).get('k'), 4_000)
    if (!stale.ok) throw stale.error
    expect(stale.value.siblings.map((s) => s.value)).toEqual(['v1'])
    expect(descends(stale.value.context, second.value.clock)).toBe(false)
    // two stand-ins took hints for two home replicas; the third home replica has no stand-in left
    const hintedHomes = standIns.flatMap((id) => [...sim.node(id).core.hinted().keys()]).sort()
    expect(hintedHomes).toHaveLength(2)
    // heal: hinted handoff brings v2 home, with no client involved
    sim.network.heal()
    await runUntil(sim, sim.now + 1_000)
    for (const home of homes)
      expect(localValues(sim, home, 'k')).toEqual(hintedHomes.includes(home) ? ['v2'] : ['v1'])
    for (const id of standIns) expect(sim.node(id).core.hinted().size).toBe(0)
    // a get sees v2, and read repair brings the last home replica up to date
    const fresh = await settle(sim, sim.node(h1).get('k', { r: 3 }), sim.now + 1_000)
    if (!fresh.ok) throw fresh.error
    expect(fresh.value.siblings.map((s) => s.value)).toEqual(['v2'])
    await runUntil(sim, sim.now + 100)
    for (const home of homes) expect(localValues(sim, home, 'k')).toEqual(['v2'])
  })

  it('scripted control: the same partition with strict quorums refuses the write instead', async () => {
    const sim = scripted(1, { n: 3, r: 2, w: 2, sloppy: false }, { kind: 'constant', ms: 2 })
    const list = preferenceList('k', members)
    sim.network.partition([list.slice(0, 3), list.slice(3)])
    const put = await settle(sim, sim.node(list[3] as string).put('k', 'v2'), 2_000)
    expect(put.ok).toBe(false)
    expect(QuorumTimeoutError.isInstance(put.ok ? undefined : put.error)).toBe(true)
  })

  it('hinted handoff: after the heal every hint reaches its home replica, for every seed', async () => {
    await sweepAsync({ seeds: 20, expect }, (seed) =>
      runSimulationAsync({
        ...storeRun(
          seed,
          { n: 3, r: 1, w: 2, sloppy: true },
          { kinds: ['partition', 'isolate', 'pause'] },
          faultyLinks,
        ),
        finalCheck: undefined,
        liveness: (sim) => sim.now > 3_100 && members.every((id) => sim.node(id).core.hinted().size === 0),
        livenessBoundMs: 3_000,
        invariants: [],
      }).then((result) => {
        expect(result.livenessAtMs).toBeDefined()
        return result
      }),
    )
  })

  it('concurrent puts from two sides come back as siblings; a put with the context resolves them', async () => {
    const sim = scripted(3, { n: 3, r: 3, w: 1, sloppy: false }, { kind: 'uniform', minMs: 1, maxMs: 5 })
    const [a, b] = [sim.node('n1'), sim.node('n2')]
    const both = Promise.all([a.put('cart', 'apples'), b.put('cart', 'pears')])
    const puts = await settle(sim, both, 1_000)
    if (!puts.ok) throw puts.error
    await runUntil(sim, sim.now + 200)
    const got = await settle(sim, sim.node('n4').get('cart'), sim.now + 1_000)
    if (!got.ok) throw got.error
    expect(got.value.siblings.map((s) => s.value).sort()).toEqual(['apples', 'pears'])
    const resolved = await settle(
      sim,
      sim.node('n4').put('cart', 'apples+pears', { context: got.value.context, w: 3 }),
      sim.now + 1_000,
    )
    if (!resolved.ok) throw resolved.error
    const after = await settle(sim, sim.node('n5').get('cart'), sim.now + 1_000)
    if (!after.ok) throw after.error
    expect(after.value.siblings.map((s) => s.value)).toEqual(['apples+pears'])
  })
})
