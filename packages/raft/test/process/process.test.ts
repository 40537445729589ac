/**
 * Real processes: three RaftNodes (the built packages/raft/dist) each in its own
 * process, FileStorage with real fsync, libp2p over 127.0.0.1. Under write load,
 * `kill -9` the leader, then a follower, then the last node; restart them; every
 * acknowledged write must be read back through a linearizable read, on every node.
 */
import { type ChildProcess, fork } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, expect, it } from 'vitest'

const here = fileURLToPath(new URL('.', import.meta.url))
const hostPath = join(here, 'host.mjs')
const builds = [join(here, '../../dist/index.js'), join(here, '../../../transport-libp2p/dist/index.js')]

const ids = ['a', 'b', 'c']
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

interface Reply {
  type: string
  requestId?: number
  ok?: boolean
  error?: string
  status?: { role: string; term: number; leader: string | null; commitIndex: number }
  entries?: [string, string][]
}

interface Host {
  id: string
  child: ChildProcess | null
  pending: Map<number, (reply: Reply) => void>
}

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (address === null || typeof address === 'string') throw new Error('freePort: no port')
  return address.port
}

const directory = mkdtempSync(join(tmpdir(), 'synod-raft-process-'))
const hosts: Host[] = ids.map((id) => ({ id, child: null, pending: new Map() }))
let nextRequestId = 0
const log: string[] = []

afterAll(() => {
  for (const host of hosts) host.child?.kill('SIGKILL')
  rmSync(directory, { recursive: true, force: true })
})

function startHost(host: Host, seeds: string[], ports: number[]): Promise<void> {
  // plain Node running the built packages: not vitest's loader flags or `@synod/source` condition
  const child = fork(hostPath, [], {
    execArgv: [],
    env: { ...process.env, NODE_OPTIONS: '' },
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  host.child = child
  return new Promise((resolve, reject) => {
    child.on('message', (reply: Reply) => {
      if (reply.type === 'started') resolve()
      else if (reply.type === 'failed') reject(new Error(`host ${host.id}: ${reply.error}`))
      else if (reply.requestId !== undefined) {
        host.pending.get(reply.requestId)?.(reply)
        host.pending.delete(reply.requestId)
      }
    })
    child.once('exit', (code, signal) => {
      if (host.child === child) host.child = null
      // a dead process answers nothing: fail what it still owed
      for (const settle of host.pending.values())
        settle({ type: 'reply', ok: false, error: `exited (${signal ?? code})` })
      host.pending.clear()
      reject(new Error(`host ${host.id} exited with ${signal ?? code} before starting`))
    })
    child.send({
      type: 'start',
      id: host.id,
      ids,
      seeds,
      ports,
      directory: join(directory, host.id),
      snapshotEveryEntries: 3_000,
    })
  })
}

function request(host: Host, message: Record<string, unknown>, timeoutMs = 3_000): Promise<Reply> {
  const child = host.child
  if (!child?.connected) return Promise.resolve({ type: 'reply', ok: false, error: 'not running' })
  const requestId = nextRequestId++
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      host.pending.delete(requestId)
      resolve({ type: 'reply', ok: false, error: `no answer in ${timeoutMs} ms` })
    }, timeoutMs)
    host.pending.set(requestId, (reply) => {
      clearTimeout(timer)
      resolve(reply)
    })
    child.send({ ...message, requestId })
  })
}

/** The live host that leads in the highest term, waiting up to `timeoutMs`. */
async function leader(timeoutMs = 10_000): Promise<Host> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const statuses = await Promise.all(hosts.map((host) => request(host, { type: 'status' }, 1_000)))
    let best: { host: Host; term: number } | undefined
    statuses.forEach((reply, index) => {
      if (reply.ok && reply.status?.role === 'leader' && (!best || reply.status.term > best.term))
        best = { host: hosts[index]!, term: reply.status.term }
    })
    if (best) return best.host
    await sleep(50)
  }
  throw new Error(`no leader within ${timeoutMs} ms`)
}

function kill(host: Host): Promise<void> {
  const child = host.child
  if (!child) throw new Error(`host ${host.id} is not running`)
  return new Promise((resolve) => {
    child.once('exit', () => resolve())
    child.kill('SIGKILL')
  })
}

