/** A hand-driven cluster of cores for tests: a toy bank per process and a wire the test controls. */
import type { NodeId } from '@synod/transport'
import { SnapshotCore, type SnapshotCoreOptions } from '../../src/core/snapshot-core.js'
import type { GlobalSnapshot, SnapshotEvent, SnapshotMessage, SnapshotReady } from '../../src/core/types.js'

export interface Envelope {
  from: NodeId
  to: NodeId
  message: SnapshotMessage
}

/** One process: a balance, and every payload it was handed. */
export interface Account {
  balance: number
  delivered: { from: NodeId; amount: number }[]
}

export const amountOf = (payload: Uint8Array): number =>
  new DataView(payload.buffer, payload.byteOffset).getUint32(0)
export const payloadOf = (amount: number): Uint8Array => {
  const bytes = new Uint8Array(4)
  new DataView(bytes.buffer).setUint32(0, amount)
  return bytes
}

export class Cluster {
  readonly cores = new Map<NodeId, SnapshotCore>()
  readonly accounts = new Map<NodeId, Account>()
  /** Wire messages sent and not yet delivered or dropped, in sending order. */
  wire: Envelope[] = []
  readonly completed: GlobalSnapshot[] = []
  readonly events: (SnapshotEvent & { at: NodeId })[] = []
  readonly readies: (SnapshotReady & { at: NodeId })[] = []

  constructor(
    readonly ids: readonly NodeId[],
    options: Partial<SnapshotCoreOptions> = {},
    initialBalance = 100,
  ) {
    for (const id of ids) {
      const account: Account = { balance: initialBalance, delivered: [] }
      this.accounts.set(id, account)
      this.cores.set(
        id,
        new SnapshotCore({
          ...options,
          id,
          members: ids,
          captureState: () => payloadOf(account.balance),
          deliver: (from, payload) => {
            account.balance += amountOf(payload)
            account.delivered.push({ from, amount: amountOf(payload) })
          },
        }),
      )
    }
  }

  core(id: NodeId): SnapshotCore {
    return this.cores.get(id) as SnapshotCore
  }

  /** Moves money: debits now, credits when delivered. */
  transfer(from: NodeId, to: NodeId, amount: number): void {
    ;(this.accounts.get(from) as Account).balance -= amount
    this.core(from).send(to, payloadOf(amount))
  }

  /** Collects every core's output: messages go on the wire. */
  collect(): void {
    for (const [at, core] of this.cores) {
      while (core.hasReady()) {
        const ready = core.ready()
        this.readies.push({ ...ready, at })
        for (const { to, message } of ready.messages) this.wire.push({ from: at, to, message })
        this.completed.push(...ready.completed)
        for (const event of ready.events) this.events.push({ ...event, at })
      }
    }
  }

  /** Takes the wire's messages matching `pick` off the wire. */
  take(pick: (envelope: Envelope) => boolean = () => true): Envelope[] {
    const taken = this.wire.filter(pick)
    this.wire = this.wire.filter((envelope) => !pick(envelope))
    return taken
  }

  deliver(envelopes: readonly Envelope[]): void {
    for (const { from, to, message } of envelopes) this.core(to).step(from, message)
    this.collect()
  }

  /** Delivers everything on the wire, in order, until it is quiet (bounded). */
  settle(maxRounds = 1_000): void {
    this.collect()
    for (let round = 0; this.wire.length > 0; round++) {
      if (round >= maxRounds) throw new Error('the cluster did not settle')
      this.deliver(this.take())
    }
  }

  tickAll(times = 1): void {
    for (let i = 0; i < times; i++) for (const core of this.cores.values()) core.tick()
    this.collect()
  }

  total(): number {
    let sum = 0
    for (const account of this.accounts.values()) sum += account.balance
    return sum
  }
}

/** The money a snapshot accounts for: recorded balances plus recorded in-flight transfers. */
export function snapshotTotal(snapshot: GlobalSnapshot): number {
  let sum = 0
  for (const state of snapshot.states.values()) sum += amountOf(state)
  for (const channel of snapshot.channels) for (const message of channel.messages) sum += amountOf(message)
  return sum
}

export function channelOf(snapshot: GlobalSnapshot, from: NodeId, to: NodeId): number[] {
  const channel = snapshot.channels.find((c) => c.from === from && c.to === to)
  if (channel === undefined) throw new Error(`no channel ${from} -> ${to}`)
  return channel.messages.map(amountOf)
}
