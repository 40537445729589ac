import { describe, expect, it } from 'vitest'
import { complianceCodec, transportCompliance } from '../src/compliance.js'
import { MemoryNetwork, TransportClosedError, UnknownPeerError } from '../src/index.js'

transportCompliance({
  name: 'MemoryNetwork (by reference)',
  async setup(ids) {
    const network = new MemoryNetwork<never>()
    return { transports: ids.map((id) => network.join(id)), teardown: () => network.close() }
  },
})

transportCompliance({
  name: 'MemoryNetwork (with a codec and a membership)',
  async setup(ids) {
    const network = new MemoryNetwork({ members: ids, codec: complianceCodec })
    return { transports: ids.map((id) => network.join(id)), teardown: () => network.close() }
  },
})

describe('MemoryNetwork', () => {
  it('refuses a non-member with UnknownPeerError, both to join and as a destination', async () => {
    const network = new MemoryNetwork<string>({ members: ['a', 'b'] })
    expect(() => network.join('z')).toThrow(UnknownPeerError)
    expect(() => network.join('z')).toThrow('peer "z" is not a member')
    const a = network.join('a')
    expect(() => a.send('z', 'hi')).toThrow(UnknownPeerError)
    await network.close()
  })

  it('refuses a second live node with the same id, and allows it again after close', async () => {
    const network = new MemoryNetwork<string>()
    const first = network.join('a')
    expect(() => network.join('a')).toThrow('id: node "a" already joined this network')
    await first.close()
    expect(network.join('a').localId).toBe('a')
    await network.close()
  })

  it('counts messages to nodes that never joined as dropped', async () => {
    const network = new MemoryNetwork<string>()
    const a = network.join('a')
    a.send('ghost', 'boo')
    await new Promise((resolve) => setImmediate(resolve))
    expect(network.droppedMessages).toBe(1)
    await network.close()
    expect(() => network.join('b')).toThrow(TransportClosedError)
  })

  it('refuses bad members and handlers', () => {
    expect(() => new MemoryNetwork({ members: ['a', ''] })).toThrow(
      'members[1]: expected a non-empty node id, got ""',
    )
    const network = new MemoryNetwork<string>()
    expect(() => network.join('a').onMessage('x' as never)).toThrow(
      'handler: expected a function, got string',
    )
  })
})
