import type { NodeId } from '@synod/transport'
import type { TcpMember, TcpTransportOptions } from './options.js'
import { createTcpTransport, type TcpTransport } from './tcp-transport.js'

/**
 * Options of `startTcpCluster`: the transport options shared by every node.
 *
 * @example
 * ```ts
 * const options: TcpClusterOptions<string> = { codec: jsonCodec<string>(), sendQueueLimit: 100_000 }
 * ```
 */
export type TcpClusterOptions<M> = Omit<TcpTransportOptions<M>, 'localId' | 'members' | 'listen'>

/**
 * What `startTcpCluster` returns.
 *
 * @example
 * ```ts
 * const cluster: TcpCluster<string> = await startTcpCluster(['a', 'b'], { codec })
 * await cluster.close()
 * ```
 */
export interface TcpCluster<M> {
  /** One listening transport per id, in the order of the ids. */
  transports: TcpTransport<M>[]
  /** The membership every node was given, with the port each one listens on. */
  members: Required<TcpMember>[]
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
 * @throws {TypeError} when `ids` is not an array; any error of `createTcpTransport`
 * @example
 * ```ts
 * const cluster = await startTcpCluster(['a', 'b', 'c'], { codec: jsonCodec<string>() })
 * const [a, b] = cluster.transports
 * b.onMessage((from, text) => console.log(from, text)) // a hi
 * a.send('b', 'hi')
 * await cluster.close()
 * ```
 */
export async function startTcpCluster<M>(
  ids: readonly NodeId[],
  options: TcpClusterOptions<M>,
): Promise<TcpCluster<M>> {
  if (!Array.isArray(ids)) throw new TypeError(`ids: expected an array of node ids, got ${typeof ids}`)
  const transports: TcpTransport<M>[] = []
  const initial = ids.map((id) => ({ id, host: '127.0.0.1' }))
  try {
    for (const id of ids) {
      transports.push(
        await createTcpTransport<M>({
          ...options,
          localId: id,
          listen: { host: '127.0.0.1', port: 0 },
          members: initial,
        }),
      )
    }
  } catch (error) {
    await Promise.all(transports.map((transport) => transport.close()))
    throw error
  }
  const members = transports.map((transport) => ({
    id: transport.localId,
    host: '127.0.0.1',
    port: transport.address().port,
  }))
  for (const transport of transports) {
    for (const member of members) {
      if (member.id !== transport.localId) transport.setPeerAddress(member.id, member)
    }
  }
  return {
    transports,
    members,
    close: async () => {
      await Promise.all(transports.map((transport) => transport.close()))
    },
  }
}
