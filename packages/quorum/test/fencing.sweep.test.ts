/**
 * Leases and fencing under random faults: three contenders keep acquiring a
 * lease and writing to a fenced resource with their tokens while replicas and
 * contenders crash, pause and get partitioned. For every seed: a lease granted
 * after another one completed carries a higher token, and the resource never
 * accepts a write with a token lower than one it accepted before.
 */
import { type NodeContext, runSimulationAsync, sweepAsync } from '@synod/sim'
import type { Transport } from '@synod/transport'
import { describe, expect, it } from 'vitest'
import type { RegisterMessage } from '../src/core/register.js'
import { LeaseHeldError, QuorumTimeoutError } from '../src/errors.js'
import { compareTokens, FencedStore, type FencingToken, LeaseService } from '../src/fencing.js'
import { QuorumRegister } from '../src/node/register.js'
import { majority } from '../src/systems.js'
import { channel, nodeClock } from './support/sim.js'

type StorageMessage = { kind: 'storage-write'; value: string; token: FencingToken }
type Message = RegisterMessage | StorageMessage
const isStorage = (m: Message): m is StorageMessage => m.kind === 'storage-write'
const isRegister = (m: Message): m is RegisterMessage => !isStorage(m)

const replicas = ['r1', 'r2', 'r3']
const contenders = ['l1', 'l2', 'l3']
const system = majority(replicas)

interface Grant {
  holder: string
  token: FencingToken
  invokedAtMs: number
  completedAtMs: number
}

function contender(ctx: NodeContext<Message>, grants: Grant[]): QuorumRegister {
  const register = new QuorumRegister({
    transport: channel(ctx.transport, isRegister),
    system,
    clock: nodeClock(ctx),
    nonce: ctx.random.next(),
    tickMs: 10,
    retryMs: 30,
    timeoutMs: 300,
  })
  if (!contenders.includes(ctx.id)) return register
  const storage: Transport<StorageMessage> = channel(ctx.transport, isStorage)
  const leases = new LeaseService({ register, clock: nodeClock(ctx) })
  let lease: { token: FencingToken; expiresAtMs: number } | undefined
  let busy = false
  let writes = 0
  ctx.every(25, () => {
    if (lease !== undefined && ctx.now() < lease.expiresAtMs - 60) {
      // still the leader, as far as this node knows: write with its token
      storage.send('storage', { kind: 'storage-write', value: `${ctx.id}-${++writes}`, token: lease.token })
      return
    }
    if (busy) return
    busy = true
    const invokedAtMs = ctx.now()
    leases.acquire('leader', { holder: ctx.id, leaseMs: 200 }).then(
      (granted) => {
        busy = false
        lease = granted
        grants.push({ holder: ctx.id, token: granted.token, invokedAtMs, completedAtMs: ctx.now() })
      },
      (error: unknown) => {
        busy = false
        lease = undefined
        if (!LeaseHeldError.isInstance(error) && !QuorumTimeoutError.isInstance(error)) throw error
      },
    )
  })
  return register
}

describe('leases and fencing under random faults', () => {
  it('tokens of successive grants increase, and the fenced resource never goes back, for every seed', async () => {
    let rejected = 0
    let accepted = 0
    await sweepAsync({ seeds: 30, expect }, (seed) => {
      const grants: Grant[] = []
      const store = new FencedStore<string>()
      const acceptedTokens: FencingToken[] = []
      return runSimulationAsync<Message, QuorumRegister>({
        seed,
        nodeIds: [...replicas, ...contenders],
        node: (ctx) => contender(ctx, grants),
        network: {
          delay: { kind: 'long-tail', minMs: 1, medianMs: 4, maxMs: 80 },
          lossRate: 0.02,
          duplicateRate: 0.02,
          reorderRate: 0.1,
        },
        nemesis: {
          kinds: ['partition', 'isolate', 'pause', 'crash', 'degrade'],
          intervalMs: { minMs: 150, maxMs: 500 },
        },
        faultPhaseMs: 3_000,
        setup(sim) {
          // the resource stays outside the faults: it is the thing being protected
          const transport = sim.network.join('storage')
          transport.onMessage((_, message) => {
            if (!isStorage(message)) return
            try {
              store.write('x', message.value, message.token)
              acceptedTokens.push(message.token)
            } catch {}
          })
        },
        invariants: [
          function resourceNeverGoesBack() {
            for (let i = 1; i < acceptedTokens.length; i++)
              if (compareTokens(acceptedTokens[i] as FencingToken, acceptedTokens[i - 1] as FencingToken) < 0)
                return `write ${i} was accepted with an older token than write ${i - 1}`
          },
        ],
        liveness: () => grants.some((g) => g.completedAtMs > 3_000),
        livenessBoundMs: 2_000,
        finalCheck() {
          for (const a of grants)
            for (const b of grants)
              if (a.completedAtMs < b.invokedAtMs && compareTokens(b.token, a.token) <= 0)
                return `the grant to ${b.holder} at t=${b.invokedAtMs} got ${JSON.stringify(b.token)}, not above ${JSON.stringify(a.token)} granted to ${a.holder} by t=${a.completedAtMs}`
          if (grants.length < 3) return `only ${grants.length} grants`
          rejected += store.rejectedWrites
          accepted += acceptedTokens.length
        },
      })
    })
    console.log(`fenced resource: ${accepted} writes accepted, ${rejected} stale writes refused`)
    expect(rejected).toBeGreaterThan(0) // stale leaders did try, and were stopped
  })
})
