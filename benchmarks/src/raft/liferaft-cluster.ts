/**
 * The peer: `@markwylde/liferaft` (the most used npm Raft), three nodes in one
 * process with its in-memory log (levelup over memdown, the adapter its own tests
 * use), wired by an in-process transport that delivers on a later macrotask as
 * `MemoryNetwork` does. liferaft has no batch API and commits one entry per
 * append round trip; its `saveCommand` reads the last index and then writes, so
 * concurrent `command()` calls would race for the same index: the fastest safe
 * way to feed it is one `command()` awaited after another (each resolves once the
 * entry is stored locally and sent), which is what the pipelined case does.
 */
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)

interface LifeRaftNode {
  address: string
  state: number
  on(event: string, handler: (...args: never[]) => void): void
  emit(event: string, ...args: unknown[]): boolean
  join(
    address: string,
    write: (packet: unknown, callback: (error?: unknown, reply?: unknown) => void) => void,
  ): unknown
  command(command: unknown): Promise<void>
  end(): boolean
  log: { end(): unknown } | null
}
interface LifeRaftConstructor {
  new (options: Record<string, unknown>): LifeRaftNode
  LEADER: number
  STOPPED: number
}

const LifeRaft = require('@markwylde/liferaft') as LifeRaftConstructor
const LifeRaftLog = require('@markwylde/liferaft/log.js') as unknown
const memdown = require('memdown') as unknown

/** The installed version, for the results table. */
export const liferaftVersion = (require('@markwylde/liferaft/package.json') as { version: string }).version

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

export interface LifeRaftCluster {
  /** Proposes on the current leader; after a leader change, waits for the next one and retries. */
  command(command: { sequence: number; value: string }): Promise<void>
  /** Resolves when a node (the leader first) has committed the command with this sequence number. */
  waitCommitted(sequence: number): Promise<void>
  close(): Promise<void>
}

/**
 * Starts three liferaft nodes and waits for a leader. Election timeouts are 1–2 s
 * (its default is 150–300 ms), because both clusters share this process: while
 * ours runs a sample, liferaft's timers fire late and a short timeout would
 * depose its leader for reasons that are not its own.
 */
export async function startLifeRaftCluster(): Promise<LifeRaftCluster> {
  const ids = ['a', 'b', 'c']
  const nodes = new Map<string, LifeRaftNode>()
  for (const id of ids) {
    nodes.set(
      id,
      new LifeRaft({
        address: id,
        Log: LifeRaftLog,
        adapter: memdown,
        'election min': 1000,
        'election max': 2000,
        heartbeat: 100,
      }),
    )
  }
  for (const [id, node] of nodes) {
    node.on('error', () => {}) // stale-term and similar protocol chatter
    for (const other of ids) {
      if (other === id) continue
      node.join(other, (packet, callback) => {
        setImmediate(() => {
          const target = nodes.get(other)!
          if (target.state === LifeRaft.STOPPED) return
          target.emit('data', packet, (reply: unknown) => callback(undefined, reply))
        })
      })
    }
  }
  const leader = async (): Promise<LifeRaftNode> => {
    for (let waited = 0; ; waited += 20) {
      const found = [...nodes.values()].find((node) => node.state === LifeRaft.LEADER)
      if (found) return found
      if (waited > 10_000) throw new Error('liferaft: no leader after 10 s')
      await sleep(20)
    }
  }
  await leader()
  const seen = new Set<number>()
  const waiters = new Map<number, () => void>()
  for (const node of nodes.values()) {
    node.on('commit', ((command: { sequence: number }) => {
      seen.add(command.sequence)
      waiters.get(command.sequence)?.()
      waiters.delete(command.sequence)
    }) as (...args: never[]) => void)
  }
  return {
    command: async (command) => {
      for (let attempt = 0; ; attempt++) {
        try {
          return await (await leader()).command(command)
        } catch (error) {
          if (attempt > 100 || !(error instanceof Error) || error.message !== 'NOTLEADER') throw error
          await sleep(10)
        }
      }
    },
    waitCommitted: (sequence) =>
      seen.has(sequence)
        ? Promise.resolve()
        : new Promise((resolve, reject) => {
            const timer = setTimeout(() => {
              waiters.delete(sequence)
              reject(new Error(`liferaft: command ${sequence} not committed within 30 s`))
            }, 30_000)
            waiters.set(sequence, () => {
              clearTimeout(timer)
              resolve()
            })
          }),
    close: async () => {
      // liferaft's asynchronous handlers keep running after end() and reject with
      // "Database is not open" once the log is closed: let them drain first.
      for (const node of nodes.values()) {
        const log = node.log
        if (log) {
          const end = log.end.bind(log)
          log.end = () => setTimeout(end, 500)
        }
      }
      const swallow = (error: unknown) => {
        if (!(error instanceof Error) || !/not open|null/.test(error.message)) throw error
      }
      process.on('unhandledRejection', swallow)
      for (const node of nodes.values()) node.end()
      await sleep(1000)
      process.off('unhandledRejection', swallow)
    },
  }
}

let nextSequence = 0

/** Pipelined: `count` commands, each `command()` awaited before the next; entries/s once all committed. */
export async function liferaftPipelined(cluster: LifeRaftCluster, count: number, payloadBytes: number) {
  const value = 'x'.repeat(payloadBytes)
  const first = nextSequence
  const start = performance.now()
  for (let i = 0; i < count; i++) await cluster.command({ sequence: nextSequence++, value })
  for (let s = first; s < nextSequence; s++) await cluster.waitCommitted(s)
  return count / ((performance.now() - start) / 1000)
}

/** One synchronous client: each command awaited until committed on the leader; commands/s. */
export async function liferaftSynchronous(cluster: LifeRaftCluster, count: number, payloadBytes: number) {
  const value = 'x'.repeat(payloadBytes)
  const start = performance.now()
  for (let i = 0; i < count; i++) {
    const sequence = nextSequence++
    await cluster.command({ sequence, value })
    await cluster.waitCommitted(sequence)
  }
  return count / ((performance.now() - start) / 1000)
}
