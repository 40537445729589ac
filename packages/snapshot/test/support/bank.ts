/**
 * A toy bank on top of SnapshotNode, for simulation: every process starts with
 * the same balance and moves money to random peers; transfers carry per-message
 * ids (`seq`, the k-th transfer from `from` to `to`). The checks below hold for
 * every consistent snapshot and fail for an inconsistent one.
 */
import type { NodeContext, Random } from '@synod/sim'
import { jsonCodec, type NodeId } from '@synod/transport'
import type { GlobalSnapshot } from '../../src/core/types.js'
import { ChannelFullError } from '../../src/errors.js'
import type { SnapshotMessage } from '../../src/index.js'
import { SnapshotNode, type SnapshotNodeOptions } from '../../src/node/snapshot-node.js'

export const INITIAL_BALANCE = 1_000

/** One transfer: the `seq`-th from its sender to its receiver. */
export interface Transfer {
  from: NodeId
  to: NodeId
  seq: number
  amount: number
}

/** A process's state: its balance, and how many transfers it sent to and received from each peer. */
export interface BankState {
  balance: number
  sent: Record<NodeId, number>
  received: Record<NodeId, number>
}

export class Bank {
  readonly state: BankState
  readonly node: SnapshotNode<BankState, Transfer>
  readonly violations: string[]

  constructor(
    readonly id: NodeId,
    members: readonly NodeId[],
    transport: SnapshotNodeOptions['transport'],
    clock: SnapshotNodeOptions['clock'],
    violations: string[],
    options: Partial<SnapshotNodeOptions<BankState, Transfer>> = {},
  ) {
    this.violations = violations
    this.state = { balance: INITIAL_BALANCE, sent: {}, received: {} }
    for (const peer of members)
      if (peer !== id) {
        this.state.sent[peer] = 0
        this.state.received[peer] = 0
      }
    this.node = new SnapshotNode<BankState, Transfer>({
      ...options,
      transport,
      members,
      clock,
      captureState: () => this.state,
      stateCodec: jsonCodec(),
      payloadCodec: jsonCodec(),
      onDeliver: (from, transfer) => this.receive(from, transfer),
    })
  }

  /** Sends a random amount to a random peer, if the balance allows and the channel has room. */
  transferRandomly(random: Random): void {
    const peers = this.node.members.filter((member) => member !== this.id)
    if (peers.length === 0) return
    const to = random.pick(peers)
    const amount = random.int(1, 50)
    if (this.state.balance < amount) return
    const transfer: Transfer = { from: this.id, to, seq: (this.state.sent[to] ?? 0) + 1, amount }
    try {
      this.node.send(to, transfer)
    } catch (error) {
      if (ChannelFullError.isInstance(error)) return
      throw error
    }
    this.state.balance -= amount
    this.state.sent[to] = transfer.seq
  }

  private receive(from: NodeId, transfer: Transfer): void {
    const expected = (this.state.received[from] ?? 0) + 1
    if (transfer.from !== from || transfer.to !== this.id || transfer.seq !== expected)
      this.violations.push(
        `${this.id} got transfer ${transfer.from}>${transfer.to}#${transfer.seq} from ${from}, expected ${from}>${this.id}#${expected} (FIFO, exactly once)`,
      )
    this.state.received[from] = transfer.seq
    this.state.balance += transfer.amount
  }
}

/**
 * Why a snapshot is not a consistent cut of the bank, or undefined when it is:
 * - conservation: recorded balances plus recorded in-flight transfers equal the total;
 * - a cut: no process counts a transfer as received that its sender does not count as sent;
 * - channel states are exactly the transfers sent and not yet received, in order.
 */
export function snapshotProblem(
  snapshot: GlobalSnapshot<BankState, Transfer>,
  members: readonly NodeId[],
): string | undefined {
  const name = `snapshot ${snapshot.initiator}/${snapshot.id}`
  let total = 0
  for (const id of members) {
    const state = snapshot.states.get(id)
    if (state === undefined) return `${name} has no state for ${id}`
    total += state.balance
  }
  for (const channel of snapshot.channels) {
    const sender = snapshot.states.get(channel.from) as BankState
    const receiver = snapshot.states.get(channel.to) as BankState
    const sent = sender.sent[channel.to] ?? 0
    const received = receiver.received[channel.from] ?? 0
    if (received > sent)
      return `${name} is not a cut: ${channel.to} received ${received} transfers from ${channel.from}, which sent only ${sent}`
    const seqs = channel.messages.map((transfer) => transfer.seq)
    const expected = Array.from({ length: sent - received }, (_, i) => received + 1 + i)
    if (seqs.join() !== expected.join())
      return `${name}: channel ${channel.from}>${channel.to} holds [${seqs.join()}], expected [${expected.join()}]`
    for (const transfer of channel.messages) total += transfer.amount
  }
  const expectedTotal = INITIAL_BALANCE * members.length
  if (total !== expectedTotal) return `${name} holds ${total}, not the constant total ${expectedTotal}`
  return undefined
}

/** A simulated node's timers as a SnapshotNode clock. */
export function simClock(ctx: NodeContext<SnapshotMessage>): SnapshotNodeOptions['clock'] {
  return {
    every(ms, callback) {
      const timer = ctx.every(ms, callback)
      return () => void timer.cancel()
    },
  }
}
