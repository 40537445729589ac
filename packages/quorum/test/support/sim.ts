/** Glue between @synod/sim and the quorum drivers, for tests. */
import {
  flushMicrotasks,
  type NodeContext,
  type RunSimulationOptions,
  runSimulationAsync,
  type SimDisk,
  type Simulation,
} from '@synod/sim'
import { expect } from 'vitest'
import type { StoredRecord } from '../../src/core/register.js'
import type { Clock } from '../../src/node/clock.js'
import type { RegisterStorage } from '../../src/node/register.js'

/** A simulated node's clock: its local time and its timers (cancelled by a crash, deferred by a pause). */
export function nodeClock<M>(ctx: NodeContext<M>): Clock {
  return {
    now: () => ctx.now(),
    every(ms, callback) {
      const timer = ctx.every(ms, callback)
      return () => void timer.cancel()
    },
  }
}

/** A clock for a client outside the simulated nodes: virtual time, never crashed or paused. */
export function driverClock<M, N>(sim: Simulation<M, N>): Clock {
  return {
    now: () => sim.now,
    every(ms, callback) {
      let stopped = false
      let handle = sim.schedule(ms, function fire() {
        if (stopped) return
        handle = sim.schedule(ms, fire)
        callback()
      })
      return () => {
        stopped = true
        handle.cancel()
      }
    },
  }
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** A replica's records on its simulated disk: one JSON line per record, synced before the ack. */
export function diskStorage(disk: SimDisk, path = 'register.log'): RegisterStorage {
  return {
    load() {
      if (!disk.exists(path)) return []
      const records: StoredRecord[] = []
      for (const line of decoder.decode(disk.read(path)).split('\n')) {
        if (line === '') continue
        records.push(JSON.parse(line) as StoredRecord)
      }
      return records
    },
    save(records) {
      const created = !disk.exists(path)
      disk.append(path, encoder.encode(records.map((r) => `${JSON.stringify(r)}\n`).join('')))
      disk.sync(path)
      if (created) disk.syncDirectory()
    },
  }
}

/** Runs the simulation, event by event with microtasks flushed, until `done()` or `untilMs`. */
export async function runUntil<M, N>(
  sim: Simulation<M, N>,
  untilMs: number,
  done: () => boolean = () => false,
): Promise<void> {
  await flushMicrotasks()
  while (!done()) {
    const next = sim.scheduler.nextAtMs()
    if (next === undefined || next > untilMs) break
    sim.step()
    await flushMicrotasks()
  }
  if (!done() && sim.now < untilMs) sim.runUntil(untilMs)
  await flushMicrotasks()
}

/** Settles `promise` by running the simulation (at most until `untilMs`). */
export async function settle<T, M, N>(
  sim: Simulation<M, N>,
  promise: Promise<T>,
  untilMs: number,
): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  let outcome: { ok: true; value: T } | { ok: false; error: unknown } | undefined
  promise.then(
    (value) => {
      outcome = { ok: true, value }
    },
    (error: unknown) => {
      outcome = { ok: false, error }
    },
  )
  await runUntil(sim, untilMs, () => outcome !== undefined)
  if (outcome === undefined) throw new Error(`the operation did not settle by t=${untilMs}ms`)
  return outcome
}

/** A view of a transport that only sees the messages `accept` picks (several protocols on one transport). */
export function channel<M, S extends M>(
  transport: import('@synod/transport').Transport<M>,
  accept: (message: M) => message is S,
): import('@synod/transport').Transport<S> {
  return {
    localId: transport.localId,
    send: (to, message) => transport.send(to, message),
    onMessage: (handler) =>
      transport.onMessage((from, message) => {
        if (accept(message)) handler(from, message)
      }),
    close: () => transport.close(),
  }
}

/**
 * Runs one seed twice and expects the same trace. `build` makes fresh options for
 * each run: `checkDeterminismAsync` reuses one options object, and these runs keep
 * client state in it.
 */
export async function expectReplays<M, N>(build: () => RunSimulationOptions<M, N>): Promise<void> {
  const first = await runSimulationAsync(build())
  const second = await runSimulationAsync(build())
  expect(first.events).toBeGreaterThan(1_000)
  expect(second.traceHash).toBe(first.traceHash)
  expect(second.events).toBe(first.events)
}
