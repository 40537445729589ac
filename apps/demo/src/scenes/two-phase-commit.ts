/**
 * Two-phase commit: a shop orders across stock, payment and shipping. Orders
 * commit, one aborts on a `no`, one has a read-only participant; then the shop
 * crashes right after force-writing a commit, the participants block, the shop
 * restarts from its record, and a participant cut off from it learns the
 * outcome from a peer (cooperative termination).
 */
import {
  type Decision,
  type Ticker,
  TwoPhaseCoordinator,
  type TwoPhaseMessage,
  TwoPhaseParticipant,
  type TwoPhaseRecord,
  type TwoPhaseStorage,
  twoPhaseCodec,
  type Vote,
} from '@synod/2pc'
import { type NodeContext, type SimDisk, Simulation } from '@synod/sim'
import type { Transport } from '@synod/transport'
import { ms, type Scene } from '../scene.js'

const SHOP = 'shop'
const PARTICIPANTS = ['stock', 'payment', 'shipping']
const TIMING = { tickMs: 10, voteTimeoutTicks: 50, retryTicks: 5 }
const BLOCKED_MS = 500

interface Order {
  txId: string
  apples: number
  euros: number
  /** Picked up in store: shipping has nothing to write and votes read-only. */
  pickup?: boolean
}

const ORDERS: readonly Order[] = [
  { txId: 'order-1', apples: 2, euros: 30 },
  { txId: 'order-2', apples: 3, euros: 45 },
  { txId: 'order-3', apples: 9, euros: 60 },
  { txId: 'order-4', apples: 1, euros: 15, pickup: true },
]
const CRASH_ORDER: Order = { txId: 'order-5', apples: 2, euros: 30 }

/** What the scene sees: votes, decisions per node, who taught whom, decision requests sent. */
interface World {
  votes: Map<string, Map<string, Vote>>
  decisions: Map<string, Map<string, { decision: Decision; atMs: number }>>
  learnedFrom: Map<string, string>
  decisionRequests: number
  stock: number
  account: number
  crashOnCommit: string | undefined
}

/** Records as JSON lines on the simulated disk, synced before `append` returns (what a crash keeps). */
function diskStorage(disk: SimDisk, path = '2pc.jsonl'): TwoPhaseStorage {
  return {
    load: () =>
      disk.exists(path)
        ? new TextDecoder()
            .decode(disk.read(path))
            .split('\n')
            .filter((line) => line !== '')
            .map((line) => JSON.parse(line) as TwoPhaseRecord)
        : [],
    append(records) {
      const created = !disk.exists(path)
      disk.append(path, new TextEncoder().encode(records.map((r) => `${JSON.stringify(r)}\n`).join('')))
      disk.sync(path)
      if (created) disk.syncDirectory()
    },
  }
}

/** Watches a participant's traffic: counts decision requests, notes who told it each decision first. */
function watched(inner: Transport<TwoPhaseMessage>, world: World): Transport<TwoPhaseMessage> {
  inner.onMessage((from, message) => {
    const key = `${inner.localId}/${message.txId}`
    if (message.kind === 'decision' && !world.learnedFrom.has(key)) world.learnedFrom.set(key, from)
  })
  return {
    localId: inner.localId,
    send(to, message) {
      if (message.kind === 'decision-request') world.decisionRequests++
      inner.send(to, message)
    },
    onMessage: (handler) => inner.onMessage(handler),
    close: () => inner.close(),
  }
}

/** A simulated node's timers as a ticker: they stop with a crash. */
function nodeTicker(ctx: NodeContext<TwoPhaseMessage>): Ticker {
  return {
    every(intervalMs, callback) {
      const timer = ctx.every(intervalMs, callback)
      return () => void timer.cancel()
    },
  }
}

type SimNode = { coordinator?: TwoPhaseCoordinator; participant?: TwoPhaseParticipant }
type Sim = Simulation<TwoPhaseMessage, SimNode>

function decide(world: World, node: string, txId: string, decision: Decision, atMs: number): void {
  const byNode = world.decisions.get(txId) ?? new Map()
  world.decisions.set(txId, byNode)
  if (!byNode.has(node)) byNode.set(node, { decision, atMs })
  else if (byNode.get(node)?.decision !== decision) throw new Error(`${node} changed its decision on ${txId}`)
}

