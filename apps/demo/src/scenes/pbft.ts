/**
 * PBFT with a liar: four replicas on the simulator with real Ed25519
 * signatures; r0 lies in every way it can while honest replicas keep
 * committing, and it is also the primary of view 0, so when it starts to
 * equivocate the others catch it and change the view.
 */
import { nodeCrypto } from '@synod/crypto/node'
import {
  batchDigest,
  type ClientRequest,
  cryptoSuiteAdapter,
  decodeHardState,
  type ExecutableRequest,
  encodeHardState,
  type PbftApplication,
  PbftClient,
  type PbftCrypto,
  type PbftMessage,
  PbftNode,
  type PrePrepare,
  pbftCodec,
  signMessage,
  toHex,
  type Unsigned,
} from '@synod/pbft'
import { type NodeContext, runSimulation } from '@synod/sim'
import type { Transport } from '@synod/transport'
import { ms, type Scene } from '../scene.js'

const replicaIds = ['r0', 'r1', 'r2', 'r3']
const LIAR = 'r0'
const CLIENTS = 3
const OPERATIONS_PER_CLIENT = 12
const TICK_MS = 10
/** Until then the liar proposes honestly as primary (and lies in its votes); then it equivocates. */
const EQUIVOCATE_AT_MS = 120

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** A bank of named counters: "add <n>". */
class Tally implements PbftApplication {
  total = 0
  execute(batch: readonly ExecutableRequest[]): Uint8Array[] {
    return batch.map(({ operation }) => {
      this.total += Number(decoder.decode(operation).split(' ')[1])
      return encoder.encode(String(this.total))
    })
  }
  query(): Uint8Array {
    return encoder.encode(String(this.total))
  }
  snapshot(): Uint8Array {
    return encoder.encode(String(this.total))
  }
  restore(snapshot: Uint8Array): void {
    this.total = Number(decoder.decode(snapshot))
  }
}

interface Identity {
  id: string
  publicKey: Uint8Array
  crypto: PbftCrypto
}

function identity(seed: number, name: string): Identity {
  const keys = nodeCrypto.keyPairFromSeed(
    nodeCrypto.sha256(encoder.encode(`synod-demo-pbft:${seed}:${name}`)),
  )
  return { id: name, publicKey: keys.publicKey, crypto: cryptoSuiteAdapter(nodeCrypto, keys.secretKey) }
}

interface World {
  executed: Map<string, Map<number, string>>
  completed: number
  lies: { forged: number; posing: number; wrongDigest: number; equivocations: number }
  rejected: Map<string, number>
  equivocationsSeen: Set<string>
  viewChanges: { view: number; primary: string; atMs: number }[]
}

type Tactic = 'forge-signature' | 'pose-as-another' | 'wrong-digest' | 'honest'
const TACTICS: readonly Tactic[] = ['forge-signature', 'pose-as-another', 'wrong-digest', 'honest']

/** Wraps the liar's transport: every vote it sends is bent one way or another. */
function lyingTransport(
  inner: Transport<PbftMessage>,
  liar: Identity,
  ctx: NodeContext<PbftMessage>,
  world: World,
  others: readonly number[],
): Transport<PbftMessage> {
  let turn = 0
  const executedRequests: ClientRequest[] = []
  const forks = new Map<string, PrePrepare>()
  const resign = <M extends PbftMessage>(message: M, change: Partial<M>): M => {
    const { signature: _signature, ...unsigned } = { ...message, ...change }
    return signMessage<M>(liar.crypto, unsigned as unknown as Unsigned<M>)
  }
  const bend = (to: string, message: PbftMessage): PbftMessage => {
    if (message.kind === 'pre-prepare') {
      if (message.batch.length > 0 && executedRequests.length < 16) executedRequests.push(message.batch[0]!)
      const old = executedRequests[0]
      if (ctx.now() < EQUIVOCATE_AT_MS || to === 'r1' || old === undefined || message.batch.length === 0)
        return message
      // equivocation: r1 gets the real batch, r2 and r3 another validly signed one
      const key = `${message.view}:${message.sequence}`
      let fork = forks.get(key)
      if (fork === undefined) {
        const batch = [old]
        fork = resign(message, { batch, digest: batchDigest(liar.crypto, batch) })
        forks.set(key, fork)
        world.lies.equivocations++
      }
      return fork
    }
    if (message.kind !== 'prepare' && message.kind !== 'commit' && message.kind !== 'checkpoint')
      return message
    const tactic = TACTICS[turn++ % TACTICS.length]!
    switch (tactic) {
      case 'forge-signature': {
        world.lies.forged++
        const signature = message.signature.slice()
        signature[0] = signature[0]! ^ 0x5a
        return { ...message, signature }
      }
      case 'pose-as-another':
        world.lies.posing++
        return resign(message, { replica: others[turn % others.length]! } as Partial<typeof message>)
      case 'wrong-digest': {
        world.lies.wrongDigest++
        const bogus = liar.crypto.digest(encoder.encode(`nothing anyone proposed ${turn}`))
        return message.kind === 'checkpoint'
          ? resign(message, { stateDigest: bogus })
          : resign(message, { digest: bogus } as Partial<typeof message>)
      }
      case 'honest':
        return message
    }
  }
  return {
    localId: inner.localId,
    send: (to, message) => inner.send(to, bend(to, message)),
    onMessage: (handler) => inner.onMessage(handler),
    close: () => inner.close(),
  }
}

