/**
 * Seeded generation of linearizable key-value histories, for tests and
 * benchmarks of the checker.
 */
import { InvalidHistoryArgumentError } from './errors.js'
import type { KvInput, RegisterOutput, RegisterValue } from './models.js'
import type { Operation } from './types.js'

/**
 * Options of `generateKvHistory`.
 *
 * @example
 * ```ts
 * generateKvHistory({ seed: 7, operations: 10_000, keys: 10, processes: 20 })
 * ```
 */
export interface GenerateKvHistoryOptions {
  /** Replays the same history for the same options. */
  seed: number
  /** Invocations to generate (default 1,000). */
  operations?: number
  /** Keys `k0`…`k{n-1}` (default 10). */
  keys?: number
  /** Concurrent client processes (default 20). */
  processes?: number
  /** Values written are integers below this: a small range makes the search harder (default 5). */
  values?: number
  /** Longest time an operation takes, invocation to completion (default 10). */
  latencyMax?: number
  /** Share of operations whose outcome is unknown (`info`), half of which took effect (default 0.02). */
  infoRate?: number
}

function integer(value: number | undefined, fallback: number, name: string, minimum: number): number {
  const resolved = value ?? fallback
  if (!Number.isSafeInteger(resolved) || resolved < minimum) {
    throw new InvalidHistoryArgumentError(
      `${name}: expected an integer >= ${minimum}, got ${String(resolved)}`,
    )
  }
  return resolved
}

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

interface Planned {
  id: number
  process: number
  input: KvInput
  invokeTime: number
  completeTime: number
  /** When it takes effect on the store; Infinity when it never does. */
  effectTime: number
  unknown: boolean
  output: RegisterOutput
}

/**
 * Generates a linearizable key-value history from a real concurrent execution:
 * each process invokes operations one after another (reads, writes and cas on
 * random keys); each operation takes effect on a store at one instant between
 * its invocation and its completion, and its output is what the store gave
 * then. A cas compares against the value it finds when it takes effect (so it
 * succeeds, and the history has exactly `operations` operations); a few
 * operations end `info`, half of which did take effect. Keys start at `null`.
 *
 * @param options - seed, size and shape of the history.
 * @returns the operations, as `HistoryRecorder.operations()` would.
 * @throws InvalidHistoryArgumentError for out-of-range options.
 * @example
 * ```ts
 * const operations = generateKvHistory({ seed: 1, operations: 10_000, keys: 10 })
 * checkLinearizability(operations, kvModel).result // 'ok'
 * ```
 */
export function generateKvHistory(options: GenerateKvHistoryOptions): Operation<KvInput, RegisterOutput>[] {
  const seed = integer(options.seed, 0, 'seed', Number.MIN_SAFE_INTEGER)
  const count = integer(options.operations, 1000, 'operations', 0)
  const keys = integer(options.keys, 10, 'keys', 1)
  const processes = integer(options.processes, 20, 'processes', 1)
  const values = integer(options.values, 5, 'values', 1)
  const latencyMax = options.latencyMax ?? 10
  if (!(latencyMax > 0) || !Number.isFinite(latencyMax)) {
    throw new InvalidHistoryArgumentError(
      `latencyMax: expected a finite number > 0, got ${String(latencyMax)}`,
    )
  }
  const infoRate = options.infoRate ?? 0.02
  if (!(infoRate >= 0 && infoRate <= 1)) {
    throw new InvalidHistoryArgumentError(`infoRate: expected a number in [0, 1], got ${String(infoRate)}`)
  }
  const random = seededRandom(seed)
  const cursor = new Array<number>(processes).fill(0)
  const planned: Planned[] = []
  for (let id = 0; id < count; id++) {
    // the process that is free earliest invokes next
    let process = 0
    for (let p = 1; p < processes; p++) if (cursor[p]! < cursor[process]!) process = p
    const invokeTime = cursor[process]! + random() * 2
    const latency = random() * latencyMax
    const completeTime = invokeTime + latency
    const effectAt = invokeTime + random() * latency
    const key = `k${Math.floor(random() * keys)}`
    const roll = random()
    let input: KvInput
    if (roll < 0.5) input = { type: 'read', key }
    else if (roll < 0.8) input = { type: 'write', key, value: Math.floor(random() * values) }
    else input = { type: 'cas', key, from: Math.floor(random() * values), to: Math.floor(random() * values) }
    const unknown = random() < infoRate
    const tookEffect = !unknown || random() < 0.5
    planned.push({
      id,
      process,
      input,
      invokeTime,
      completeTime,
      effectTime: tookEffect ? effectAt : Number.POSITIVE_INFINITY,
      unknown,
      output: undefined,
    })
    cursor[process] = completeTime
  }
  // run the store in effect order
  const store = new Map<string, RegisterValue>()
  const byEffect = planned.filter((operation) => operation.effectTime !== Number.POSITIVE_INFINITY)
  byEffect.sort((a, b) => a.effectTime - b.effectTime)
  for (const operation of byEffect) {
    const input = operation.input
    const current = store.get(input.key) ?? null
    if (input.type === 'read') operation.output = { value: current }
    else if (input.type === 'write') store.set(input.key, input.value)
    else if (input.type === 'cas') {
      // the client compares against what is there when it takes effect, so every cas that
      // takes effect succeeds and the history keeps exactly `operations` operations
      operation.input = { ...input, from: current }
      store.set(input.key, input.to)
    }
  }
  const result: Operation<KvInput, RegisterOutput>[] = []
  for (const operation of planned) {
    if (operation.unknown) {
      result.push({
        id: operation.id,
        process: operation.process,
        input: operation.input,
        invokeTime: operation.invokeTime,
        completeTime: Number.POSITIVE_INFINITY,
        outcome: { type: 'info' },
      })
    } else {
      result.push({
        id: operation.id,
        process: operation.process,
        input: operation.input,
        invokeTime: operation.invokeTime,
        completeTime: operation.completeTime,
        outcome: { type: 'ok', output: operation.output },
      })
    }
  }
  return result
}
