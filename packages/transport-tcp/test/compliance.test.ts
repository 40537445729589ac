import {
  type ComplianceMessage,
  complianceCodec,
  linkTransportCompliance,
  transportCompliance,
} from '@synod/transport/compliance'
import type { LinkOptions } from '@synod/transport/link'
import { expect } from 'vitest'
import {
  createTcpTransport,
  startTcpCluster,
  type TcpTransport,
  type TcpTransportOptions,
} from '../src/index.js'
import { closeRawSockets, injectRaw } from './helpers.js'

const maxFrameBytes = 256 * 1024

for (const secret of [undefined, new Uint8Array(32).fill(9)]) {
  transportCompliance({
    name: `TCP on 127.0.0.1 (${secret ? 'with' : 'without'} a pre-shared secret)`,
    wire: true,
    async setup(ids) {
      const cluster = await startTcpCluster(ids, {
        codec: complianceCodec,
        maxFrameBytes,
        clusterId: 'compliance',
        ...(secret ? { secret } : {}),
      })
      const byId = new Map(cluster.transports.map((transport) => [transport.localId, transport]))
      return {
        transports: cluster.transports,
        teardown: async () => {
          closeRawSockets()
          await cluster.close()
        },
        maxFrameBytes,
        // a raw socket that completes a valid handshake as `from`, then writes the bytes
        injectRaw: (from, to, bytes) =>
          injectRaw(from, byId.get(to) as TcpTransport<unknown>, bytes, secret ? { secret } : {}),
      }
    },
  })
}

type Transport = TcpTransport<ComplianceMessage>
const started: Transport[] = []
const codec = complianceCodec

async function start(localId: string, options: Omit<TcpTransportOptions<ComplianceMessage>, 'localId'>) {
  const transport = await createTcpTransport({ ...options, localId })
  started.push(transport)
  return transport
}

linkTransportCompliance<Transport>({
  name: 'TCP on 127.0.0.1',
  async startPair(options: LinkOptions) {
    const cluster = await startTcpCluster(['a', 'b'], { codec, ...options })
    started.push(...cluster.transports)
    return cluster.transports as [Transport, Transport]
  },
  // b's port is unknown to a
  async startStrangers(options) {
    const members = [{ id: 'a' }, { id: 'b' }]
    return [
      await start('a', { ...options, members, codec }),
      await start('b', { ...options, members, codec }),
    ]
  },
  introduce: (a, b) => a.setPeerAddress('b', b.address()),
  // a port nothing listens on: take one from a closed transport
  async startUnreachable(options) {
    const probe = await createTcpTransport({ localId: 'x', members: [], codec })
    const { port } = probe.address()
    await probe.close()
    return start('a', { ...options, members: [{ id: 'b', host: '127.0.0.1', port }], codec })
  },
  async teardown() {
    await Promise.all(started.splice(0).map((transport) => transport.close()))
  },
  checkBurst(_, b) {
    expect(b.stats().connectionsAccepted).toBe(1)
  },
})
