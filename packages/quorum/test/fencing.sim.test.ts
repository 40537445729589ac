/**
 * Split brain on the simulator: a leader holds a lease and its token, is paused
 * (a long GC pause) past the lease's end, a new leader gets the next token and
 * writes, then the old leader wakes up and writes with its old token. The fenced
 * resource refuses that write; the same run against an unfenced resource
 * accepts it and loses the new leader's write.
 */
import { type NodeContext, Simulation } from '@synod/sim'
import type { Transport } from '@synod/transport'
import { describe, expect, it } from 'vitest'
import type { RegisterMessage } from '../src/core/register.js'
import { LeaseHeldError } from '../src/errors.js'
import { compareTokens, FencedStore, type FencingToken, LeaseService } from '../src/fencing.js'
import { QuorumRegister } from '../src/node/register.js'
import { majority } from '../src/systems.js'
import { channel, nodeClock, runUntil, settle } from './support/sim.js'

type StorageMessage =
  | { kind: 'storage-write'; writeId: number; key: string; value: string; token: FencingToken }
  | { kind: 'storage-reply'; writeId: number; accepted: boolean }
type Message = RegisterMessage | StorageMessage

const isStorage = (m: Message): m is StorageMessage =>
  m.kind === 'storage-write' || m.kind === 'storage-reply'
const isRegister = (m: Message): m is RegisterMessage => !isStorage(m)

const replicas = ['r1', 'r2', 'r3']
const system = majority(replicas)

/** A resource that ignores tokens: the control. */
class UnfencedStore {
  private readonly values = new Map<string, string>()
  write(key: string, value: string, _token: FencingToken): void {
    this.values.set(key, value)
  }
  read(key: string): string | undefined {
    return this.values.get(key)
  }
}

class FencingNode {
  readonly register: QuorumRegister | undefined
  readonly leases: LeaseService | undefined
  readonly store: FencedStore<string> | UnfencedStore | undefined
  readonly replies = new Map<number, boolean>()
  private readonly storageTransport: Transport<StorageMessage>
  private nextWriteId = 1

  constructor(
    private readonly ctx: NodeContext<Message>,
    fenced: boolean,
  ) {
    this.storageTransport = channel(ctx.transport, isStorage)
    if (ctx.id === 'storage') {
      this.store = fenced ? new FencedStore<string>() : new UnfencedStore()
      const store = this.store
      this.storageTransport.onMessage((from, message) => {
        if (message.kind !== 'storage-write') return
        let accepted = true
        try {
          store.write(message.key, message.value, message.token)
        } catch {
          accepted = false
        }
        this.storageTransport.send(from, { kind: 'storage-reply', writeId: message.writeId, accepted })
      })
      return
    }
    this.register = new QuorumRegister({
      transport: channel(ctx.transport, isRegister),
      system,
      clock: nodeClock(ctx),
      nonce: ctx.random.next(),
      tickMs: 10,
      retryMs: 30,
      timeoutMs: 500,
    })
    this.leases = new LeaseService({ register: this.register, clock: nodeClock(ctx) })
    this.storageTransport.onMessage((_, message) => {
      if (message.kind === 'storage-reply') this.replies.set(message.writeId, message.accepted)
    })
  }

  /** Sends a write to the storage node; its answer lands in `replies`. */
  write(key: string, value: string, token: FencingToken): number {
    const writeId = this.nextWriteId++
    this.storageTransport.send('storage', { kind: 'storage-write', writeId, key, value, token })
    return writeId
  }

  /** Runs `fn` after `ms` on this node's timers: deferred while the node is paused. */
  later(ms: number, fn: () => void): void {
    this.ctx.after(ms, fn)
  }
}

async function splitBrain(fenced: boolean) {
  const sim = new Simulation<Message, FencingNode>({
    seed: 11,
    nodeIds: [...replicas, 'leader-a', 'leader-b', 'storage'],
    node: (ctx) => new FencingNode(ctx, fenced),
    network: { delay: { kind: 'uniform', minMs: 1, maxMs: 5 } },
  })
  const a = sim.node('leader-a')
  const b = sim.node('leader-b')
  const leasesOf = (node: FencingNode) => node.leases as LeaseService

  const granted = await settle(
    sim,
    leasesOf(a).acquire('leader', { holder: 'leader-a', leaseMs: 300 }),
    1_000,
  )
  if (!granted.ok) throw granted.error
  const tokenA = granted.value.token
  const first = a.write('x', 'a1', tokenA)
  await runUntil(sim, sim.now + 50)
  expect(a.replies.get(first)).toBe(true)

  // leader-a is about to write again, and stops dead for a second (its timers wait)
  let staleWrite: number | undefined
  a.later(20, () => {
    staleWrite = a.write('x', 'a-stale', tokenA)
  })
  sim.pause('leader-a')

  // while its lease lasts, nobody else gets it
  const early = await settle(
    sim,
    leasesOf(b).acquire('leader', { holder: 'leader-b', leaseMs: 300 }),
    sim.now + 1_000,
  )
  expect(early.ok).toBe(false)
  expect(LeaseHeldError.isInstance(early.ok ? undefined : early.error)).toBe(true)

  // past its end, leader-b takes over with the next token and writes
  await runUntil(sim, granted.value.expiresAtMs + 50)
  const takeover = await settle(
    sim,
    leasesOf(b).acquire('leader', { holder: 'leader-b', leaseMs: 300 }),
    sim.now + 1_000,
  )
  if (!takeover.ok) throw takeover.error
  const tokenB = takeover.value.token
  expect(compareTokens(tokenB, tokenA)).toBeGreaterThan(0)
  expect(tokenB.counter).toBe(tokenA.counter + 1)
  const newWrite = b.write('x', 'b1', tokenB)
  await runUntil(sim, sim.now + 50)
  expect(b.replies.get(newWrite)).toBe(true)

  // leader-a wakes up, still believing it leads, and writes with its old token
  expect(staleWrite).toBeUndefined()
  sim.resume('leader-a')
  await runUntil(sim, sim.now + 100)
  expect(staleWrite).toBeDefined()
  const store = sim.node('storage').store as FencedStore<string> | UnfencedStore
  return { accepted: a.replies.get(staleWrite as number), value: store.read('x'), store }
}

describe('fencing tokens stop a paused old leader', () => {
  it("the fenced resource refuses the old leader's write after the new leader's", async () => {
    const { accepted, value, store } = await splitBrain(true)
    expect(accepted).toBe(false)
    expect(value).toBe('b1')
    expect((store as FencedStore<string>).rejectedWrites).toBe(1)
  })

  it("control: without fencing the same stale write is accepted and overwrites the new leader's", async () => {
    const { accepted, value } = await splitBrain(false)
    expect(accepted).toBe(true)
    expect(value).toBe('a-stale')
  })
})
