/**
 * `pnpm bench raft`: Raft throughput and latency.
 *
 * - In one process: the bare core loop (no driver, no I/O), then three `RaftNode`s on a
 *   `MemoryNetwork` with `MemoryStorage` (batched proposals, and one synchronous client),
 *   side by side with `@markwylde/liferaft` on the same in-process workload.
 * - Three processes on 127.0.0.1 with `FileStorage` (real fsync), over plain TCP and then
 *   over libp2p: writes/s at saturation, then p50/p99 latency of an open-loop client at 80%
 *   of that rate.
 */
import type { BenchCase, BenchSuite } from '../harness.js'
import { coreLoopEntriesPerSecond } from '../raft/core-loop.js'
import { fsyncMedianMs } from '../raft/fsync-probe.js'
import {
  type LifeRaftCluster,
  liferaftPipelined,
  liferaftSynchronous,
  liferaftVersion,
  startLifeRaftCluster,
} from '../raft/liferaft-cluster.js'
import {
  batchedEntriesPerSecond,
  type MemoryCluster,
  startMemoryCluster,
  synchronousCommandsPerSecond,
} from '../raft/memory-cluster.js'
import { KEY_SPACE, ProcessCluster, quantile } from '../raft/process-cluster.js'

const PAYLOAD_BYTES = 16
const BATCH_SIZE = 1000
/** Entries per sample of the core loop (≈ 0.2–0.5 s). */
const CORE_LOOP_ENTRIES = 500_000
/** Entries per sample through the driver, and batches kept in flight. */
const DRIVER_ENTRIES = 500_000
const DRIVER_WINDOW_BATCHES = 16
/** Commands per sample of the synchronous client. */
const SYNCHRONOUS_COMMANDS = 20_000
/** liferaft commits one entry per append round trip: smaller samples keep it near 1 s. */
const LIFERAFT_PIPELINED_COMMANDS = 2_000
const LIFERAFT_SYNCHRONOUS_COMMANDS = 300
/** Process cluster: closed-loop window for saturation, and sample durations. */
const PROCESS_BATCH_SIZE = 256
const PROCESS_WINDOW_BATCHES = 32
const SATURATION_MS = 2_000
const OPEN_LOOP_MS = 3_000
const OPEN_LOOP_LOAD = 0.8
/** The fixed open-loop rate of the extra TCP cases (the throughput target). */
const FIXED_RATE = 50_000
/** Election timeout of the process cluster: 10 ms ticks × 50 (0.5–1 s, etcd's default is 1 s). */
const PROCESS_TICK_MS = 10
const PROCESS_ELECTION_TICKS = 50

type ProcessTransport = 'tcp' | 'libp2p'

let memoryCluster: MemoryCluster | undefined
let liferaftCluster: LifeRaftCluster | undefined
let processCluster: { transport: ProcessTransport; cluster: ProcessCluster } | undefined
const saturationSamples: Record<ProcessTransport, number[]> = { tcp: [], libp2p: [] }

async function inProcess(): Promise<{ ours: MemoryCluster; peer: LifeRaftCluster }> {
  memoryCluster ??= await startMemoryCluster()
  liferaftCluster ??= await startLifeRaftCluster()
  return { ours: memoryCluster, peer: liferaftCluster }
}

/** The process cluster on `transport`; anything else running is stopped first (2 cores). */
async function processes(transport: ProcessTransport): Promise<ProcessCluster> {
  // the in-process clusters tick on timers: stop them before measuring processes
  await memoryCluster?.close()
  memoryCluster = undefined
  await liferaftCluster?.close()
  liferaftCluster = undefined
  if (processCluster !== undefined && processCluster.transport !== transport) {
    await processCluster.cluster.close()
    processCluster = undefined
  }
  processCluster ??= {
    transport,
    cluster: await ProcessCluster.start({
      hostPath: new URL('../raft/host.js', import.meta.url).pathname,
      transport,
      tickMs: PROCESS_TICK_MS,
      electionTicks: PROCESS_ELECTION_TICKS,
    }),
  }
  return processCluster.cluster
}