/**
 * Writers that keep proposing batches of fresh keys to the current leader. A key
 * is acknowledged only when its batch's proposeBatch resolved; failed or
 * unanswered batches are indeterminate and not checked.
 */
function startLoad(writers: number, batchSize: number) {
  /** key → the value its acknowledged put wrote */
  const acknowledged = new Map<string, string>()
  let attempted = 0
  let failed = 0
  let running = true
  let nextKey = 0
  let target: Host | undefined
  const writer = async () => {
    while (running) {
      try {
        target ??= await leader(5_000)
      } catch {
        continue
      }
      const keys = Array.from({ length: batchSize }, () => `k${nextKey++}`)
      const value = `v${keys[0]}`
      attempted += keys.length
      const reply = await request(target, { type: 'propose', keys, value })
      if (reply.ok) for (const key of keys) acknowledged.set(key, value)
      else {
        failed += keys.length
        target = undefined
        await sleep(20)
      }
    }
  }
  const done = Promise.all(Array.from({ length: writers }, writer))
  return {
    acknowledged,
    get attempted() {
      return attempted
    },
    get failed() {
      return failed
    },
    async stop() {
      running = false
      await done
    },
  }
}

/** Waits until at least `count` more writes are acknowledged than now. */
async function progress(load: { acknowledged: Map<string, string> }, count: number, timeoutMs = 10_000) {
  const goal = load.acknowledged.size + count
  const deadline = Date.now() + timeoutMs
  while (load.acknowledged.size < goal) {
    if (Date.now() > deadline)
      throw new Error(
        `writes stalled at ${load.acknowledged.size} acknowledged (wanted ${goal}): ${log.join('; ')}`,
      )
    await sleep(20)
  }
}

it('keeps every acknowledged write through kill -9 of the leader, a follower and the survivor', async () => {
  for (const file of builds) {
    if (!existsSync(file))
      throw new Error(
        `${file} is missing: build first (pnpm --filter @synod/raft --filter @synod/transport-libp2p build)`,
      )
  }
  const seeds = ids.map(() => randomBytes(32).toString('hex'))
  const ports: number[] = []
  for (const _ of ids) ports.push(await freePort())
  await Promise.all(hosts.map((host) => startHost(host, seeds, ports)))

  const load = startLoad(4, 20)
  await progress(load, 4_000)

  const first = await leader()
  log.push(`kill -9 leader ${first.id} at ${load.acknowledged.size} acknowledged`)
  await kill(first)
  await progress(load, 4_000)

  const second = await leader()
  const follower = hosts.find((host) => host !== second && host.child !== null)!
  log.push(`kill -9 follower ${follower.id} (leader ${second.id}) at ${load.acknowledged.size} acknowledged`)
  await kill(follower)
  await sleep(300) // one node of three is up: writes stall, in-flight ones fail or hang

  // The survivor goes down too, so the restarted pair must serve every write from
  // their own disks: those acknowledged since the first kill exist only on the
  // survivor and on the killed follower.
  log.push(`kill -9 the survivor ${second.id}; restart ${first.id} and ${follower.id}`)
  await kill(second)
  await Promise.all([startHost(first, seeds, ports), startHost(follower, seeds, ports)])
  await progress(load, 4_000)
  log.push(`restart ${second.id}`)
  await startHost(second, seeds, ports)
  await progress(load, 2_000)
  await load.stop()
  expect(load.acknowledged.size).toBeGreaterThanOrEqual(14_000)

  // every node serves a linearizable read holding every acknowledged write
  for (const host of hosts) {
    const reply = await request(host, { type: 'read' }, 10_000)
    expect(reply.error, `read on ${host.id}`).toBeUndefined()
    const present = new Map(reply.entries)
    const missing = [...load.acknowledged].filter(([key, value]) => present.get(key) !== value)
    expect(
      missing.length,
      `${host.id} lost or changed ${missing.slice(0, 10).join(', ')}… (${log.join('; ')})`,
    ).toBe(0)
  }
  console.log(
    `process test: ${load.acknowledged.size} acknowledged of ${load.attempted} attempted (${load.failed} failed or unknown); ${log.join('; ')}`,
  )
}, 60_000)
