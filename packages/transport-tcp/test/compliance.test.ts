import { complianceCodec, transportCompliance } from '@synod/transport/compliance'
import { startTcpCluster, type TcpTransport } from '../src/index.js'
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
