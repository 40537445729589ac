/**
 * The parent side of the 3-process benchmark: forks three `host.js` processes
 * (each a `RaftNode` with `FileStorage` and a libp2p or TCP transport on 127.0.0.1),
 * finds the leader, and drives client load to it over the IPC channel.
 */
import { type ChildProcess, fork } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { HostReply, HostRequest } from './host.js'
import { COMMAND_BYTES, openLoop, putCommands } from './load.js'

export { COMMAND_BYTES, KEY_SPACE } from './load.js'

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (address === null || typeof address === 'string') throw new Error('freePort: no port')
  return address.port
}

interface Host {
  id: string
  child: ChildProcess
  pending: Map<number, { resolve: (reply: HostReply) => void; reject: (error: Error) => void }>
}

export interface ProcessClusterOptions {
  hostPath: string
  transport: 'libp2p' | 'tcp'
  tickMs?: number
  electionTicks?: number
  /** The driver's default (10,000) when omitted. */
  snapshotEveryEntries?: number
}

export class ProcessCluster {
  private readonly hosts: Host[]
  private readonly directory: string
  private nextRequestId = 0
  /** Puts of `COMMAND_BYTES`, end to end, on the next keys of the key space. */
  private readonly puts = putCommands()
  private current: Promise<Host> | undefined
  /** Writes refused by a node that was no longer the leader, and then retried on the new one. */
  leaderChanges = 0

  private constructor(hosts: Host[], directory: string) {
    this.hosts = hosts
    this.directory = directory
  }

  static async start(options: ProcessClusterOptions): Promise<ProcessCluster> {
    const ids = ['a', 'b', 'c']
    const directory = mkdtempSync(join(tmpdir(), 'synod-raft-bench-'))
    const seeds = ids.map(() => randomBytes(32).toString('hex'))
    const ports: number[] = []
    for (const _ of ids) ports.push(await freePort())
    const hosts: Host[] = ids.map((id) => {
      const child = fork(options.hostPath, [], {
        execArgv: [],
        serialization: 'advanced',
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      })
      const host: Host = { id, child, pending: new Map() }
      return host
    })
    const cluster = new ProcessCluster(hosts, directory)
    try {
      await Promise.all(
        hosts.map(
          (host) =>
            new Promise<void>((resolve, reject) => {
              host.child.once('exit', (code, signal) => {
                const error = new Error(`raft host ${host.id} exited with ${signal ?? code}`)
                // nothing it still owes will come: fail the benchmark rather than hang it
                for (const { reject: fail } of host.pending.values()) fail(error)
                host.pending.clear()
                reject(error)
              })
              host.child.on('message', (reply: HostReply) => {
                if (reply.type === 'started') resolve()
                else if (reply.type === 'failed') reject(new Error(`raft host ${host.id}: ${reply.error}`))
                else {
                  host.pending.get(reply.requestId)?.resolve(reply)
                  host.pending.delete(reply.requestId)
                }
              })
              const start: HostRequest = {
                type: 'start',
                id: host.id,
                ids,
                seeds,
                ports,
                transport: options.transport,
                directory: join(directory, host.id),
                tickMs: options.tickMs ?? 10,
                electionTicks: options.electionTicks ?? 10,
                ...(options.snapshotEveryEntries === undefined
                  ? {}
                  : { snapshotEveryEntries: options.snapshotEveryEntries }),
              }
              host.child.send(start)
            }),
        ),
      )
    } catch (error) {
      await cluster.close()
      throw error
    }
    return cluster
  }

  private request(host: Host, request: HostRequest & { requestId: number }): Promise<HostReply> {
    return new Promise((resolve, reject) => {
      if (!host.child.connected) return reject(new Error(`raft host ${host.id} is not running`))
      host.pending.set(request.requestId, { resolve, reject })
      host.child.send(request)
    })
  }