/** Each participant's resource: stock holds apples, payment holds euros, shipping books a van (or has nothing to do). */
function participantNode(ctx: NodeContext<TwoPhaseMessage>, world: World, sim: () => Sim): SimNode {
  const held = new Map<string, number>()
  const participant = new TwoPhaseParticipant({
    transport: watched(ctx.transport, world),
    storage: diskStorage(ctx.disk),
    ticker: nodeTicker(ctx),
    ...TIMING,
    decisionRequestTicks: 10,
    resource: {
      prepare(txId, payload) {
        const amount = payload[0] ?? 0
        let vote: Vote = 'yes'
        if (ctx.id === 'stock' && amount > world.stock - sum(held)) vote = 'no'
        if (ctx.id === 'payment' && amount > world.account - sum(held)) vote = 'no'
        if (ctx.id === 'shipping' && amount === 0) vote = 'read-only'
        if (vote === 'yes') held.set(txId, amount)
        const votes = world.votes.get(txId) ?? new Map<string, Vote>()
        world.votes.set(txId, votes.set(ctx.id, vote))
        return vote
      },
      finish(txId, decision) {
        const amount = held.get(txId) ?? 0
        held.delete(txId)
        if (decision === 'commit' && ctx.id === 'stock') world.stock -= amount
        if (decision === 'commit' && ctx.id === 'payment') world.account -= amount
        decide(world, ctx.id, txId, decision, sim().now)
      },
    },
  })
  return { participant }
}

const sum = (held: Map<string, number>) => [...held.values()].reduce((a, b) => a + b, 0)

function coordinatorNode(ctx: NodeContext<TwoPhaseMessage>, world: World, sim: () => Sim): SimNode {
  const coordinator = new TwoPhaseCoordinator({
    transport: ctx.transport,
    storage: diskStorage(ctx.disk),
    ticker: nodeTicker(ctx),
    ...TIMING,
    onDecision({ txId, decision }) {
      decide(world, SHOP, txId, decision, sim().now)
      if (decision !== 'commit' || txId !== world.crashOnCommit) return
      // the commit record is durable and the decisions are on the wire: cut them off and crash
      world.crashOnCommit = undefined
      for (const p of PARTICIPANTS) sim().network.blockLink(SHOP, p)
      sim().schedule(0, () => sim().crash(SHOP))
    },
  })
  return { coordinator }
}

/** Steps the simulation until `done`, failing after `boundMs` of virtual time. */
function runUntil(sim: Sim, what: string, boundMs: number, done: () => boolean): void {
  const deadline = sim.now + boundMs
  while (!done()) {
    if (sim.now > deadline || !sim.step()) throw new Error(`${what} did not happen within ${ms(boundMs)}`)
  }
}

const describeVotes = (world: World, txId: string) =>
  PARTICIPANTS.map((p) => `${p} ${world.votes.get(txId)?.get(p) ?? 'silent'}`).join(', ')

