/**
 * The linearizability checker: the Wing–Gong search with Lowe's memoisation, as
 * Porcupine and Knossos do it, over one partition of the history at a time.
 *
 * The history becomes a doubly-linked list of call and return events in time
 * order. The search walks it from the front: at a call it tries to linearize
 * that operation next (apply it to the model; if the model accepts it and the
 * pair (set of linearized operations, model state) was never seen before, the
 * operation's two events are unlinked and the walk restarts from the front). At
 * a return, the operation returning there should already have been linearized,
 * so the search backtracks: it relinks the last linearized operation and tries
 * the next call after it. It succeeds once every operation with a known outcome
 * is linearized (operations of unknown outcome may never have happened), and
 * fails when it must backtrack with nothing left to undo.
 */
import { InvalidHistoryArgumentError } from './errors.js'
import type { CheckOptions, CheckResult, Model, Operation, Outcome } from './types.js'

/**
 * The default time budget of a check: one minute.
 *
 * @example
 * ```ts
 * checkLinearizability(operations, registerModel, { timeBudgetMs: DEFAULT_TIME_BUDGET_MS / 6 })
 * ```
 */
export const DEFAULT_TIME_BUDGET_MS = 60_000
/**
 * The default number of explored (operations, state) pairs remembered per partition.
 *
 * @example
 * ```ts
 * checkLinearizability(operations, registerModel, { maxStates: DEFAULT_MAX_STATES * 2 })
 * ```
 */
export const DEFAULT_MAX_STATES = 2_000_000

/** How many search steps run between two looks at the clock. */
const STEPS_PER_CLOCK_CHECK = 1024

interface Entry<I, O> {
  /** The operation's index within its partition; -1 for the list's sentinels. */
  index: number
  isCall: boolean
  time: number
  input: I | undefined
  outcome: Outcome<O> | undefined
  definite: boolean
  /** For a call, its return; for a return, its call. */
  match: Entry<I, O> | undefined
  previous: Entry<I, O> | undefined
  next: Entry<I, O> | undefined
}

type PartitionVerdict =
  | { result: 'ok' }
  | { result: 'illegal'; longestLinearized: number }
  | { result: 'unknown'; reason: 'time-budget' | 'state-limit' }

function sentinel<I, O>(): Entry<I, O> {
  return {
    index: -1,
    isCall: false,
    time: 0,
    input: undefined,
    outcome: undefined,
    definite: false,
    match: undefined,
    previous: undefined,
    next: undefined,
  }
}

/** Builds the event list: calls before returns at equal times (touching intervals overlap). */
function buildEntries<I, O>(operations: readonly Operation<I, O>[]): Entry<I, O> {
  const events: Entry<I, O>[] = []
  operations.forEach((operation, index) => {
    const definite = operation.outcome.type === 'ok'
    const call: Entry<I, O> = {
      index,
      isCall: true,
      time: operation.invokeTime,
      input: operation.input,
      outcome: operation.outcome,
      definite,
      match: undefined,
      previous: undefined,
      next: undefined,
    }
    const ret: Entry<I, O> = {
      index,
      isCall: false,
      time: definite ? operation.completeTime : Number.POSITIVE_INFINITY,
      input: undefined,
      outcome: undefined,
      definite,
      match: call,
      previous: undefined,
      next: undefined,
    }
    call.match = ret
    events.push(call, ret)
  })
  events.sort((a, b) => {
    if (a.time !== b.time) return a.time < b.time ? -1 : 1
    if (a.isCall !== b.isCall) return a.isCall ? -1 : 1
    return a.index - b.index
  })
  const head = sentinel<I, O>()
  const tail = sentinel<I, O>()
  let last = head
  for (const event of events) {
    last.next = event
    event.previous = last
    last = event
  }
  last.next = tail
  tail.previous = last
  return head
}

function lift<I, O>(call: Entry<I, O>): void {
  call.previous!.next = call.next
  call.next!.previous = call.previous
  const ret = call.match!
  ret.previous!.next = ret.next
  ret.next!.previous = ret.previous
}