  /** Waits until every node names the same leader and that leader commits a write. */
  private async findLeader(): Promise<Host> {
    for (let waited = 0; waited < 20_000; waited += 50) {
      const statuses = await Promise.all(
        this.hosts.map((host) => this.request(host, { type: 'status', requestId: this.nextRequestId++ })),
      )
      const leaders = new Set(statuses.map((status) => (status.type === 'status' ? status.leader : null)))
      const [leaderId] = leaders
      const leader = this.hosts.find((host) => host.id === leaderId)
      if (leaders.size === 1 && leader) {
        const probe = await this.send(leader, this.puts.next(1))
        if (probe.ok) return leader
      }
      await sleep(50)
    }
    throw new Error('process cluster: no stable leader after 20 s')
  }

  /** The current leader; `refresh` looks again (once, however many callers ask at the same time). */
  leader(refresh?: Host): Promise<Host> {
    if (this.current === undefined) this.current = this.findLeader()
    else if (refresh !== undefined) {
      const stale = this.current
      this.current = stale.then((host) => (host === refresh ? this.findLeader() : host))
    }
    return this.current
  }

  private async send(host: Host, commands: Uint8Array): Promise<{ ok: boolean; error?: string }> {
    const reply = await this.request(host, {
      type: 'propose',
      requestId: this.nextRequestId++,
      commands,
      commandBytes: COMMAND_BYTES,
    })
    if (reply.type !== 'proposed') throw new Error(`raft host ${host.id}: unexpected reply ${reply.type}`)
    return reply
  }

  /**
   * Proposes `count` fresh puts as one batch to the leader; resolves once they
   * are committed and applied there. A refusal by a node that is no longer the
   * leader (definite: nothing was appended) is retried on the new leader, so the
   * latency of such a write includes the failover; any other failure throws.
   */
  async write(count: number): Promise<void> {
    const commands = this.puts.next(count)
    for (let attempt = 0; ; attempt++) {
      const leader = await this.leader()
      const result = await this.send(leader, commands)
      if (result.ok) return
      if (attempt >= 20 || !result.error?.startsWith('NotLeaderError'))
        throw new Error(`raft host ${leader.id}: a write failed: ${result.error}`)
      this.leaderChanges++
      await this.leader(leader)
    }
  }

  /**
   * Closed loop at saturation: `windowBatches` batches of `batchSize` in flight for
   * `durationMs`; acknowledged writes/s.
   */
  async saturation(durationMs: number, batchSize: number, windowBatches: number): Promise<number> {
    await this.leader()
    let acknowledged = 0
    const start = performance.now()
    const end = start + durationMs
    const worker = async () => {
      while (performance.now() < end) {
        await this.write(batchSize)
        acknowledged += batchSize
      }
    }
    await Promise.all(Array.from({ length: windowBatches }, worker))
    return acknowledged / ((performance.now() - start) / 1000)
  }

  /** The open loop of `load.ts`, from this (the parent) process: each batch is one IPC message to the leader. */
  async openLoop(ratePerSecond: number, durationMs: number): Promise<Float64Array> {
    await this.leader()
    return openLoop(ratePerSecond, durationMs, (count) => this.write(count))
  }

  /**
   * The same open loop run inside the leader's process (no client process, no IPC hop),
   * as dragonboat measures its latency. A leader change during the run fails it.
   */
  async openLoopInLeader(ratePerSecond: number, durationMs: number): Promise<Float64Array> {
    const leader = await this.leader()
    const reply = await this.request(leader, {
      type: 'load',
      requestId: this.nextRequestId++,
      rate: ratePerSecond,
      durationMs,
    })
    if (reply.type !== 'loaded' || reply.latencies === undefined)
      throw new Error(
        `raft host ${leader.id}: the in-leader load failed: ${reply.type === 'loaded' ? reply.error : reply.type}`,
      )
    return reply.latencies
  }

  async close(): Promise<void> {
    await Promise.all(
      this.hosts.map(
        (host) =>
          new Promise<void>((resolve) => {
            if (host.child.exitCode !== null || host.child.signalCode !== null) return resolve()
            const timer = setTimeout(() => host.child.kill('SIGKILL'), 5000)
            host.child.once('exit', () => {
              clearTimeout(timer)
              resolve()
            })
            host.child.send({ type: 'stop' } satisfies HostRequest)
          }),
      ),
    )
    rmSync(this.directory, { recursive: true, force: true })
  }
}

/** The `q` quantile (0..1) of sorted values. */
export function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
}
