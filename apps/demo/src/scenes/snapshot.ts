/**
 * Chandy–Lamport snapshots: four bank branches move money at random over a
 * network that loses, duplicates and reorders, while two snapshots run at
 * once. Each snapshot's balances plus the money it caught in flight must add up
 * to the constant total.
 */

import { type NodeContext, Simulation } from '@synod/sim'
import {
  ChannelFullError,
  type GlobalSnapshot,
  SnapshotCore,
  type SnapshotMessage,
  snapshotMessageCodec,
} from '@synod/snapshot'
import { ms, type Scene } from '../scene.js'

const BRANCHES = ['b1', 'b2', 'b3', 'b4']
const INITIAL_BALANCE = 1_000
const TOTAL = INITIAL_BALANCE * BRANCHES.length
const TICK_MS = 5
const SNAPSHOTS_AT_MS = 300
const TRANSFERS_STOP_MS = 800

const encoder = new TextEncoder()
const decoder = new TextDecoder()
const encodeNumber = (value: number) => encoder.encode(String(value))
const decodeNumber = (bytes: Uint8Array) => Number(decoder.decode(bytes))

interface World {
  transferring: boolean
  snapshots: { snapshot: GlobalSnapshot; atMs: number }[]
  retransmittedFrames: number
  duplicateFrames: number
}

/** A branch: a balance, and a snapshot core that carries its transfers on reliable FIFO channels. */
class Branch {
  balance = INITIAL_BALANCE
  readonly core: SnapshotCore

  constructor(
    private readonly ctx: NodeContext<SnapshotMessage>,
    private readonly world: World,
  ) {
    this.core = new SnapshotCore({
      id: ctx.id,
      members: BRANCHES,
      captureState: () => encodeNumber(this.balance),
      deliver: (_from, payload) => {
        this.balance += decodeNumber(payload)
      },
    })
    ctx.transport.onMessage((from, message) => {
      this.core.step(from, message)
      this.flush()
    })
    ctx.every(TICK_MS, () => {
      this.core.tick()
      if (world.transferring && ctx.random.chance(0.6)) this.transferRandomly()
      this.flush()
    })
  }

  startSnapshot(id: string): void {
    this.core.startSnapshot(id)
    this.flush()
  }

  private transferRandomly(): void {
    const to = this.ctx.random.pick(BRANCHES.filter((id) => id !== this.ctx.id))
    const amount = this.ctx.random.int(1, 60)
    if (amount > this.balance) return
    try {
      this.core.send(to, encodeNumber(amount))
    } catch (error) {
      if (ChannelFullError.isInstance(error)) return
      throw error
    }
    this.balance -= amount
  }

  /** Sends what the core asks to, and notes completed snapshots and channel events. */
  private flush(): void {
    while (this.core.hasReady()) {
      const ready = this.core.ready()
      for (const { to, message } of ready.messages) this.ctx.transport.send(to, message)
      for (const snapshot of ready.completed) this.world.snapshots.push({ snapshot, atMs: this.ctx.now() })
      for (const event of ready.events) {
        if (event.type === 'retransmitted') this.world.retransmittedFrames += event.frames
        if (event.type === 'frame-dropped' && event.reason === 'duplicate') this.world.duplicateFrames++
      }
    }
  }
}

/** One snapshot, read out: balances, money in flight per channel, and whether it adds up. */
function describeSnapshot({ snapshot, atMs }: World['snapshots'][number]): {
  lines: string[]
  conserved: boolean
} {
  const balances = BRANCHES.map((id) => decodeNumber(snapshot.states.get(id) ?? new Uint8Array()))
  const inFlight = snapshot.channels
    .map(({ from, to, messages }) => ({ from, to, amounts: messages.map(decodeNumber) }))
    .filter(({ amounts }) => amounts.length > 0)
  const recorded = balances.reduce((a, b) => a + b, 0)
  const flying = inFlight.reduce((sum, { amounts }) => sum + amounts.reduce((a, b) => a + b, 0), 0)
  const conserved = recorded + flying === TOTAL
  const channels = inFlight.map(({ from, to, amounts }) => `${from}→${to} ${amounts.join('+')}`).join(', ')
  return {
    conserved,
    lines: [
      `snapshot ${snapshot.initiator}/${snapshot.id}, complete at ${ms(atMs)}: ${BRANCHES.map((id, i) => `${id} ${balances[i]}`).join(', ')}`,
      `  in flight: ${channels || 'nothing'}`,
      `  ${recorded} in balances + ${flying} in flight = ${recorded + flying}: ${conserved ? `conserved (the total is ${TOTAL})` : `✗ NOT the total ${TOTAL}`}`,
    ],
  }
}