function unlift<I, O>(call: Entry<I, O>): void {
  const ret = call.match!
  ret.previous!.next = ret
  ret.next!.previous = ret
  call.previous!.next = call
  call.next!.previous = call
}

/** A small seeded generator for the Zobrist hash of the linearized set. */
function splitMix32(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x9e3779b9) >>> 0
    let z = state
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
    return (z ^ (z >>> 16)) >>> 0
  }
}

/**
 * The explored (linearized set, state) pairs of one search: a chained hash
 * table in typed arrays, keyed by the set's two Zobrist hashes and an interned
 * state id, with every bitset in one growing pool (no allocation per entry). A
 * hit is confirmed on the full bitset.
 */
class SeenSet {
  readonly #words: number
  #heads = new Int32Array(4096).fill(-1)
  #next = new Int32Array(1024)
  #hashes = new Uint32Array(1024)
  #checks = new Uint32Array(1024)
  #stateIds = new Int32Array(1024)
  #bits: Uint32Array
  size = 0

  constructor(words: number) {
    this.#words = words
    this.#bits = new Uint32Array(1024 * words)
  }

  /** Adds the pair; false when it was already there. */
  add(hashLow: number, hashHigh: number, stateId: number, bits: Uint32Array): boolean {
    const words = this.#words
    const hash = (hashLow ^ Math.imul(stateId + 1, 0x9e3779b1)) >>> 0
    const slot = hash & (this.#heads.length - 1)
    for (let entry = this.#heads[slot]!; entry !== -1; entry = this.#next[entry]!) {
      if (
        this.#hashes[entry] !== hash ||
        this.#checks[entry] !== hashHigh ||
        this.#stateIds[entry] !== stateId
      ) {
        continue
      }
      const offset = entry * words
      let same = true
      for (let i = 0; i < words; i++) {
        if (this.#bits[offset + i] !== bits[i]) {
          same = false
          break
        }
      }
      if (same) return false
    }
    const entry = this.size++
    if (entry === this.#next.length) this.#grow()
    this.#next[entry] = this.#heads[slot]!
    this.#hashes[entry] = hash
    this.#checks[entry] = hashHigh
    this.#stateIds[entry] = stateId
    this.#bits.set(bits, entry * words)
    this.#heads[slot] = entry
    if (this.size > this.#heads.length) this.#rehash()
    return true
  }

  #grow(): void {
    const capacity = this.#next.length * 2
    const grown = <T extends Int32Array | Uint32Array>(
      from: T,
      make: (length: number) => T,
      factor = 1,
    ): T => {
      const to = make(capacity * factor)
      to.set(from)
      return to
    }
    this.#next = grown(this.#next, (length) => new Int32Array(length))
    this.#hashes = grown(this.#hashes, (length) => new Uint32Array(length))
    this.#checks = grown(this.#checks, (length) => new Uint32Array(length))
    this.#stateIds = grown(this.#stateIds, (length) => new Int32Array(length))
    this.#bits = grown(this.#bits, (length) => new Uint32Array(length), this.#words)
  }

  #rehash(): void {
    const heads = new Int32Array(this.#heads.length * 2).fill(-1)
    const mask = heads.length - 1
    for (let entry = 0; entry < this.size; entry++) {
      const slot = this.#hashes[entry]! & mask
      this.#next[entry] = heads[slot]!
      heads[slot] = entry
    }
    this.#heads = heads
  }
}

interface SearchLimits {
  deadline: number
  now: () => number
  maxStates: number
}

function checkPartition<S, I, O>(
  operations: readonly Operation<I, O>[],
  model: Model<S, I, O>,
  limits: SearchLimits,
): PartitionVerdict {
  const count = operations.length
  let remainingDefinite = 0
  for (const operation of operations) if (operation.outcome.type === 'ok') remainingDefinite++
  if (remainingDefinite === 0) return { result: 'ok' }

  const head = buildEntries(operations)
  const random = splitMix32(0x5eed + count)
  const zobristLow = new Uint32Array(count)
  const zobristHigh = new Uint32Array(count)
  for (let i = 0; i < count; i++) {
    zobristLow[i] = random()
    zobristHigh[i] = random()
  }
  const linearized = new Uint32Array(Math.ceil(count / 32))
  let hashLow = 0
  let hashHigh = 0
  // explored (linearized set, state) pairs: keyed by the set's Zobrist hash mixed with an
  // interned state id; a hit is confirmed on the full bitset and state id
  const seen = new SeenSet(linearized.length)
  const stateIds = new Map<string | number, number>()
  const stackEntries: Entry<I, O>[] = []
  const stackStates: S[] = []
  let longest = 0
  let state = model.init()
  let entry = head.next!
  let steps = 0

  while (true) {
    if (remainingDefinite === 0) return { result: 'ok' }
    if (++steps % STEPS_PER_CLOCK_CHECK === 0 && limits.now() > limits.deadline) {
      return { result: 'unknown', reason: 'time-budget' }
    }
    if (entry.isCall) {
      const index = entry.index
      const stepped = model.step(state, entry.input as I, entry.outcome!)
      if (stepped.ok) {
        const word = index >>> 5
        const bit = 1 << (index & 31)
        linearized[word]! |= bit
        const low = (hashLow ^ zobristLow[index]!) >>> 0
        const high = (hashHigh ^ zobristHigh[index]!) >>> 0
        const stateKey = model.stateKey(stepped.state)
        let stateId = stateIds.get(stateKey)
        if (stateId === undefined) {
          stateId = stateIds.size
          stateIds.set(stateKey, stateId)
        }
        if (seen.add(low, high, stateId, linearized)) {
          if (seen.size > limits.maxStates) return { result: 'unknown', reason: 'state-limit' }
          stackEntries.push(entry)
          stackStates.push(state)
          state = stepped.state
          hashLow = low
          hashHigh = high
          if (entry.definite) remainingDefinite--
          lift(entry)
          if (stackEntries.length > longest) longest = stackEntries.length
          entry = head.next!
          continue
        }
        linearized[word]! &= ~bit
      }
      entry = entry.next!
      continue
    }
    // A return (or the end): the operation returning here cannot be linearized later. Backtrack.
    const undone = stackEntries.pop()
    if (undone === undefined) return { result: 'illegal', longestLinearized: longest }
    state = stackStates.pop()!
    const index = undone.index
    linearized[index >>> 5]! &= ~(1 << (index & 31))
    hashLow = (hashLow ^ zobristLow[index]!) >>> 0
    hashHigh = (hashHigh ^ zobristHigh[index]!) >>> 0
    if (undone.definite) remainingDefinite++
    unlift(undone)
    entry = undone.next!
  }
}

function assertOperations<I, O>(operations: readonly Operation<I, O>[]): void {
  if (!Array.isArray(operations)) {
    throw new InvalidHistoryArgumentError(`operations: expected an array, got ${typeof operations}`)
  }
  for (let i = 0; i < operations.length; i++) {
    const operation = operations[i]!
    if (typeof operation !== 'object' || operation === null) {
      throw new InvalidHistoryArgumentError(`operations[${i}]: expected an operation object`)
    }
    const { invokeTime, completeTime, outcome } = operation
    if (typeof invokeTime !== 'number' || !Number.isFinite(invokeTime)) {
      throw new InvalidHistoryArgumentError(
        `operations[${i}].invokeTime: expected a finite number, got ${String(invokeTime)}`,
      )
    }
    if (
      outcome === null ||
      typeof outcome !== 'object' ||
      (outcome.type !== 'ok' && outcome.type !== 'info')
    ) {
      throw new InvalidHistoryArgumentError(
        `operations[${i}].outcome: expected { type: 'ok', output } or { type: 'info' }`,
      )
    }
    if (
      outcome.type === 'ok' &&
      (typeof completeTime !== 'number' || Number.isNaN(completeTime) || completeTime < invokeTime)
    ) {
      throw new InvalidHistoryArgumentError(
        `operations[${i}].completeTime: expected a number >= invokeTime ${invokeTime}, got ${String(completeTime)}`,
      )
    }
  }
}

/**
 * Checks whether a history is linearizable with respect to a model.
 *
 * `info` operations (unknown outcome) may be linearized anywhere after their
 * invocation, or not at all; `fail`ed operations are not part of a history.
 * When the model has `partition`, each part is checked on its own and the
 * history is illegal as soon as one part is. The whole check shares one time
 * budget; when it runs out (or a part explores more than `maxStates` states)
 * the answer is `unknown` rather than a guess.
 *
 * @param operations - the history, e.g. `recorder.operations()` or a reader's output.
 * @param model - the sequential specification.
 * @param options - `timeBudgetMs` (default 60,000), `maxStates`, `now`.
 * @returns the verdict with `ops` and `ms`, and diagnostics for a failing part.
 * @throws InvalidHistoryArgumentError when an operation or an option is malformed.
 * @example
 * ```ts
 * const history = new HistoryRecorder<RegisterInput, RegisterOutput>()
 * const w = history.invoke('a', { type: 'write', value: 1 }, 0)
 * history.ok(w, undefined, 1)
 * const r = history.invoke('b', { type: 'read' }, 2)
 * history.ok(r, { value: 0 }, 3) // stale: 1 was written before the read began
 * checkLinearizability(history.operations(), registerModel).result // 'illegal'
 * ```
 */
export function checkLinearizability<S, I, O>(
  operations: readonly Operation<I, O>[],
  model: Model<S, I, O>,
  options: CheckOptions = {},
): CheckResult {
  const now = options.now ?? (() => performance.now())
  const started = now()
  const timeBudgetMs = options.timeBudgetMs ?? DEFAULT_TIME_BUDGET_MS
  if (typeof timeBudgetMs !== 'number' || Number.isNaN(timeBudgetMs) || timeBudgetMs < 0) {
    throw new InvalidHistoryArgumentError(`timeBudgetMs: expected a number >= 0, got ${String(timeBudgetMs)}`)
  }
  const maxStates = options.maxStates ?? DEFAULT_MAX_STATES
  if (!Number.isSafeInteger(maxStates) || maxStates < 1) {
    throw new InvalidHistoryArgumentError(`maxStates: expected a positive integer, got ${String(maxStates)}`)
  }
  assertOperations(operations)
  const limits: SearchLimits = { deadline: started + timeBudgetMs, now, maxStates }

  const parts = new Map<string, Operation<I, O>[]>()
  // unknown-outcome operations that cannot change the state constrain nothing
  const relevant =
    model.isReadOnly === undefined
      ? operations
      : operations.filter(
          (operation) => operation.outcome.type === 'ok' || !model.isReadOnly!(operation.input),
        )
  if (model.partition === undefined) {
    parts.set('', [...relevant])
  } else {
    for (const operation of relevant) {
      const key = model.partition(operation.input)
      const part = parts.get(key)
      if (part === undefined) parts.set(key, [operation])
      else part.push(operation)
    }
  }

  const elapsed = () => Math.max(0, now() - started)
  let firstUnknown: { partition: string; ops: number; reason: 'time-budget' | 'state-limit' } | undefined
  for (const [key, part] of parts) {
    if (firstUnknown?.reason === 'time-budget') break
    const verdict = checkPartition(part, model, limits)
    if (verdict.result === 'illegal') {
      return {
        result: 'illegal',
        ops: operations.length,
        ms: elapsed(),
        partitions: parts.size,
        ...(model.partition === undefined ? {} : { partition: key }),
        longestLinearized: verdict.longestLinearized,
        partitionOps: part.length,
      }
    }
    if (verdict.result === 'unknown' && firstUnknown === undefined) {
      firstUnknown = { partition: key, ops: part.length, reason: verdict.reason }
    }
  }
  if (firstUnknown !== undefined) {
    return {
      result: 'unknown',
      ops: operations.length,
      ms: elapsed(),
      partitions: parts.size,
      ...(model.partition === undefined ? {} : { partition: firstUnknown.partition }),
      partitionOps: firstUnknown.ops,
      reason: firstUnknown.reason,
    }
  }
  return { result: 'ok', ops: operations.length, ms: elapsed(), partitions: parts.size }
}
