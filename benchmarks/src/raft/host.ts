/**
 * One Raft node in its own process, for `pnpm bench raft`: a `RaftNode` with
 * `FileStorage` (real fsync) in the directory it is given and a libp2p or plain
 * TCP transport on 127.0.0.1. The parent forks it (`serialization: 'advanced'`) and talks over
 * the IPC channel:
 *
 * - `{ type: 'start', ... }` → `{ type: 'started' }`
 * - `{ type: 'propose', requestId, commands, commandBytes }`: `commands` holds
 *   commands of `commandBytes` each, end to end; proposed as one batch →
 *   `{ type: 'proposed', requestId, ok, error? }` once committed and applied
 * - `{ type: 'load', requestId, rate, durationMs }`: an open loop run inside this process
 *   (no client hop), as `ProcessCluster.openLoop` runs it from the parent →
 *   `{ type: 'loaded', requestId, latencies }` (ms, sorted) or `{ ..., error }`
 * - `{ type: 'status', requestId }` → `{ type: 'status', requestId, status }`
 * - `{ type: 'stop' }`: stops the node and exits
 */
import { FileStorage, type RaftMessage, RaftNode, raftMessageCodec } from '@synod/raft'
import type { Transport } from '@synod/transport'
import { createLibp2pTransport, peerIdFromSeed } from '@synod/transport-libp2p'
import { createTcpTransport } from '@synod/transport-tcp'
import { BenchKvStateMachine } from './kv.js'
import { COMMAND_BYTES, openLoop, putCommands } from './load.js'

export interface HostStart {
  type: 'start'
  id: string
  ids: string[]
  /** 32-byte Ed25519 seeds as hex, in the order of `ids`. */
  seeds: string[]
  ports: number[]
  /** `libp2p` (Noise + Yamux over TCP) or `tcp` (plain frames on a socket, a shared-secret handshake). */
  transport: 'libp2p' | 'tcp'
  directory: string
  tickMs: number
  electionTicks: number
  /** The driver's default (10,000) when omitted. */
  snapshotEveryEntries?: number
}

export type HostRequest =
  | HostStart
  | { type: 'propose'; requestId: number; commands: Uint8Array; commandBytes: number }
  | { type: 'load'; requestId: number; rate: number; durationMs: number }
  | { type: 'status'; requestId: number }
  | { type: 'stop' }

export type HostReply =
  | { type: 'started' }
  | { type: 'proposed'; requestId: number; ok: boolean; error?: string }
  | { type: 'loaded'; requestId: number; latencies?: Float64Array; error?: string }
  | {
      type: 'status'
      requestId: number
      role: string
      term: number
      leader: string | null
      commitIndex: number
    }
  | { type: 'failed'; error: string }

function reply(message: HostReply): void {
  process.send?.(message)
}

let node: RaftNode | undefined
const localPuts = putCommands()
let closeTransport: (() => Promise<void>) | undefined

async function libp2pTransport(options: HostStart, index: number): Promise<Transport<RaftMessage>> {
  const seeds = options.seeds.map((seed) => Uint8Array.from(Buffer.from(seed, 'hex')))
  const members = await Promise.all(
    options.ids.map(async (id, i) => ({
      id,
      peerId: await peerIdFromSeed(seeds[i]!),
      addrs: [`/ip4/127.0.0.1/tcp/${options.ports[i]}`],
    })),
  )
  return createLibp2pTransport<RaftMessage>({
    localId: options.id,
    privateKey: seeds[index]!,
    listen: [`/ip4/127.0.0.1/tcp/${options.ports[index]}`],
    members,
    codec: raftMessageCodec(),
    sendQueueLimit: 100_000,
  })
}

function tcpTransport(options: HostStart, index: number): Promise<Transport<RaftMessage>> {
  return createTcpTransport<RaftMessage>({
    localId: options.id,
    listen: { host: '127.0.0.1', port: options.ports[index]! },
    members: options.ids.map((id, i) => ({ id, host: '127.0.0.1', port: options.ports[i]! })),
    codec: raftMessageCodec(),
    // the seeds double as the cluster secret: every member holds all of them
    secret: Uint8Array.from(Buffer.from(options.seeds[0]!, 'hex')),
    sendQueueLimit: 100_000,
  })
}

async function start(options: HostStart): Promise<void> {
  const index = options.ids.indexOf(options.id)
  const transport =
    options.transport === 'tcp' ? await tcpTransport(options, index) : await libp2pTransport(options, index)
  closeTransport = () => transport.close()
  const storage = await FileStorage.open(options.directory)
  node = await RaftNode.start({
    id: options.id,
    members: options.ids,
    transport,
    storage,
    stateMachine: new BenchKvStateMachine(),
    tickMs: options.tickMs,
    electionTicks: options.electionTicks,
    // followers hear of commits with the next entries or heartbeat: under load this
    // halves the messages each way (no append, and no acknowledgement, per commit)
    tuning: { commitPropagation: 'piggyback' },
    ...(options.snapshotEveryEntries === undefined
      ? {}
      : { snapshotEveryEntries: options.snapshotEveryEntries }),
  })
  reply({ type: 'started' })
}

function split(commands: Uint8Array, commandBytes: number): Uint8Array[] {
  const out: Uint8Array[] = []
  for (let offset = 0; offset < commands.length; offset += commandBytes)
    out.push(commands.subarray(offset, offset + commandBytes))
  return out
}

process.on('message', (request: HostRequest) => {
  switch (request.type) {
    case 'start':
      start(request).catch((error: unknown) => {
        reply({ type: 'failed', error: String(error instanceof Error ? error.stack : error) })
        process.exit(1)
      })
      return
    case 'propose': {
      if (!node)
        return reply({ type: 'proposed', requestId: request.requestId, ok: false, error: 'not started' })
      node.proposeBatch(split(request.commands, request.commandBytes)).then(
        () => reply({ type: 'proposed', requestId: request.requestId, ok: true }),
        (error: unknown) =>
          reply({ type: 'proposed', requestId: request.requestId, ok: false, error: String(error) }),
      )
      return
    }
    case 'load': {
      const target = node
      if (!target) return reply({ type: 'loaded', requestId: request.requestId, error: 'not started' })
      // the same schedule as the parent's open loop, with the client inside the leader
      openLoop(request.rate, request.durationMs, (count) =>
        target.proposeBatch(split(localPuts.next(count), COMMAND_BYTES)),
      ).then(
        (latencies) => reply({ type: 'loaded', requestId: request.requestId, latencies }),
        (error: unknown) => reply({ type: 'loaded', requestId: request.requestId, error: String(error) }),
      )
      return
    }
    case 'status': {
      const status = node?.status()
      reply({
        type: 'status',
        requestId: request.requestId,
        role: status?.role ?? 'starting',
        term: status?.term ?? 0,
        leader: status?.leader ?? null,
        commitIndex: status?.commitIndex ?? 0,
      })
      return
    }
    case 'stop':
      Promise.resolve(node?.stop())
        .then(() => closeTransport?.())
        .finally(() => process.exit(0))
      return
  }
})

// the parent is gone: nothing else will stop this process
process.on('disconnect', () => process.exit(0))
