/** The README's examples, run as written (MemoryNetwork, real timers). */
import { jsonCodec, MemoryNetwork } from '@synod/transport'
import { describe, expect, it } from 'vitest'
import {
  decodeGlobalSnapshot,
  encodeGlobalSnapshot,
  SnapshotCore,
  type SnapshotMessage,
  SnapshotNode,
  snapshotMessageCodec,
} from '../src/index.js'

describe('README examples', () => {
  it('a bank, snapshotted while money moves', async () => {
    type Account = { balance: number }
    type Transfer = { amount: number }

    const network = new MemoryNetwork<SnapshotMessage>({ codec: snapshotMessageCodec() })
    const members = ['alice', 'bob', 'carol']
    const accounts = new Map(members.map((id) => [id, { balance: 100 }]))
    const nodes = new Map(
      members.map((id) => {
        const account = accounts.get(id) as Account
        const node = new SnapshotNode<Account, Transfer>({
          transport: network.join(id),
          members,
          captureState: () => ({ ...account }),
          onDeliver: (_from, transfer) => {
            account.balance += transfer.amount
          },
          stateCodec: jsonCodec(),
          payloadCodec: jsonCodec(),
        })
        return [id, node]
      }),
    )

    const pay = (from: string, to: string, amount: number) => {
      ;(accounts.get(from) as Account).balance -= amount
      nodes.get(from)?.send(to, { amount })
    }
    pay('bob', 'alice', 30)
    pay('carol', 'bob', 5)

    const snapshot = await (nodes.get('alice') as SnapshotNode<Account, Transfer>).snapshot({
      timeoutMs: 5_000,
    })
    let total = 0
    for (const state of snapshot.states.values()) total += state.balance
    for (const channel of snapshot.channels) for (const transfer of channel.messages) total += transfer.amount
    expect(total).toBe(300) // always, whatever was in flight

    for (const node of nodes.values()) await node.close()
    await network.close()
  })

  it('storing a snapshot as bytes', async () => {
    const network = new MemoryNetwork<SnapshotMessage>()
    const node = new SnapshotNode({
      transport: network.join('solo'),
      members: ['solo'],
      captureState: () => new TextEncoder().encode('state'),
    })
    const bytes = encodeGlobalSnapshot(await node.snapshot())
    const restored = decodeGlobalSnapshot(bytes) // DecodeError for anything malformed
    expect(new TextDecoder().decode(restored.states.get('solo'))).toBe('state')
    await node.close()
    await network.close()
  })

  it('the pure core', () => {
    let balance = 100
    const core = new SnapshotCore({
      id: 'a',
      members: ['a', 'b'],
      captureState: () => Uint8Array.of(balance),
      deliver: (_from, payload) => {
        balance += payload[0] ?? 0
      },
    })
    balance -= 10
    core.send('b', Uint8Array.of(10))
    core.startSnapshot('s1')
    const { messages } = core.ready()
    expect(messages).toEqual([
      {
        to: 'b',
        message: {
          kind: 'frames',
          ack: 0,
          frames: [
            { seq: 1, body: { kind: 'app', payload: Uint8Array.of(10) } },
            { seq: 2, body: { kind: 'marker', initiator: 'a', snapshotId: 's1' } },
          ],
        },
      },
    ])
  })
})
