import { peerIdFromString } from '@libp2p/peer-id'
import { complianceCodec, transportCompliance } from '@synod/transport/compliance'
import { type Libp2pTransport, startLibp2pCluster } from '../src/index.js'

const maxFrameBytes = 256 * 1024

transportCompliance({
  name: 'libp2p (TCP + Noise + Yamux on 127.0.0.1)',
  wire: true,
  async setup(ids) {
    const cluster = await startLibp2pCluster(ids, { codec: complianceCodec, maxFrameBytes })
    const byId = new Map(cluster.transports.map((transport) => [transport.localId, transport]))
    return {
      transports: cluster.transports,
      teardown: () => cluster.close(),
      maxFrameBytes,
      // a raw stream on the protocol, from one node's libp2p to another, bypassing the encoder
      async injectRaw(from, to, bytes) {
        const sender = byId.get(from) as Libp2pTransport<unknown>
        const receiver = byId.get(to) as Libp2pTransport<unknown>
        const stream = await sender.libp2p.dialProtocol(peerIdFromString(receiver.peerId), sender.protocol)
        if (!stream.send(bytes)) await stream.onDrain()
        await stream.close().catch(() => undefined)
      },
    }
  },
})
