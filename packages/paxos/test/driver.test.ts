/** PaxosNode over the in-process MemoryNetwork with real (short) timers. */
import { MemoryNetwork } from '@synod/transport'
import { afterEach, describe, expect, it } from 'vitest'
import type { PaxosMessage } from '../src/core/types.js'
import { NotLeaderError, PaxosClosedError, ProposalTimeoutError } from '../src/errors.js'
import { PaxosNode } from '../src/node/paxos-node.js'
import { MemoryStorage } from '../src/storage/memory-storage.js'

const encode = (text: string) => new TextEncoder().encode(text)
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes)
const members = ['a', 'b', 'c']
const open: PaxosNode<string>[] = []
let network = new MemoryNetwork<PaxosMessage>()

afterEach(async () => {
  await Promise.all(open.splice(0).map((node) => node.close()))
  await network.close()
  network = new MemoryNetwork<PaxosMessage>()
})

function start(id: string, logs: Map<string, string[]>, storage = new MemoryStorage()): PaxosNode<string> {
  const log: string[] = []
  logs.set(id, log)
  const node = new PaxosNode<string>({
    id,
    members,
    transport: network.join(id),
    storage,
    tickMs: 5,
    stateMachine: {
      apply(command) {
        log.push(decode(command))
        return decode(command).toUpperCase()
      },
    },
  })
  open.push(node)
  return node
}