/** Runs one process-cluster workload and reports any failover it went through. */
async function onProcesses<T>(
  transport: ProcessTransport,
  workload: (cluster: ProcessCluster) => Promise<T>,
): Promise<T> {
  const cluster = await processes(transport)
  const before = cluster.leaderChanges
  const result = await workload(cluster)
  const changes = cluster.leaderChanges - before
  if (changes > 0)
    console.warn(`\n  raft: ${changes} write(s) hit a deposed leader and were retried (leader change)`)
  return result
}

function openLoopRate(transport: ProcessTransport): number {
  const samples = saturationSamples[transport]
  if (samples.length === 0) throw new Error('open loop: run the saturation case first')
  // the first sample is the warm-up (cold JIT, fresh connections)
  const measured = samples.length > 1 ? samples.slice(1) : samples
  const sorted = [...measured].sort((a, b) => a - b)
  return OPEN_LOOP_LOAD * sorted[Math.floor(sorted.length / 2)]!
}

const TRANSPORT_LABEL: Record<ProcessTransport, string> = {
  tcp: 'TCP (@synod/transport-tcp)',
  libp2p: 'libp2p (Noise + Yamux)',
}

/** The `q` quantile of an open loop's latencies on `transport`, at the rate `rate()` gives when it runs. */
function latencyCase(
  transport: ProcessTransport,
  q: 0.5 | 0.99,
  load: string,
  rate: () => number,
  extra: { note?: string },
): BenchCase {
  return {
    name: `3 processes, ${TRANSPORT_LABEL[transport]}, FileStorage: p${q * 100} latency, open loop at ${load}`,
    unit: 'ms',
    lowerIsBetter: true,
    run: async () =>
      quantile(await onProcesses(transport, (cluster) => cluster.openLoop(rate(), OPEN_LOOP_MS)), q),
    ...extra,
  }
}

/** The `q` quantile of the open loop at `FIXED_RATE` run inside the leader's process (TCP). */
function inLeaderLatencyCase(q: 0.5 | 0.99, extra: { note?: string }): BenchCase {
  return {
    name: `3 processes, ${TRANSPORT_LABEL.tcp}, FileStorage: p${q * 100} latency, open loop at a fixed ${FIXED_RATE / 1000}k writes/s generated in the leader`,
    unit: 'ms',
    lowerIsBetter: true,
    run: async () =>
      quantile(await onProcesses('tcp', (cluster) => cluster.openLoopInLeader(FIXED_RATE, OPEN_LOOP_MS)), q),
    ...extra,
  }
}

function processCases(transport: ProcessTransport, fsyncMs: number): BenchCase[] {
  const label = TRANSPORT_LABEL[transport]
  return [
    {
      name: `3 processes, ${label} on 127.0.0.1, FileStorage (fsync): writes/s at saturation`,
      unit: 'writes/s',
      run: async () => {
        const value = await onProcesses(transport, (cluster) =>
          cluster.saturation(SATURATION_MS, PROCESS_BATCH_SIZE, PROCESS_WINDOW_BATCHES),
        )
        saturationSamples[transport].push(value)
        return value
      },
      note: `fsync of 64 B measured at the start of this run: median ${fsyncMs.toFixed(2)} ms (a write waits for two in series: the leader's and a follower's). A client in the parent process keeps ${PROCESS_WINDOW_BATCHES} batches of ${PROCESS_BATCH_SIZE} puts (16 B) in flight to the leader over IPC; a write counts once committed (fsynced on a majority) and applied on the leader. Puts cycle over ${KEY_SPACE} keys, so state and snapshots (the driver's default, every 10,000 entries) stay bounded. No npm peer here: liferaft ships no transport (its example opens a TCP connection per message and parses each chunk as one JSON packet), and its LevelDB log writes without sync, so it cannot run this durable workload as is.`,
    },
    latencyCase(transport, 0.5, `${OPEN_LOOP_LOAD * 100}% of saturation`, () => openLoopRate(transport), {
      note: `writes due at a fixed rate (${OPEN_LOOP_LOAD * 100}% of the median saturation sample of the same transport), sent every ~1 ms in one IPC message; latency from the moment a write was due to its acknowledgement, so it includes up to ~1 ms of client batching and the IPC hops.`,
    }),
    latencyCase(transport, 0.99, `${OPEN_LOOP_LOAD * 100}% of saturation`, () => openLoopRate(transport), {
      note: 'election timeout 0.5–1 s; writes refused by a deposed leader are retried on the new one and every leader change during the run is printed.',
    }),
    ...(transport === 'tcp'
      ? [
          latencyCase(transport, 0.5, `a fixed ${FIXED_RATE / 1000}k writes/s`, () => FIXED_RATE, {
            note: 'the rate of the issue target (50k writes/s with p99 < 5 ms), whatever the saturation rate: the latency curve at lower load than 80%.',
          }),
          latencyCase(transport, 0.99, `a fixed ${FIXED_RATE / 1000}k writes/s`, () => FIXED_RATE, {}),
          inLeaderLatencyCase(0.5, {
            note: 'the same open loop run inside the leader process (no client process, no IPC hop), as dragonboat measures: three processes share the two cores instead of four.',
          }),
          inLeaderLatencyCase(0.99, {}),
        ]
      : []),
  ]
}

