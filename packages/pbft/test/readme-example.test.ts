// The README's 4-replica example, kept runnable.
import { nodeCrypto } from '@synod/crypto/node'
import { expect, it } from 'vitest'
import {
  applyCommands,
  applyPersist,
  cryptoSuiteAdapter,
  type ExecutableRequest,
  type PbftApplication,
  PbftClient,
  type PbftHardState,
  type PbftMessage,
  PbftReplica,
} from '../src/index.js'

it('README example: 4 replicas, one client, real Ed25519', () => {
  // --- README example start
  /** A deterministic counter: "add <n>" adds, any read returns the total. */
  class Counter implements PbftApplication {
    total = 0
    execute(batch: readonly ExecutableRequest[]): Uint8Array[] {
      return batch.map(({ operation }) => {
        this.total += Number(new TextDecoder().decode(operation).split(' ')[1])
        return new TextEncoder().encode(String(this.total))
      })
    }
    query(): Uint8Array {
      return new TextEncoder().encode(String(this.total))
    }
    snapshot(): Uint8Array {
      return new TextEncoder().encode(String(this.total))
    }
    restore(snapshot: Uint8Array): void {
      this.total = Number(new TextDecoder().decode(snapshot))
    }
  }

  const keys = [0, 1, 2, 3].map(() => nodeCrypto.generateKeyPair())
  const replicas = keys.map((key, i) => ({ id: `r${i}`, publicKey: key.publicKey }))
  const counters = keys.map(() => new Counter())
  const nodes = keys.map(
    (key, i) =>
      new PbftReplica({
        id: `r${i}`,
        replicas,
        crypto: cryptoSuiteAdapter(nodeCrypto, key.secretKey),
        clients: { kind: 'any-key' }, // a client's id is the hex of its public key
      }),
  )
  const clientKey = nodeCrypto.generateKeyPair()
  const client = new PbftClient({
    id: PbftClient.idForKey(clientKey.publicKey),
    publicKey: clientKey.publicKey,
    crypto: cryptoSuiteAdapter(nodeCrypto, clientKey.secretKey),
    replicas,
  })

  // The "network": a queue. A real node sends through a Transport instead.
  const queue: { from: string; to: string; message: PbftMessage }[] = []
  const disks = new Map<string, PbftHardState>()
  const results: string[] = []
  const drain = () => {
    nodes.forEach((node, i) => {
      while (node.hasReady()) {
        const ready = node.ready()
        // 1. persist what the replica signed and voted, 2. send, 3. advance, 4. apply
        if (ready.persist) disks.set(node.id, applyPersist(node.id, disks.get(node.id), ready.persist))
        for (const { to, message } of ready.messages) queue.push({ from: node.id, to, message })
        node.advance()
        applyCommands(node, counters[i]!, ready.apply) // execute batches, answer reads
      }
    })
    if (client.hasReady()) {
      const ready = client.ready()
      for (const { to, message } of ready.messages) queue.push({ from: client.id, to, message })
      for (const { result } of ready.results) results.push(new TextDecoder().decode(result))
      client.advance()
    }
  }
  const run = () => {
    drain()
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      const node = nodes.find((n) => n.id === next.to)
      if (node) node.step(next.from, next.message)
      else client.step(next.from, next.message)
      drain()
    }
  }

  client.request(new TextEncoder().encode('add 5'))
  run()
  client.request(new TextEncoder().encode('add 2'))
  run()
  client.request(new TextEncoder().encode('total'), { readOnly: true }) // one round trip
  run()
  console.log(results) // ['5', '7', '7']
  // --- README example end
  expect(results).toEqual(['5', '7', '7'])
  expect(nodes.every((node) => node.lastExecuted === 2)).toBe(true)
})
