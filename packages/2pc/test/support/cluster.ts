/** A synchronous in-process cluster of cores, for scenario tests: messages queue until delivered. */
import { CoordinatorCore, type CoordinatorCoreOptions } from '../../src/core/coordinator.js'
import { ParticipantCore, type ParticipantCoreOptions } from '../../src/core/participant.js'
import type { Decision, TwoPhaseMessage, TwoPhaseRecord, Vote } from '../../src/core/types.js'

interface Envelope {
  from: string
  to: string
  message: TwoPhaseMessage
}

export class Cluster {
  readonly coordinator: CoordinatorCore
  readonly participants = new Map<string, ParticipantCore>()
  readonly disks = new Map<string, TwoPhaseRecord[]>()
  readonly decided = new Map<string, Decision>() // `${node}/${txId}` → decision reported
  readonly down = new Set<string>()
  queue: Envelope[] = []
  /** How each participant votes, by id (default yes). */
  votes = new Map<string, Vote>()

  constructor(
    readonly ids: string[],
    private readonly coordinatorOptions: Partial<CoordinatorCoreOptions> = {},
    private readonly participantOptions: Partial<ParticipantCoreOptions> = {},
  ) {
    this.coordinator = new CoordinatorCore({ id: 'c', ...coordinatorOptions })
    for (const id of ids) this.participants.set(id, new ParticipantCore({ id, ...participantOptions }))
    this.pump()
  }

  get c(): CoordinatorCore {
    return this.coordinatorInstance ?? this.coordinator
  }
  private coordinatorInstance: CoordinatorCore | undefined

  p(id: string): ParticipantCore {
    return this.participants.get(id) as ParticipantCore
  }

  /** Collects every core's outputs: persist, queue messages, report, vote. */
  pump(): void {
    for (let moved = true; moved; ) {
      moved = false
      const cores: [string, CoordinatorCore | ParticipantCore][] = [['c', this.c], ...this.participants]
      for (const [id, core] of cores) {
        if (this.down.has(id) || !core.hasReady()) continue
        moved = true
        const ready = core.ready()
        this.disks.set(id, [...(this.disks.get(id) ?? []), ...ready.records])
        for (const { to, message } of ready.messages) this.queue.push({ from: id, to, message })
        for (const { txId, decision } of ready.decisions) {
          const key = `${id}/${txId}`
          const before = this.decided.get(key)
          if (before !== undefined && before !== decision) throw new Error(`${key} changed its decision`)
          this.decided.set(key, decision)
        }
        if ('prepares' in ready)
          for (const { txId } of ready.prepares)
            (core as ParticipantCore).vote(txId, this.votes.get(id) ?? 'yes')
      }
    }
  }

  /** Delivers queued messages (those `accept` picks; the rest stay) until none is left, to up nodes. */
  deliver(accept: (e: Envelope) => boolean = () => true): void {
    for (let rounds = 0; rounds < 1_000; rounds++) {
      const now = this.queue.filter(accept)
      if (now.length === 0) return
      this.queue = this.queue.filter((e) => !accept(e))
      for (const { from, to, message } of now) {
        if (this.down.has(to)) continue
        if (to === 'c') this.c.step(from, message)
        else this.participants.get(to)?.step(from, message)
      }
      this.pump()
    }
    throw new Error('messages kept flowing')
  }

  tick(times = 1): void {
    for (let i = 0; i < times; i++) {
      if (!this.down.has('c')) this.c.tick()
      for (const [id, core] of this.participants) if (!this.down.has(id)) core.tick()
      this.pump()
    }
  }

  crash(id: string): void {
    this.down.add(id)
    this.queue = this.queue.filter((e) => e.from !== id)
  }

  restart(id: string): void {
    this.down.delete(id)
    const recovered = this.disks.get(id) ?? []
    if (id === 'c')
      this.coordinatorInstance = new CoordinatorCore({
        id,
        ...this.coordinatorOptions,
        recovered: recovered as never,
      })
    else
      this.participants.set(
        id,
        new ParticipantCore({ id, ...this.participantOptions, recovered: recovered as never }),
      )
    this.pump()
  }

  decisionOf(id: string, txId: string): Decision | undefined {
    return this.decided.get(`${id}/${txId}`)
  }
}