export const twoPhaseCommitScene: Scene = {
  title: 'Two-phase commit: a shop orders across stock, payment and shipping, and crashes mid-commit',
  run(seed) {
    const world: World = {
      votes: new Map(),
      decisions: new Map(),
      learnedFrom: new Map(),
      decisionRequests: 0,
      stock: 10,
      account: 150,
      crashOnCommit: CRASH_ORDER.txId,
    }
    const initial = { stock: world.stock, account: world.account }
    const sim: Sim = new Simulation<TwoPhaseMessage, SimNode>({
      seed,
      nodeIds: [SHOP, ...PARTICIPANTS],
      codec: twoPhaseCodec(),
      network: { delay: { kind: 'uniform', minMs: 1, maxMs: 10 }, lossRate: 0.03, duplicateRate: 0.03 },
      node: (ctx) =>
        ctx.id === SHOP ? coordinatorNode(ctx, world, () => sim) : participantNode(ctx, world, () => sim),
    })
    const lines = [
      `${SHOP} coordinates ${PARTICIPANTS.join(', ')} (presumed abort; 3% of messages lost, 3% duplicated); ${initial.stock} apples in stock, ${initial.account} € in the customer's account`,
    ]
    const shop = () => sim.node(SHOP).coordinator as TwoPhaseCoordinator
    const participantsDecided = (txId: string) =>
      world.decisions.get(txId)?.has(SHOP) === true &&
      PARTICIPANTS.every((p) => {
        const vote = world.votes.get(txId)?.get(p)
        // one whose prepare was lost before the abort never voted, so it has nothing to decide
        return vote === undefined || vote === 'read-only' || world.decisions.get(txId)?.has(p) === true
      })
    const start = (order: Order) => {
      const payloads = {
        stock: Uint8Array.of(order.apples),
        payment: Uint8Array.of(order.euros),
        shipping: Uint8Array.of(order.pickup === true ? 0 : 1),
      }
      shop()
        .run(order.txId, PARTICIPANTS, payloads)
        .catch(() => {}) // a crash leaves the promise pending; decisions are watched through onDecision
    }

    for (const order of ORDERS) {
      const startedAt = sim.now
      start(order)
      runUntil(sim, `${order.txId}'s outcome`, 5_000, () => participantsDecided(order.txId))
      const decision = world.decisions.get(order.txId)?.get(SHOP)?.decision
      const what = `${order.apples} apple${order.apples === 1 ? '' : 's'}, ${order.euros} €${order.pickup === true ? ', picked up in store' : ''}`
      lines.push(
        `${order.txId} (${what}): ${describeVotes(world, order.txId)} → ${decision?.toUpperCase()} in ${ms(sim.now - startedAt)}`,
      )
    }

    start(CRASH_ORDER)
    runUntil(sim, 'the crash', 5_000, () => sim.status(SHOP) === 'crashed')
    const crashedAt = sim.now
    lines.push(
      `${CRASH_ORDER.txId}: ${describeVotes(world, CRASH_ORDER.txId)}; at ${ms(crashedAt)} ${SHOP} force-writes COMMIT, then CRASHES before any participant hears it`,
    )
    const requestsBefore = world.decisionRequests
    sim.runUntil(crashedAt + BLOCKED_MS)
    const inDoubt = PARTICIPANTS.filter((p) => sim.node(p).participant?.inDoubt().includes(CRASH_ORDER.txId))
    lines.push(
      `for ${ms(BLOCKED_MS)} ${inDoubt.join(', ') || 'nobody'} stay uncertain, holding apples and money; they ask the shop and each other ${world.decisionRequests - requestsBefore} times, nobody knows. 2PC blocks.`,
    )

    // the shop comes back, but payment stays cut off from it
    sim.network.heal()
    sim.network.blockLink(SHOP, 'payment')
    sim.network.blockLink('payment', SHOP)
    sim.restart(SHOP)
    const restartedAt = sim.now
    lines.push(
      `${ms(restartedAt)}: ${SHOP} restarts from its commit record and re-sends COMMIT; payment is still cut off from it`,
    )
    runUntil(sim, `${CRASH_ORDER.txId}'s outcome everywhere`, 5_000, () =>
      participantsDecided(CRASH_ORDER.txId),
    )
    const learned = PARTICIPANTS.map((p) => {
      const from = world.learnedFrom.get(`${p}/${CRASH_ORDER.txId}`)
      const at = world.decisions.get(CRASH_ORDER.txId)?.get(p)?.atMs ?? Number.NaN
      return `${p} from ${from === SHOP ? SHOP : `${from} (cooperative termination)`} at +${ms(at - restartedAt)}`
    })
    lines.push(`everyone learned COMMIT: ${learned.join(', ')}`)

    sim.network.heal()
    runUntil(sim, `${SHOP} to forget ${CRASH_ORDER.txId}`, 5_000, () => shop().inFlight === 0)
    lines.push(`healed: payment acknowledges, ${SHOP} writes 'ended' at ${ms(sim.now)} and forgets the order`)

    // the checks, from what every node reported
    const problems: string[] = []
    for (const [txId, byNode] of world.decisions) {
      const decisions = new Set([...byNode.values()].map((d) => d.decision))
      if (decisions.size !== 1)
        problems.push(`${txId} decided differently by ${[...byNode.keys()].join(', ')}`)
      const votes = [...(world.votes.get(txId)?.values() ?? [])]
      if (decisions.has('commit') && (votes.length < PARTICIPANTS.length || votes.includes('no')))
        problems.push(`${txId} committed without a yes or read-only vote from everyone`)
    }
    const committed = [...world.decisions.values()].filter(
      (byNode) => byNode.get(SHOP)?.decision === 'commit',
    )
    const apples = [...ORDERS, CRASH_ORDER]
      .filter((order) => world.decisions.get(order.txId)?.get(SHOP)?.decision === 'commit')
      .reduce((total, order) => total + order.apples, 0)
    if (initial.stock - world.stock !== apples)
      problems.push(`the stock moved by ${initial.stock - world.stock}, not ${apples}`)
    const stillInDoubt = PARTICIPANTS.flatMap((p) => sim.node(p).participant?.inDoubt() ?? [])
    if (stillInDoubt.length > 0) problems.push(`still in doubt: ${stillInDoubt.join(', ')}`)
    lines.push(
      `${committed.length} of ${world.decisions.size} orders committed: stock ${initial.stock} → ${world.stock} apples, account ${initial.account} → ${world.account} €; ${stillInDoubt.length === 0 ? 'nothing in doubt anywhere' : 'some still in doubt'}`,
      problems.length === 0
        ? `every participant decided the same for every one of ${world.decisions.size} transactions (agree), and none committed over a no`
        : `✗ ${problems.join('; ')}`,
      `trace hash ${sim.trace.hash}`,
    )
    if (problems.length > 0) throw new Error(lines[lines.length - 2])
    return lines
  },
}