const peerName = '@markwylde/liferaft'

const suite: BenchSuite = {
  core: 'raft',
  samples: 5,
  warmup: 1,
  cases: (): BenchCase[] => {
    const fsyncMs = fsyncMedianMs()
    return [
      {
        name: `core loop, 3 cores in one process, no driver: batches of ${BATCH_SIZE} × ${PAYLOAD_BYTES} B`,
        unit: 'entries/s',
        run: () => coreLoopEntriesPerSecond(CORE_LOOP_ENTRIES, BATCH_SIZE, PAYLOAD_BYTES),
        note: 'RaftCore only: Ready → deliver → advance in a synchronous loop, no storage, no Promises. The ceiling for the driver cases below.',
      },
      {
        name: `RaftNode × 3 in one process (MemoryNetwork, MemoryStorage): batches of ${BATCH_SIZE} × ${PAYLOAD_BYTES} B`,
        unit: 'entries/s',
        run: async () =>
          batchedEntriesPerSecond(
            (await inProcess()).ours,
            DRIVER_ENTRIES,
            BATCH_SIZE,
            DRIVER_WINDOW_BATCHES,
            PAYLOAD_BYTES,
          ),
        peer: {
          name: peerName,
          version: liferaftVersion,
          run: async () =>
            liferaftPipelined((await inProcess()).peer, LIFERAFT_PIPELINED_COMMANDS, PAYLOAD_BYTES),
        },
        note: `ours: ${DRIVER_WINDOW_BATCHES} proposeBatch calls in flight, counted when the leader has applied them. liferaft has no batch API and replicates one entry per append round trip; concurrent command() calls race for the same log index in its saveCommand, so it gets one command() awaited after another (pipelined: each resolves once stored locally and sent), on its in-memory log (levelup + memdown, as in its own tests), counted on the leader's commit event.`,
      },
      {
        name: `RaftNode × 3 in one process (MemoryNetwork, MemoryStorage): one synchronous client, ${PAYLOAD_BYTES} B`,
        unit: 'ops/s',
        run: async () =>
          synchronousCommandsPerSecond((await inProcess()).ours, SYNCHRONOUS_COMMANDS, PAYLOAD_BYTES),
        peer: {
          name: peerName,
          version: liferaftVersion,
          run: async () =>
            liferaftSynchronous((await inProcess()).peer, LIFERAFT_SYNCHRONOUS_COMMANDS, PAYLOAD_BYTES),
        },
        note: 'one propose awaited at a time until committed and applied on the leader (liferaft: command() then its commit event).',
      },
      ...processCases('tcp', fsyncMs),
      ...processCases('libp2p', fsyncMs),
    ]
  },
  teardown: async () => {
    await memoryCluster?.close()
    await liferaftCluster?.close()
    await processCluster?.cluster.close()
    memoryCluster = undefined
    liferaftCluster = undefined
    processCluster = undefined
  },
}

export default suite
