/**
 * A real crash: a child process saves batches and snapshots as fast as it can,
 * announcing each operation before it starts and acknowledging it once `save`
 * (or `finish`) resolved; the test kills it with SIGKILL at a random moment,
 * reopens the directory, and checks that every acknowledged operation is there,
 * byte for byte. The one operation in flight may or may not have landed, but
 * never half of it.
 *
 * The child runs on bare Node, so it imports the BUILT package
 * (packages/raft/dist/index.js, built by the root pipeline before tests).
 * SYNOD_RAFT_CRASH_MODULE may point it at another build of the same exports.
 * Replay a run with SYNOD_CRASH_SEED=<seed>.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, expect, it } from 'vitest'
import type { HardState } from '../../src/core/types.js'
import { FileStorage } from '../../src/storage/file-storage.js'
import type { PersistedState } from '../../src/storage/types.js'

const packageRoot = fileURLToPath(new URL('../../', import.meta.url))
const modulePath = process.env.SYNOD_RAFT_CRASH_MODULE ?? join(packageRoot, 'dist', 'index.js')
const childScript = fileURLToPath(new URL('./fixtures/crash-child.mjs', import.meta.url))
const ROUNDS = 6

type Operation =
  | { op: 'save'; first: number; last: number; term: number; hardState: HardState }
  | { op: 'snapshot'; index: number; term: number; size: number }

interface Model {
  hardState: HardState
  snapshot: { index: number; term: number; size: number } | null
  /** Terms of the entries after the snapshot, in order. */
  terms: number[]
}

function apply(model: Model, operation: Operation): Model {
  const snapshotIndex = model.snapshot?.index ?? 0
  if (operation.op === 'save') {
    const terms = model.terms.slice(0, operation.first - snapshotIndex - 1)
    for (let index = operation.first; index <= operation.last; index++) terms.push(operation.term)
    return { hardState: operation.hardState, snapshot: model.snapshot, terms }
  }
  return {
    hardState: model.hardState,
    snapshot: { index: operation.index, term: operation.term, size: operation.size },
    terms: model.terms.slice(operation.index - snapshotIndex),
  }
}

function entryData(index: number, term: number): Uint8Array {
  return new TextEncoder().encode(`${index}:${term}:${'x'.repeat((index * 7) % 50)}`)
}

/** The model of what `state` holds, or a description of the first byte that differs from any model. */
function modelOf(state: PersistedState): Model | string {
  const snapshotIndex = state.snapshot?.index ?? 0
  const terms: number[] = []
  for (const [i, entry] of state.entries.entries()) {
    if (entry.index !== snapshotIndex + 1 + i) return `entry ${i} has index ${entry.index}`
    if (entry.kind !== 'normal') return `entry ${entry.index} has kind ${entry.kind}`
    const expected = entryData(entry.index, entry.term)
    if (Buffer.compare(Buffer.from(entry.data), Buffer.from(expected)) !== 0) {
      return `entry ${entry.index} has damaged data`
    }
    terms.push(entry.term)
  }
  const snapshot = state.snapshot && {
    index: state.snapshot.index,
    term: state.snapshot.term,
    size: state.snapshot.sizeBytes,
  }
  return { hardState: state.hardState, snapshot, terms }
}

function waitForExit(child: ChildProcess): Promise<{ code: number | null; signal: string | null }> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve({ code: child.exitCode, signal: child.signalCode })
    } else child.once('exit', (code, signal) => resolve({ code, signal }))
  })
}

const directories: string[] = []
const children: ChildProcess[] = []
afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await waitForExit(child)
  }
  for (const directory of directories.splice(0)) await rm(directory, { recursive: true, force: true })
})

it('loses no acknowledged save when the writing process is killed with SIGKILL', async () => {
  if (!existsSync(modulePath)) {
    throw new Error(
      `${modulePath} is missing: the crash test runs a child on bare Node against the built package; run \`pnpm --filter @synod/raft build\` first`,
    )
  }
  const seed = Number(process.env.SYNOD_CRASH_SEED ?? Date.now() % 2 ** 31)
  let rng = seed || 1
  const random = () => {
    rng = (rng * 1103515245 + 12345) % 2 ** 31
    return rng / 2 ** 31
  }
  const directory = await mkdtemp(join(tmpdir(), 'synod-raft-kill-'))
  directories.push(directory)
  let model: Model = { hardState: { term: 0, votedFor: null, commit: 0 }, snapshot: null, terms: [] }
  let acknowledged = 0
  let snapshots = 0
  let inFlightLanded = 0

  for (let round = 0; round < ROUNDS; round++) {
    const context = `seed ${seed}, round ${round} (replay: SYNOD_CRASH_SEED=${seed})`
    const child = spawn(process.execPath, [childScript, modulePath, directory, String(seed + round)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    children.push(child)
    let stdout = ''
    let stderr = ''
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8')
    })
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8')
    })
    const exited = waitForExit(child)
    const ready = await Promise.race([
      new Promise<boolean>((resolve) => {
        const check = () => (stdout.includes('"op":"ready"') ? resolve(true) : setTimeout(check, 5))
        check()
      }),
      exited.then(() => false),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 20_000)),
    ])
    if (!ready) {
      throw new Error(
        `the crash child did not start (${context}); does ${modulePath} export FileStorage? stderr:\n${stderr}`,
      )
    }
    await new Promise((resolve) => setTimeout(resolve, 40 + random() * 260))
    child.kill('SIGKILL')
    const { signal } = await exited
    expect(signal, `the child must die by SIGKILL, not exit by itself (${context}); stderr:\n${stderr}`).toBe(
      'SIGKILL',
    )

    const lines = stdout.split('\n')
    lines.pop() // the last line is empty or cut off by the kill
    const operations = lines.map((line) => JSON.parse(line) as Operation | { op: 'ready' | 'ack' })
    let acked = model
    let pending: Operation | null = null
    for (const operation of operations) {
      if (operation.op === 'ready') continue
      if (operation.op === 'ack') {
        if (pending === null) throw new Error(`an ack without an operation (${context})`)
        acked = apply(acked, pending)
        if (pending.op === 'snapshot') snapshots++
        acknowledged++
        pending = null
      } else pending = operation as Operation
    }

    const storage = await FileStorage.open(directory)
    try {
      const state = await storage.load()
      const found = modelOf(state)
      if (typeof found === 'string') throw new Error(`${found} (${context})`)
      const withPending = pending === null ? null : apply(acked, pending)
      if (withPending !== null && JSON.stringify(found) === JSON.stringify(withPending)) {
        inFlightLanded++
        model = withPending
      } else {
        expect(found, `recovered state must hold every acknowledged operation (${context})`).toEqual(acked)
        model = acked
      }
      if (model.snapshot !== null) {
        const data = await storage.readSnapshot(0, model.snapshot.size + 1)
        const expected = Uint8Array.from(
          { length: model.snapshot.size },
          (_, i) => (model.snapshot!.index * 31 + i) & 0xff,
        )
        expect(data, `snapshot data (${context})`).toEqual(expected)
      }
    } finally {
      await storage.close()
    }
  }
  // the test is only worth something if the child got real work done
  expect(acknowledged).toBeGreaterThan(ROUNDS * 5)
  console.log(
    `kill -9 test: seed ${seed}, ${ROUNDS} crashes, ${acknowledged} acknowledged operations (${snapshots} snapshots), in-flight operation landed ${inFlightLanded} times`,
  )
})