type Sim = Simulation<SnapshotMessage, Branch>

export const snapshotScene: Scene = {
  title: 'Consistent snapshots (Chandy–Lamport): 4 bank branches keep moving money while two snapshots run',
  run(seed) {
    const world: World = { transferring: true, snapshots: [], retransmittedFrames: 0, duplicateFrames: 0 }
    const sim: Sim = new Simulation<SnapshotMessage, Branch>({
      seed,
      nodeIds: BRANCHES,
      codec: snapshotMessageCodec(),
      network: {
        delay: { kind: 'long-tail', minMs: 1, medianMs: 5, maxMs: 60 },
        lossRate: 0.1,
        duplicateRate: 0.05,
        reorderRate: 0.2,
      },
      node: (ctx) => new Branch(ctx, world),
    })
    const random = sim.random.split('initiators')
    const [first, second] = random.shuffle([...BRANCHES])
    sim.runUntil(SNAPSHOTS_AT_MS)
    sim.node(first as string).startSnapshot('audit')
    sim.runUntil(SNAPSHOTS_AT_MS + random.int(1, 10))
    sim.node(second as string).startSnapshot('audit')
    const lines = [
      `${BRANCHES.join(', ')} start with ${INITIAL_BALANCE} each and send random transfers every ${ms(TICK_MS)}, over a network that loses 10%, duplicates 5% and reorders 20% of messages`,
      `at ${ms(SNAPSHOTS_AT_MS)} ${first} starts a snapshot, and ${second} another one moments later: both run at once, and nobody stops`,
    ]
    for (let guard = 0; world.snapshots.length < 2; guard++) {
      if (guard > 1_000_000 || sim.now > SNAPSHOTS_AT_MS + 5_000 || !sim.step())
        throw new Error(`only ${world.snapshots.length} of 2 snapshots completed within 5 s`)
    }
    let conserved = true
    for (const completed of world.snapshots) {
      const described = describeSnapshot(completed)
      conserved &&= described.conserved
      lines.push(...described.lines)
    }

    // stop the transfers, let the channels drain, and count the live money too
    sim.runUntil(TRANSFERS_STOP_MS)
    world.transferring = false
    sim.runUntil(TRANSFERS_STOP_MS + 2_000)
    const live = BRANCHES.reduce((sum, id) => sum + sim.node(id).balance, 0)
    const queued = BRANCHES.flatMap((from) =>
      BRANCHES.filter((to) => to !== from).map((to) => sim.node(from).core.queuedFrames(to)),
    ).reduce((a, b) => a + b, 0)
    if (queued > 0)
      throw new Error(`${queued} transfers still unacknowledged 2 s after the transfers stopped`)
    const stats = sim.network.stats
    lines.push(
      `the channels resent ${world.retransmittedFrames} frames (lost or late) and threw away ${world.duplicateFrames} copies of frames already delivered; the network lost ${stats.dropped} and duplicated ${stats.duplicated} of ${stats.sent} messages`,
      `transfers stopped at ${ms(TRANSFERS_STOP_MS)}; once the channels drained, the live balances add up to ${live}`,
    )
    conserved &&= live === TOTAL
    lines.push(
      conserved
        ? `money conserved in both snapshots and live: ${TOTAL}, none created or lost`
        : `✗ money NOT conserved: see above`,
      `trace hash ${sim.trace.hash}`,
    )
    if (!conserved) throw new Error('money not conserved')
    return lines
  },
}
