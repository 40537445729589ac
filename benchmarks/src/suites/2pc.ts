/**
 * @synod/2pc: the pure coordinator and participant cores with synchronous
 * delivery (the protocol's own cost, no I/O), and the drivers over the
 * in-process MemoryNetwork with in-memory storage (protocol plus in-process
 * delivery). Every transaction commits (all participants vote yes). No npm
 * package offers two-phase commit over a pluggable transport (`transactor-db-rest`
 * 0.0.1 is tied to its REST server; `@oracle/microtx` is a client of Oracle's
 * transaction manager service), so no case has a peer.
 */
import {
  CoordinatorCore,
  MemoryStorage,
  ParticipantCore,
  TwoPhaseCoordinator,
  type TwoPhaseMessage,
  TwoPhaseParticipant,
} from '@synod/2pc'
import { MemoryNetwork } from '@synod/transport'
import type { BenchCase, BenchSuite } from '../harness.js'

const NO_PEER = 'no npm peer: no published package runs two-phase commit over a pluggable transport'
const CORE_TRANSACTIONS = 20_000
const DRIVER_TRANSACTIONS = 4_000
const CONCURRENCY = 64
const PAYLOAD = new Uint8Array(32)

/** Both cores alone: every message delivered synchronously; transactions per second. */
function coreCase(participantCount: number): number {
  const ids = Array.from({ length: participantCount }, (_, i) => `p${i}`)
  const coordinator = new CoordinatorCore({ id: 'c', maxTransactions: CORE_TRANSACTIONS })
  const participants = new Map(ids.map((id) => [id, new ParticipantCore({ id })]))
  const payloads = Object.fromEntries(ids.map((id) => [id, PAYLOAD]))
  let records = 0
  const start = performance.now()
  for (let i = 0; i < CORE_TRANSACTIONS; i++) {
    coordinator.begin(`tx-${i}`, ids, payloads)
    for (let moved = true; moved; ) {
      moved = false
      if (coordinator.hasReady()) {
        const ready = coordinator.ready()
        records += ready.records.length
        for (const { to, message } of ready.messages) participants.get(to)?.step('c', message)
        moved = true
      }
      for (const [id, participant] of participants) {
        if (!participant.hasReady()) continue
        const ready = participant.ready()
        records += ready.records.length
        for (const { txId } of ready.prepares) participant.vote(txId, 'yes')
        for (const { message } of ready.messages) coordinator.step(id, message)
        moved = true
      }
    }
  }
  const elapsed = performance.now() - start
  if (coordinator.size !== 0 || records === 0)
    throw new Error('the benchmark transactions did not all finish')
  return CORE_TRANSACTIONS / (elapsed / 1000)
}

/** The drivers over MemoryNetwork, `CONCURRENCY` transactions in flight; transactions per second. */
async function driverCase(participantCount: number): Promise<number> {
  const network = new MemoryNetwork<TwoPhaseMessage>()
  const ids = Array.from({ length: participantCount }, (_, i) => `p${i}`)
  const participants = ids.map(
    (id) =>
      new TwoPhaseParticipant({
        transport: network.join(id),
        storage: new MemoryStorage(),
        resource: { prepare: () => 'yes', finish: () => {} },
      }),
  )
  const coordinator = new TwoPhaseCoordinator({ transport: network.join('c'), storage: new MemoryStorage() })
  const payloads = Object.fromEntries(ids.map((id) => [id, PAYLOAD]))
  let next = 0
  let commits = 0
  const start = performance.now()
  const worker = async () => {
    while (next < DRIVER_TRANSACTIONS) {
      const { decision } = await coordinator.run(`tx-${next++}`, ids, payloads)
      if (decision === 'commit') commits++
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker))
  const elapsed = performance.now() - start
  await Promise.all([coordinator.close(), ...participants.map((p) => p.close())])
  await network.close()
  if (commits !== DRIVER_TRANSACTIONS) throw new Error(`only ${commits} of ${DRIVER_TRANSACTIONS} committed`)
  return DRIVER_TRANSACTIONS / (elapsed / 1000)
}

const suite: BenchSuite = {
  core: '2pc',
  samples: 7,
  warmup: 2,
  cases(): BenchCase[] {
    return [
      {
        name: 'cores alone, 3 participants, synchronous delivery',
        unit: 'tx/s',
        run: () => coreCase(3),
        note: NO_PEER,
      },
      {
        name: 'cores alone, 5 participants, synchronous delivery',
        unit: 'tx/s',
        run: () => coreCase(5),
        note: NO_PEER,
      },
      {
        name: `drivers, 3 participants, ${CONCURRENCY} in flight (MemoryNetwork, memory storage)`,
        unit: 'tx/s',
        run: () => driverCase(3),
        note: NO_PEER,
      },
      {
        name: `drivers, 5 participants, ${CONCURRENCY} in flight (MemoryNetwork, memory storage)`,
        unit: 'tx/s',
        run: () => driverCase(5),
        note: NO_PEER,
      },
    ]
  },
}

export default suite
