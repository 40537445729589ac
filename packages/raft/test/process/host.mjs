// One Raft node in its own process for the real-process tests: a RaftNode from
// packages/raft/dist with FileStorage in the directory it is given and a libp2p
// transport (packages/transport-libp2p/dist, a dev dependency) on 127.0.0.1. Plain JS on purpose:
// it runs what users run, the built packages. The parent (process.test.ts) talks
// over the fork IPC channel (serialization 'advanced'):
//   { type: 'start', id, ids, seeds, ports, directory, snapshotEveryEntries } → { type: 'started' }
//   { type: 'propose', requestId, keys, value }  puts `key=value` → { type: 'reply', requestId, ok, error? }
//   { type: 'status', requestId }                            → { type: 'reply', requestId, ok, status }
//   { type: 'read', requestId }  linearizable read of the map  → { type: 'reply', requestId, ok, entries }
//
// Plain Node resolves both packages to their dist builds (`@synod/raft` by self-reference).
import { FileStorage, RaftNode, raftMessageCodec } from '@synod/raft'
import { createLibp2pTransport, peerIdFromSeed } from '@synod/transport-libp2p'

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** A key → value map; a command is the UTF-8 text `key=value`. */
class KeyValueStateMachine {
  values = new Map()
  apply(command) {
    const text = decoder.decode(command)
    const separator = text.indexOf('=')
    if (separator < 1) throw new RangeError(`command: expected "key=value", got ${JSON.stringify(text)}`)
    this.values.set(text.slice(0, separator), text.slice(separator + 1))
    return this.values.size
  }
  snapshot() {
    return encoder.encode(JSON.stringify([...this.values]))
  }
  restore(data) {
    this.values = new Map(JSON.parse(decoder.decode(data)))
  }
}

const stateMachine = new KeyValueStateMachine()
let node

function reply(message) {
  process.send?.(message)
}

function describe(error) {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error)
}

async function start(options) {
  const seeds = options.seeds.map((seed) => Uint8Array.from(Buffer.from(seed, 'hex')))
  const members = await Promise.all(
    options.ids.map(async (id, index) => ({
      id,
      peerId: await peerIdFromSeed(seeds[index]),
      addrs: [`/ip4/127.0.0.1/tcp/${options.ports[index]}`],
    })),
  )
  const index = options.ids.indexOf(options.id)
  const transport = await createLibp2pTransport({
    localId: options.id,
    privateKey: seeds[index],
    listen: [`/ip4/127.0.0.1/tcp/${options.ports[index]}`],
    members,
    codec: raftMessageCodec(),
    sendQueueLimit: 100_000,
    reconnect: { initialDelayMs: 50, maxDelayMs: 500 },
  })
  const storage = await FileStorage.open(options.directory)
  node = await RaftNode.start({
    id: options.id,
    members: options.ids,
    transport,
    storage,
    stateMachine,
    snapshotEveryEntries: options.snapshotEveryEntries,
    requestTimeoutMs: 2_000,
  })
  reply({ type: 'started', pid: process.pid })
}

async function handle(request) {
  if (!node) throw new Error('not started')
  switch (request.type) {
    case 'propose':
      await node.proposeBatch(request.keys.map((key) => encoder.encode(`${key}=${request.value}`)))
      return {}
    case 'status':
      return { status: node.status() }
    case 'read':
      await node.read()
      return { entries: [...stateMachine.values] }
    default:
      throw new Error(`unknown request ${JSON.stringify(request.type)}`)
  }
}

process.on('message', (request) => {
  if (request.type === 'start') {
    start(request).catch((error) => {
      reply({ type: 'failed', error: error instanceof Error ? error.stack : String(error) })
      process.exit(1)
    })
    return
  }
  handle(request).then(
    (result) => reply({ type: 'reply', requestId: request.requestId, ok: true, ...result }),
    (error) => reply({ type: 'reply', requestId: request.requestId, ok: false, error: describe(error) }),
  )
})

// the test runner is gone: nothing else would stop this process
process.on('disconnect', () => process.exit(0))
