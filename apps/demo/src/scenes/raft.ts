import {
  encodeKvCommand,
  type KvResult,
  KvStateMachine,
  type RaftMessage,
  RaftNode,
  raftMessageCodec,
  SimDiskStorage,
} from '@synod/raft'
import {
  checkLinearizability,
  flushMicrotasks,
  HistoryRecorder,
  type KvInput,
  kvModel,
  type NodeContext,
  type RegisterOutput,
  Simulation,
} from '@synod/sim'
import { ms, type Scene } from '../scene.js'

const ids = ['n1', 'n2', 'n3']

/** One Raft KV server on the simulator: its disk survives crashes, its clock and randomness are virtual. */
class RaftServer {
  node: RaftNode | undefined
  readonly kv = new KvStateMachine()
  constructor(ctx: NodeContext<RaftMessage>) {
    void RaftNode.start({
      id: ctx.id,
      members: ids,
      transport: ctx.transport,
      storage: new SimDiskStorage(ctx.disk, {
        syncLatency: () => new Promise<void>((resolve) => ctx.after(2, resolve)),
      }),
      stateMachine: this.kv,
      timers: ctx,
      random: () => ctx.random.float(),
      snapshotEveryEntries: 20,
      requestTimeoutMs: 500,
    }).then((node) => {
      this.node = node
    })
  }
}

type Sim = Simulation<RaftMessage, RaftServer>

function leaderOf(sim: Sim): string | undefined {
  let best: string | undefined
  let bestTerm = -1
  for (const id of sim.upIds()) {
    const status = sim.node(id).node?.status()
    if (status?.role === 'leader' && status.term > bestTerm) {
      best = id
      bestTerm = status.term
    }
  }
  return best
}

/** Runs events (letting the drivers' promises settle after each) until `done` or `untilMs`. */
async function runUntil(sim: Sim, untilMs: number, done: () => boolean = () => false): Promise<void> {
  await flushMicrotasks() // nodes start asynchronously (they load their storage first)
  for (let guard = 0; guard < 2_000_000; guard++) {
    if (done()) return
    const next = sim.scheduler.nextAtMs()
    if (next === undefined || next > untilMs) {
      sim.runUntil(untilMs)
      return
    }
    sim.step()
    await flushMicrotasks()
  }
  throw new Error(`the run did not reach t=${untilMs}ms`)
}

