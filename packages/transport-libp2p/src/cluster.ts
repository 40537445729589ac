import type { NodeId } from '@synod/transport'
import { ED25519_SEED_BYTES, peerIdFromSeed } from './identity.js'
import { createLibp2pTransport, type Libp2pTransport } from './libp2p-transport.js'
import type { Libp2pMember, Libp2pTransportOptions } from './options.js'

/**
 * Options of `startLibp2pCluster`: the transport options shared by every node.
 *
 * @example
 * ```ts
 * const options: Libp2pClusterOptions<string> = { codec: jsonCodec<string>(), sendQueueLimit: 100_000 }
 * ```
 */
export interface Libp2pClusterOptions<M>
  extends Omit<Libp2pTransportOptions<M>, 'localId' | 'privateKey' | 'members' | 'listen'> {
  /** One 32-byte Ed25519 seed per id, in the same order (default: random seeds). */
  seeds?: readonly Uint8Array[]
}

/**
 * What `startLibp2pCluster` returns.
 *
 * @example
 * ```ts
 * const cluster: Libp2pCluster<string> = await startLibp2pCluster(['a', 'b'], { codec })
 * await cluster.close()
 * ```
 */
export interface Libp2pCluster<M> {
  /** One started transport per id, in the order of the ids. */
  transports: Libp2pTransport<M>[]
  /** The membership every node was given, with the addresses it listens on. */
  members: Libp2pMember[]
  /** The seed of each node, in the order of the ids (to restart a node with the same identity). */
  seeds: Uint8Array[]
  /** Closes every transport. */
  close(): Promise<void>
}

/**
 * Starts one node per id on 127.0.0.1 (ports picked by the system) and tells every
 * node where the others listen. For tests, examples and benchmarks.
 *
 * @param ids - the node ids, unique
 * @param options - the transport options every node shares (`codec` at least)
 * @returns the started cluster
 * @throws {RangeError} when `seeds` does not hold one seed per id; any error of `createLibp2pTransport`
 * @example
 * ```ts
 * const cluster = await startLibp2pCluster(['a', 'b', 'c'], { codec: jsonCodec<string>() })
 * const [a, b] = cluster.transports
 * b.onMessage((from, text) => console.log(from, text)) // a hi
 * a.send('b', 'hi')
 * await cluster.close()
 * ```
 */
export async function startLibp2pCluster<M>(
  ids: readonly NodeId[],
  options: Libp2pClusterOptions<M>,
): Promise<Libp2pCluster<M>> {
  if (!Array.isArray(ids)) throw new TypeError(`ids: expected an array of node ids, got ${typeof ids}`)
  const { seeds: givenSeeds, ...shared } = options
  if (givenSeeds !== undefined && (!Array.isArray(givenSeeds) || givenSeeds.length !== ids.length)) {
    throw new RangeError(
      `seeds: expected one seed per id (${ids.length}), got ${Array.isArray(givenSeeds) ? givenSeeds.length : typeof givenSeeds}`,
    )
  }
  const seeds = ids.map(
    (_, index) =>
      givenSeeds?.[index] ?? globalThis.crypto.getRandomValues(new Uint8Array(ED25519_SEED_BYTES)),
  )
  const peerIds = await Promise.all(seeds.map((seed) => peerIdFromSeed(seed)))
  const members: Libp2pMember[] = ids.map((id, index) => ({
    id,
    peerId: peerIds[index] as string,
    addrs: [],
  }))
  const transports: Libp2pTransport<M>[] = []
  try {
    for (const [index, id] of ids.entries()) {
      transports.push(
        await createLibp2pTransport<M>({
          ...shared,
          localId: id,
          privateKey: seeds[index] as Uint8Array,
          listen: ['/ip4/127.0.0.1/tcp/0'],
          members,
        }),
      )
    }
    for (const [index, member] of members.entries()) {
      member.addrs = (transports[index] as Libp2pTransport<M>).multiaddrs
    }
    for (const transport of transports) {
      for (const member of members) {
        if (member.id !== transport.localId) await transport.setPeerAddresses(member.id, member.addrs)
      }
    }
  } catch (error) {
    await Promise.all(transports.map((transport) => transport.close()))
    throw error
  }
  return {
    transports,
    members,
    seeds,
    close: async () => {
      await Promise.all(transports.map((transport) => transport.close()))
    },
  }
}
