import { peerIdFromString } from '@libp2p/peer-id'
import {
  type ComplianceMessage,
  complianceCodec,
  linkTransportCompliance,
  transportCompliance,
} from '@synod/transport/compliance'
import type { LinkOptions } from '@synod/transport/link'
import {
  createLibp2pTransport,
  type Libp2pTransport,
  peerIdFromSeed,
  startLibp2pCluster,
} from '../src/index.js'
import { seed } from './helpers.js'

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

type Transport = Libp2pTransport<ComplianceMessage>
const started: Transport[] = []
const codec = complianceCodec

/** Starts `a` and `b` from the two seeds, knowing each other's peer ids but no addresses. */
async function startWithoutAddresses(seeds: [number, number], options: LinkOptions, ids = ['a', 'b']) {
  const members = [
    { id: 'a', peerId: await peerIdFromSeed(seed(seeds[0])), addrs: [] },
    { id: 'b', peerId: await peerIdFromSeed(seed(seeds[1])), addrs: [] },
  ]
  const transports: Transport[] = []
  for (const [index, localId] of ids.entries()) {
    const privateKey = seed(seeds[index] as number)
    const transport = await createLibp2pTransport({ ...options, localId, privateKey, members, codec })
    started.push(transport)
    transports.push(transport)
  }
  return transports
}

linkTransportCompliance<Transport>({
  name: 'libp2p (TCP + Noise + Yamux on 127.0.0.1)',
  async startPair(options) {
    const cluster = await startLibp2pCluster(['a', 'b'], { codec, ...options })
    started.push(...cluster.transports)
    return cluster.transports as [Transport, Transport]
  },
  startStrangers: async (options) =>
    (await startWithoutAddresses([11, 12], options)) as [Transport, Transport],
  introduce: (a, b) => a.setPeerAddresses('b', b.multiaddrs),
  // b is never started, and a knows no address for it
  startUnreachable: async (options) =>
    (await startWithoutAddresses([21, 22], options, ['a']))[0] as Transport,
  async teardown() {
    await Promise.all(started.splice(0).map((transport) => transport.close()))
  },
})
