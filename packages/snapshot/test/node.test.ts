/** The driver over MemoryNetwork with real timers: the Promise API, codecs, timeouts, closing and bad options. */
import { jsonCodec, MemoryNetwork } from '@synod/transport'
import { afterEach, describe, expect, it } from 'vitest'
import { snapshotMessageCodec } from '../src/codec.js'
import type { SnapshotMessage } from '../src/core/types.js'
import { SnapshotClosedError, SnapshotLimitError, SnapshotTimeoutError } from '../src/errors.js'
import { SnapshotNode, type SnapshotNodeOptions } from '../src/node/snapshot-node.js'

type Transfer = { amount: number }
const open: { close(): Promise<void> }[] = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()))
})

function bank(
  network: MemoryNetwork<SnapshotMessage>,
  id: string,
  members: string[],
  options: Partial<SnapshotNodeOptions<{ balance: number }, Transfer>> = {},
) {
  const account = { balance: 100 }
  const node = new SnapshotNode<{ balance: number }, Transfer>({
    transport: network.join(id),
    members,
    tickMs: 2,
    retransmitMs: 4,
    captureState: () => ({ ...account }),
    stateCodec: jsonCodec(),
    payloadCodec: jsonCodec(),
    onDeliver: (_from, transfer) => {
      account.balance += transfer.amount
    },
    ...options,
  })
  open.push(node)
  const pay = (to: string, amount: number) => {
    account.balance -= amount
    node.send(to, { amount })
  }
  return { node, account, pay }
}

describe('SnapshotNode', () => {
  it('takes a snapshot with a transfer in flight, over a byte-encoding network', async () => {
    const network = new MemoryNetwork<SnapshotMessage>({ codec: snapshotMessageCodec() })
    open.push(network)
    const members = ['a', 'b', 'c']
    const [a, b, c] = members.map((id) => bank(network, id, members)) as [
      ReturnType<typeof bank>,
      ReturnType<typeof bank>,
      ReturnType<typeof bank>,
    ]
    b.pay('a', 30) // leaves b now, reaches a after a records
    const seen: string[] = []
    a.node.onSnapshot((s) => seen.push(s.id))
    const snapshot = await a.node.snapshot({ timeoutMs: 5_000 })
    expect(snapshot.id).toBe('s1')
    expect(seen).toEqual(['s1'])
    expect(Object.fromEntries([...snapshot.states].map(([id, s]) => [id, s.balance]))).toEqual({
      a: 100,
      b: 70,
      c: 100,
    })
    expect(snapshot.channels.find((ch) => ch.from === 'b' && ch.to === 'a')?.messages).toEqual([
      { amount: 30 },
    ])
    expect(a.account.balance + b.account.balance + c.account.balance).toBe(300)
    const again = await c.node.snapshot({ id: 'mine' })
    expect(again).toMatchObject({ initiator: 'c', id: 'mine' })
    expect([...again.states.values()].reduce((sum, s) => sum + s.balance, 0)).toBe(300)
  })

  it('rejects with SnapshotTimeoutError when a member never answers, naming the missing parts', async () => {
    const network = new MemoryNetwork<SnapshotMessage>()
    open.push(network)
    const { node } = bank(network, 'a', ['a', 'b'])
    const failure = node.snapshot({ timeoutMs: 30 })
    await expect(failure).rejects.toThrow(new SnapshotTimeoutError('s1', 30, ['a', 'b']))
    await expect(failure).rejects.toThrow(
      'snapshot "s1" did not complete within 30 ms: no part yet from "a", "b"',
    )
    expect(node.activeSnapshots).toBe(1) // a still waits for b's marker to finish its own part
  })

  it('rejects with SnapshotLimitError when recorded messages go over maxRecordedBytes', async () => {
    const network = new MemoryNetwork<SnapshotMessage>()
    open.push(network)
    const a = bank(network, 'a', ['a', 'b'], { maxRecordedBytes: 1 })
    const b = bank(network, 'b', ['a', 'b'])
    b.pay('a', 5)
    await expect(a.node.snapshot()).rejects.toThrow(new SnapshotLimitError('s1', ['a']))
  })

  it('close() rejects pending snapshots, refuses sends, and is idempotent', async () => {
    const network = new MemoryNetwork<SnapshotMessage>()
    open.push(network)
    const { node } = bank(network, 'a', ['a', 'b'])
    const pending = node.snapshot()
    await node.close()
    await node.close()
    await expect(pending).rejects.toThrow(SnapshotClosedError)
    expect(() => node.send('b', { amount: 1 })).toThrow(new SnapshotClosedError())
    await expect(node.snapshot()).rejects.toThrow('snapshot node is closed')
  })

  it('validates its options and arguments', async () => {
    const network = new MemoryNetwork<SnapshotMessage>()
    open.push(network)
    const base = { members: ['a'], captureState: () => new Uint8Array() }
    expect(() => new SnapshotNode({ ...base, transport: {} as never })).toThrow(
      new TypeError('transport: expected a Transport, got object'),
    )
    expect(() => new SnapshotNode({ ...base, transport: network.join('x'), tickMs: 0 })).toThrow(
      new RangeError('tickMs: expected an integer in [1, 3600000], got 0'),
    )
    expect(() => new SnapshotNode({ ...base, transport: network.join('y') })).toThrow(
      new RangeError('members: expected to include id "y"'),
    )
    const node = new SnapshotNode({ ...base, transport: network.join('a') })
    open.push(node)
    await expect(node.snapshot({ timeoutMs: -1 })).rejects.toThrow(
      new RangeError('timeoutMs: expected an integer in [1, 86400000], got -1'),
    )
    expect(() => node.onDeliver(5 as never)).toThrow(new TypeError('handler: expected a function, got 5'))
    expect(() => node.send('a', Uint8Array.of(1))).toThrow(
      new RangeError('to: cannot send to this process itself'),
    )
    expect((await node.snapshot()).states.get('a')).toEqual(new Uint8Array())
    await expect(node.snapshot({ id: 's1' })).rejects.toThrow(
      'snapshot id "s1" was already used by this process',
    )
  })
})