async function until(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const start = Date.now()
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not reached')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

describe('PaxosNode', () => {
  it('proposes through the leader and applies on every replica in slot order', async () => {
    const logs = new Map<string, string[]>()
    const nodes = members.map((id) => start(id, logs))
    nodes[0]?.campaign()
    await until(() => nodes[0]?.status().role === 'leader')
    const leader = nodes[0] as PaxosNode<string>
    const results = await Promise.all(['x', 'y', 'z'].map((text) => leader.propose(encode(text))))
    expect(results).toEqual([
      { index: 1, result: 'X' },
      { index: 2, result: 'Y' },
      { index: 3, result: 'Z' },
    ])
    await until(() => members.every((id) => logs.get(id)?.length === 3))
    for (const id of members) expect(logs.get(id)).toEqual(['x', 'y', 'z'])
    await expect(nodes[1]?.propose(encode('w'))).rejects.toThrow(new NotLeaderError('a'))
  })

  it('elects a leader on its own and fails over when it closes', async () => {
    const logs = new Map<string, string[]>()
    const nodes = members.map((id) => start(id, logs))
    await until(() => nodes.some((n) => n.status().role === 'leader'))
    const first = nodes.find((n) => n.status().role === 'leader') as PaxosNode<string>
    await first.propose(encode('before'))
    await first.close()
    const rest = nodes.filter((n) => n !== first)
    await until(() => rest.some((n) => n.status().role === 'leader'))
    const second = rest.find((n) => n.status().role === 'leader') as PaxosNode<string>
    expect((await second.propose(encode('after'))).result).toBe('AFTER')
    for (const n of rest) await until(() => logs.get(n.id)?.join() === 'before,after')
  })

  it('times out when no majority answers, and rejects pending proposals on close', async () => {
    const logs = new Map<string, string[]>()
    const a = start('a', logs)
    a.campaign()
    await until(() => a.status().role === 'candidate')
    await expect(a.propose(encode('x'))).rejects.toThrow(NotLeaderError)
    const single = new MemoryNetwork<PaxosMessage>()
    const lonely = new PaxosNode({
      id: 'a',
      members: ['a', 'b', 'c'],
      transport: single.join('a'),
      tickMs: 5,
      stateMachine: { apply: () => 0 },
    })
    const b = new PaxosNode({
      id: 'b',
      members: ['a', 'b', 'c'],
      transport: single.join('b'),
      tickMs: 5,
      stateMachine: { apply: () => 0 },
    })
    lonely.campaign()
    await until(() => lonely.status().role === 'leader')
    await b.close() // a leads but no longer has a majority
    await expect(lonely.propose(encode('x'), { timeoutMs: 30 })).rejects.toThrow(new ProposalTimeoutError(30))
    const pending = lonely.propose(encode('y'), { timeoutMs: 10_000 }).catch((error: unknown) => error)
    await lonely.close()
    expect(await pending).toBeInstanceOf(PaxosClosedError)
    await expect(lonely.propose(encode('z'))).rejects.toThrow('paxos node is closed')
    await single.close()
  })

  it('persists what its acceptor accepted in its storage', async () => {
    const logs = new Map<string, string[]>()
    const storage = new MemoryStorage()
    const nodes = [start('a', logs, storage), start('b', logs), start('c', logs)]
    nodes[0]?.campaign()
    await until(() => nodes[0]?.status().role === 'leader')
    await nodes[0]?.propose(encode('kept'))
    await nodes[0]?.close()
    expect(storage.load().accepted.map((e) => e.slot)).toEqual([1])
  })

  it('compacts every snapshotEverySlots slots and restarts from the snapshot', async () => {
    const storage = new MemoryStorage()
    const counter = () => {
      const machine = {
        total: 0,
        restoredFrom: 0,
        apply: (command: Uint8Array) => (machine.total += command[0] ?? 0),
        snapshot: () => Uint8Array.of(machine.total),
        restore(data: Uint8Array, slot: number) {
          machine.total = data[0] ?? 0
          machine.restoredFrom = slot
        },
      }
      return machine
    }
    const solo = new MemoryNetwork<PaxosMessage>()
    const first = counter()
    const a = new PaxosNode({
      id: 'a',
      members: ['a'],
      transport: solo.join('a'),
      storage,
      tickMs: 5,
      stateMachine: first,
      snapshotEverySlots: 5,
    })
    a.campaign()
    for (let i = 0; i < 12; i++) await a.propose(Uint8Array.of(1))
    expect(a.status()).toMatchObject({ appliedIndex: 12, snapshotSlot: 10, compactedSlot: 10 })
    expect(storage.loadSnapshot()).toEqual({ slot: 10, data: Uint8Array.of(10) })
    expect(storage.load().accepted.map((entry) => entry.slot)).toEqual([11, 12])
    await a.close()
    await solo.close()
    const again = new MemoryNetwork<PaxosMessage>()
    const second = counter()
    const restarted = new PaxosNode({
      id: 'a',
      members: ['a'],
      transport: again.join('a'),
      storage,
      tickMs: 5,
      stateMachine: second,
      snapshotEverySlots: 5,
    })
    expect(second).toMatchObject({ total: 10, restoredFrom: 10 })
    restarted.campaign() // phase 1 over slots 11 and up finds 11 and 12 again
    expect(await restarted.propose(Uint8Array.of(5))).toEqual({ index: 13, result: 17 })
    await restarted.close()
    await again.close()
  })

  it('refuses snapshotEverySlots without snapshot and restore', () => {
    expect(
      () =>
        new PaxosNode({
          id: 'z',
          members: ['z'],
          transport: network.join('z'),
          stateMachine: { apply: () => 0 },
          snapshotEverySlots: 5,
        }),
    ).toThrow(
      new TypeError(
        'stateMachine: expected snapshot() and restore(data, slot) methods when snapshotEverySlots > 0',
      ),
    )
  })

  it('fails stop when storage fails, and rejects with that error', async () => {
    const failure = new Error('disk on fire')
    const node = new PaxosNode({
      id: 'a',
      members: ['a'],
      transport: network.join('a'),
      storage: Object.assign(new MemoryStorage(), {
        append: () => {
          throw failure
        },
      }),
      tickMs: 5,
      stateMachine: { apply: () => 0 },
    })
    node.campaign()
    expect(node.failure).toBe(failure)
    expect(node.isClosed).toBe(true)
    await expect(node.propose(encode('x'))).rejects.toBe(failure)
  })

  it('refuses bad options with exact messages', () => {
    const transport = network.join('z')
    const good = { id: 'z', members: ['z'], transport, stateMachine: { apply: () => 0 } }
    expect(() => new PaxosNode({ ...good, transport: undefined as never })).toThrow(
      new TypeError('transport: expected a Transport, got undefined'),
    )
    expect(() => new PaxosNode({ ...good, stateMachine: {} as never })).toThrow(
      new TypeError('stateMachine.apply: expected a function, got undefined'),
    )
    expect(() => new PaxosNode({ ...good, storage: {} as never })).toThrow(
      new TypeError('storage: expected a PaxosStorage (load, append, saveSnapshot, loadSnapshot)'),
    )
    expect(() => new PaxosNode({ ...good, tickMs: 0 })).toThrow(
      new RangeError('tickMs: expected an integer from 1 to 3600000, got 0'),
    )
    expect(() => new PaxosNode({ ...good, members: ['y'] })).toThrow(
      new RangeError('members: must include this replica\'s id "z"'),
    )
  })
})