class ReplicaNode {
  readonly node: PbftNode
  constructor(ctx: NodeContext<PbftMessage>, world: World, identities: readonly Identity[]) {
    const index = replicaIds.indexOf(ctx.id)
    const me = identities[index]!
    const executed = world.executed.get(ctx.id) ?? new Map<number, string>()
    world.executed.set(ctx.id, executed)
    const replicas = identities.map(({ id, publicKey }) => ({ id, publicKey }))
    const path = 'pbft-hard-state'
    this.node = new PbftNode({
      id: ctx.id,
      replicas,
      crypto: me.crypto,
      clients: { kind: 'any-key' },
      checkpointInterval: 4,
      application: new Tally(),
      transport: ctx.id === LIAR ? lyingTransport(ctx.transport, me, ctx, world, [1, 2, 3]) : ctx.transport,
      store: {
        load: () => (ctx.disk.exists(path) ? decodeHardState(ctx.disk.read(path)) : undefined),
        save: (state) => {
          ctx.disk.write(path, encodeHardState(state))
          ctx.disk.sync(path)
        },
      },
      every: (intervalMs, callback) => {
        const handle = ctx.every(intervalMs, callback)
        return () => handle.cancel()
      },
      tickMs: TICK_MS,
      onExecuted: (batch) => executed.set(batch.sequence, toHex(batch.certificate.prePrepare.digest)),
      onEvent: (event) => {
        if (ctx.id === LIAR) return
        if (event.type === 'message-reject' && event.from === LIAR) {
          const reason = event.reason.startsWith('sender')
            ? 'it claimed to be another replica'
            : event.reason.includes('outside the watermarks')
              ? 'outside the watermarks'
              : event.reason.startsWith('for view')
                ? 'for another view or during the view change'
                : event.reason
          world.rejected.set(reason, (world.rejected.get(reason) ?? 0) + 1)
        }
        if (event.type === 'equivocation-detect') world.equivocationsSeen.add(ctx.id)
        if (event.type === 'new-view-install' && !world.viewChanges.some((v) => v.view === event.view))
          world.viewChanges.push({ view: event.view, primary: event.primary, atMs: ctx.now() })
      },
    })
  }
}

class ClientNode {
  readonly client: PbftClient
  constructor(ctx: NodeContext<PbftMessage>, world: World, me: Identity, identities: readonly Identity[]) {
    const client = new PbftClient({
      id: me.id,
      publicKey: me.publicKey,
      crypto: me.crypto,
      replicas: identities.map(({ id, publicKey }) => ({ id, publicKey })),
    })
    this.client = client
    let sent = 0
    const drain = () => {
      if (!client.hasReady()) return
      const ready = client.ready()
      for (const { to, message } of ready.messages) ctx.transport.send(to, message)
      world.completed += ready.results.length
      client.advance()
    }
    ctx.transport.onMessage((from, message) => {
      client.step(from, message)
      drain()
    })
    ctx.every(TICK_MS, () => {
      client.tick()
      if (client.outstanding === undefined && sent < OPERATIONS_PER_CLIENT) {
        sent++
        client.request(encoder.encode(`add ${1 + ctx.random.int(0, 9)}`))
      }
      drain()
    })
  }
}