export const raftScene: Scene = {
  title: 'Raft: a 3-node key-value cluster loses its leader, elects another, and the old one catches up',
  async run(seed) {
    const sim: Sim = new Simulation<RaftMessage, RaftServer>({
      seed,
      nodeIds: ids,
      node: (ctx) => new RaftServer(ctx),
      codec: raftMessageCodec(),
      network: { delay: { kind: 'uniform', minMs: 1, maxMs: 5 } },
    })
    const lines: string[] = []
    const history = new HistoryRecorder<KvInput, RegisterOutput>()
    const acknowledged: { key: string; value: string }[] = []
    let writing = true
    let written = 0
    let sequence = 0
    let inFlight = false

    // a client writes k0..k9 in turn through whoever leads, with a session so retries apply once
    const write = () => {
      if (!writing) return
      const leader = leaderOf(sim)
      const node = leader === undefined ? undefined : sim.node(leader).node
      if (node === undefined) {
        sim.schedule(20, write)
        return
      }
      const key = `k${written % 10}`
      const value = `v${written++}`
      const id = history.invoke('client', { type: 'write', key, value }, sim.now)
      let settled = false
      inFlight = true
      const settle = (outcome: 'ok' | 'info') => {
        if (settled) return
        settled = true
        inFlight = false
        if (outcome === 'ok') {
          history.ok(id, undefined, sim.now)
          acknowledged.push({ key, value })
        } else history.info(id, sim.now)
        sim.schedule(20, write)
      }
      sim.schedule(600, () => settle('info')) // the node may crash with the request in flight
      node
        .propose(encodeKvCommand({ type: 'put', key, value }, { clientId: 'client', sequence: ++sequence }))
        .then(
          (result) => settle((result as KvResult).ok ? 'ok' : 'info'),
          () => settle('info'),
        )
    }

    await runUntil(sim, 5_000, () => leaderOf(sim) !== undefined)
    const first = leaderOf(sim)
    if (first === undefined) throw new Error('no leader was elected within 5 s')
    const firstTerm = sim.node(first).node?.status().term
    lines.push(`${first} was elected leader of term ${firstTerm} at ${ms(sim.now)}`)
    sim.schedule(0, write)
    await runUntil(sim, sim.now + 1_000)
    const beforeCrash = acknowledged.length
    lines.push(`a client wrote through ${first}: ${beforeCrash} writes acknowledged in 1 s`)

    sim.crash(first)
    const crashedAt = sim.now
    lines.push(`${ms(crashedAt)}: the leader ${first} CRASHES (unsynced disk writes are lost)`)
    await runUntil(sim, crashedAt + 10_000, () => leaderOf(sim) !== undefined)
    const second = leaderOf(sim)
    if (second === undefined) throw new Error('no new leader within 10 s of the crash')
    lines.push(
      `${second} was elected leader of term ${sim.node(second).node?.status().term} ${ms(sim.now - crashedAt)} after the crash`,
    )
    await runUntil(sim, sim.now + 1_000)
    lines.push(`writes continued through ${second}: ${acknowledged.length - beforeCrash} more acknowledged`)

    sim.restart(first)
    const restartedAt = sim.now
    lines.push(`${ms(restartedAt)}: ${first} restarts from its disk`)
    await runUntil(sim, restartedAt + 500)
    writing = false
    // let the last write settle, then wait until every node has applied everything committed
    await runUntil(sim, sim.now + 10_000, () => {
      if (inFlight) return false
      const leader = leaderOf(sim)
      const target = leader === undefined ? undefined : sim.node(leader).node?.status().commitIndex
      return (
        target !== undefined && ids.every((id) => (sim.node(id).node?.status().appliedIndex ?? -1) >= target)
      )
    })
    const caughtUp = sim.node(first).node?.status()
    lines.push(
      `${first} caught up by ${ms(sim.now)}: applied index ${caughtUp?.appliedIndex}, a follower of ${caughtUp?.leader}`,
    )

    // a linearizable read of every key on every node, recorded too
    const latest = new Map<string, string>()
    for (const w of acknowledged) latest.set(w.key, w.value)
    let missing = 0
    for (const id of ids) {
      const server = sim.node(id)
      let read = false
      let failed = false
      server.node?.read().then(
        () => {
          read = true
        },
        () => {
          failed = true
        },
      )
      await runUntil(sim, sim.now + 5_000, () => read || failed)
      if (!read) throw new Error(`${id} could not serve a linearizable read`)
      for (const key of latest.keys()) {
        const op = history.invoke(`reader-${id}`, { type: 'read', key }, sim.now)
        history.ok(op, { value: server.kv.get(key) }, sim.now)
      }
      for (const [key, value] of latest) if (server.kv.get(key) !== value) missing++
    }
    lines.push(
      missing === 0
        ? `all ${acknowledged.length} acknowledged writes are present on all ${ids.length} nodes (latest value of each key)`
        : `✗ ${missing} acknowledged values missing across the nodes`,
    )
    const verdict = checkLinearizability(history.operations(), kvModel, { timeBudgetMs: 10_000 })
    lines.push(
      verdict.result === 'ok'
        ? `history: ok (linearizable, ${verdict.ops} operations checked)`
        : `✗ history: ${verdict.result}`,
    )
    if (missing > 0 || verdict.result !== 'ok') throw new Error(lines[lines.length - 1])
    return lines
  },
}