export const pbftScene: Scene = {
  title: 'PBFT, 4 replicas with Ed25519 signatures, one of them a liar (and the first primary)',
  run(seed) {
    const identities = replicaIds.map((id) => identity(seed, id))
    const clients = Array.from({ length: CLIENTS }, (_, i) => {
      const base = identity(seed, `client${i}`)
      return { ...base, id: toHex(base.publicKey) }
    })
    const codec = pbftCodec()
    const world: World = {
      executed: new Map(),
      completed: 0,
      lies: { forged: 0, posing: 0, wrongDigest: 0, equivocations: 0 },
      rejected: new Map(),
      equivocationsSeen: new Set(),
      viewChanges: [],
    }
    const total = CLIENTS * OPERATIONS_PER_CLIENT
    const honest = replicaIds.filter((id) => id !== LIAR)
    const result = runSimulation<PbftMessage, ReplicaNode | ClientNode>({
      seed,
      nodeIds: [...replicaIds, ...clients.map((c) => c.id)],
      codec,
      network: { delay: { kind: 'uniform', minMs: 1, maxMs: 8 } },
      node: (ctx) => {
        const client = clients.find((c) => c.id === ctx.id)
        return client === undefined
          ? new ReplicaNode(ctx, world, identities)
          : new ClientNode(ctx, world, client, identities)
      },
      faultPhaseMs: 0,
      nemesis: false,
      invariants: [
        () => {
          const bySequence = new Map<number, string>()
          for (const id of honest)
            for (const [sequence, digest] of world.executed.get(id) ?? []) {
              const other = bySequence.get(sequence)
              if (other !== undefined && other !== digest)
                return `${id} executed another batch at ${sequence}`
              bySequence.set(sequence, digest)
            }
          return true
        },
      ],
      liveness: (sim) => {
        if (world.completed < total) return false
        const executed = honest.map((id) => (sim.node(id) as ReplicaNode).node.replica.lastExecuted)
        return executed.every((e) => e === executed[0])
      },
      livenessBoundMs: 30_000,
    })
    const sequences = world.executed.get('r1')!.size
    const agree = [...world.executed.get('r1')!].every(([sequence, digest]) =>
      honest.every((id) => world.executed.get(id)!.get(sequence) === digest),
    )
    const { forged, posing, wrongDigest, equivocations } = world.lies
    const rejectedTotal = [...world.rejected.values()].reduce((a, b) => a + b, 0)
    const reasons = [...world.rejected]
      .sort((a, b) => b[1] - a[1])
      .map(([reason, count]) => `${count} × ${reason}`)
      .join(', ')
    const lines = [
      `${replicaIds.join(', ')} (f = 1), every message signed with Ed25519; ${LIAR} lies and is the primary of view 0`,
      `${LIAR}'s lies: ${forged} votes with a forged signature, ${posing} votes posing as another replica, ${wrongDigest} votes for digests nobody proposed, ${equivocations} equivocating pre-prepares from ${ms(EQUIVOCATE_AT_MS)} on (the real batch to r1, another to r2 and r3)`,
      `honest replicas rejected ${rejectedTotal} of its messages: ${reasons || 'none'}`,
      `its wrong-digest votes verified but matched no quorum's digest, so they counted for nothing`,
    ]
    if (world.viewChanges.length === 0) lines.push('no view change was needed')
    for (const change of world.viewChanges)
      lines.push(
        `equivocation caught by ${[...world.equivocationsSeen].sort().join(', ') || 'nobody'}; view ${change.view} installed at ${ms(change.atMs)}, primary ${change.primary}`,
      )
    lines.push(
      `${world.completed} of ${total} client requests committed (f+1 matching signed replies each) in ${ms(result.livenessAtMs ?? result.endMs)}`,
      `honest replicas ${honest.join(', ')} ${agree ? 'agree' : 'DISAGREE'} on every one of ${sequences} sequence numbers`,
      `trace hash ${result.traceHash}`,
    )
    if (!agree) throw new Error('honest replicas disagree')
    return lines
  },
}
