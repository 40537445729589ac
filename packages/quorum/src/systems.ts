/**
 * Quorum systems as values: majority, weighted voting (Gifford 1979), grid
 * (Cheung, Ammar and Ahamad 1990) and flexible quorums (Howard, Malkhi and
 * Spiegelman 2016). Each answers whether a set of replicas is a read or a write
 * quorum, proves (or disproves) that the quorums it promises intersect, and
 * computes its availability when replicas fail independently.
 */

/**
 * A replica's identity.
 *
 * @example
 * ```ts
 * const id: ReplicaId = 'replica-1'
 * ```
 */
export type ReplicaId = string

/**
 * The family a quorum system belongs to.
 *
 * @example
 * ```ts
 * const kind: QuorumKind = majority(['a', 'b', 'c']).kind // 'majority'
 * ```
 */
export type QuorumKind = 'majority' | 'weighted' | 'grid' | 'flexible'

/**
 * The probability that each replica is down: one number for all, or one per replica.
 *
 * @example
 * ```ts
 * const p: FailureProbability = { a: 0.01, b: 0.05, c: 0.05 }
 * ```
 */
export type FailureProbability = number | Readonly<Record<ReplicaId, number>>

/**
 * A quorum system: which sets of replicas are read and write quorums, and what
 * that buys. Build one with `majority`, `weighted`, `grid` or `flexible`.
 *
 * @example
 * ```ts
 * const system: QuorumSystem = majority(['a', 'b', 'c'])
 * system.isReadQuorum(['a', 'b']) // true
 * ```
 */
export interface QuorumSystem {
  readonly kind: QuorumKind
  /** Every replica, in a stable order. */
  readonly members: readonly ReplicaId[]
  /** True when `replicas` contains a read quorum (phase-1 quorum for `flexible`). Unknown ids are ignored. */
  isReadQuorum(replicas: Iterable<ReplicaId>): boolean
  /** True when `replicas` contains a write quorum (phase-2 quorum for `flexible`). Unknown ids are ignored. */
  isWriteQuorum(replicas: Iterable<ReplicaId>): boolean
  /** True when `replicas` is both a read and a write quorum. */
  isQuorum(replicas: Iterable<ReplicaId>): boolean
  /** Which pairs of quorums this system promises to intersect. */
  readonly guarantees: { readonly readWrite: true; readonly writeWrite: boolean }
  /**
   * The probability that the live replicas contain a read (and a write) quorum,
   * with replicas failing independently. Exact.
   */
  availability(failure: FailureProbability): { read: number; write: number }
}

function fail(name: string, expected: string, got: unknown): never {
  const shown =
    typeof got === 'string' ? `"${got}"` : Array.isArray(got) ? `array of length ${got.length}` : String(got)
  throw new RangeError(`${name}: expected ${expected}, got ${shown}`)
}

function checkMembers(name: string, members: unknown): ReplicaId[] {
  if (!Array.isArray(members))
    throw new TypeError(`${name}: expected an array of replica ids, got ${typeof members}`)
  if (members.length === 0) fail(name, 'at least one replica', members)
  const seen = new Set<string>()
  members.forEach((id, index) => {
    if (typeof id !== 'string') throw new TypeError(`${name}[${index}]: expected a string, got ${typeof id}`)
    if (id.length === 0) fail(`${name}[${index}]`, 'a non-empty replica id', id)
    if (seen.has(id)) fail(`${name}[${index}]`, 'distinct replica ids', id)
    seen.add(id)
  })
  return [...members] as ReplicaId[]
}

function toSet(replicas: Iterable<ReplicaId>): Set<ReplicaId> {
  if (replicas === null || typeof (replicas as Iterable<ReplicaId>)?.[Symbol.iterator] !== 'function') {
    throw new TypeError(
      `replicas: expected an iterable of replica ids, got ${replicas === null ? 'null' : typeof replicas}`,
    )
  }
  return replicas instanceof Set ? replicas : new Set(replicas)
}

/** Per-replica failure probabilities, validated, in member order. */
function failureVector(members: readonly ReplicaId[], failure: FailureProbability): number[] {
  const check = (name: string, p: unknown) => {
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) fail(name, 'a probability from 0 to 1', p)
    return p as number
  }
  if (typeof failure === 'number') return members.map(() => check('failure', failure))
  if (typeof failure !== 'object' || failure === null) {
    throw new TypeError(
      `failure: expected a number or a record of numbers, got ${failure === null ? 'null' : typeof failure}`,
    )
  }
  return members.map((id) => {
    if (!(id in failure)) fail(`failure["${id}"]`, 'a probability for every member', undefined)
    return check(`failure["${id}"]`, failure[id])
  })
}

/**
 * The distribution of the total weight of live replicas: `dist[w]` is the
 * probability that the live replicas' weights sum to `w` (a Poisson-binomial DP).
 */
function liveWeightDistribution(weights: readonly number[], down: readonly number[]): Float64Array {
  const total = weights.reduce((a, b) => a + b, 0)
  let dist = new Float64Array(total + 1)
  dist[0] = 1
  weights.forEach((weight, i) => {
    const next = new Float64Array(total + 1)
    const p = down[i]!
    for (let w = 0; w <= total; w++) {
      const mass = dist[w]!
      if (mass === 0) continue
      next[w]! += mass * p
      if (w + weight <= total) next[w + weight]! += mass * (1 - p)
    }
    dist = next
  })
  return dist
}

function tail(dist: Float64Array, atLeast: number): number {
  let sum = 0
  for (let w = atLeast; w < dist.length; w++) sum += dist[w]!
  return Math.min(1, sum)
}

/** A threshold system over weighted votes: the common core of majority, weighted and flexible. */
abstract class ThresholdSystem implements QuorumSystem {
  abstract readonly kind: QuorumKind
  abstract readonly guarantees: { readonly readWrite: true; readonly writeWrite: boolean }
  readonly members: readonly ReplicaId[]
  protected readonly votes: ReadonlyMap<ReplicaId, number>
  protected readonly readThreshold: number
  protected readonly writeThreshold: number

  constructor(
    members: ReplicaId[],
    votes: Map<ReplicaId, number>,
    readThreshold: number,
    writeThreshold: number,
  ) {
    this.members = members
    this.votes = votes
    this.readThreshold = readThreshold
    this.writeThreshold = writeThreshold
  }

  protected weightOf(replicas: Iterable<ReplicaId>): number {
    let sum = 0
    for (const id of toSet(replicas)) sum += this.votes.get(id) ?? 0
    return sum
  }

  isReadQuorum(replicas: Iterable<ReplicaId>): boolean {
    return this.weightOf(replicas) >= this.readThreshold
  }

  isWriteQuorum(replicas: Iterable<ReplicaId>): boolean {
    return this.weightOf(replicas) >= this.writeThreshold
  }

  isQuorum(replicas: Iterable<ReplicaId>): boolean {
    return this.weightOf(replicas) >= Math.max(this.readThreshold, this.writeThreshold)
  }

  availability(failure: FailureProbability): { read: number; write: number } {
    const down = failureVector(this.members, failure)
    const dist = liveWeightDistribution(
      this.members.map((id) => this.votes.get(id)!),
      down,
    )
    return { read: tail(dist, this.readThreshold), write: tail(dist, this.writeThreshold) }
  }
}

class MajoritySystem extends ThresholdSystem {
  readonly kind = 'majority' as const
  readonly guarantees = { readWrite: true, writeWrite: true } as const
  /** The size of every quorum: ⌊n/2⌋ + 1. */
  readonly size: number
  constructor(members: ReplicaId[]) {
    const size = Math.floor(members.length / 2) + 1
    super(members, new Map(members.map((id) => [id, 1])), size, size)
    this.size = size
  }
}

/**
 * Every strict majority of `members` is a quorum (read and write alike).
 *
 * @throws {TypeError} when `members` is not an array of strings
 * @throws {RangeError} when it is empty or has duplicates
 * @example
 * ```ts
 * const q = majority(['a', 'b', 'c'])
 * q.isQuorum(['a', 'c']) // true
 * q.isQuorum(['b'])      // false
 * ```
 */
export function majority(members: readonly ReplicaId[]): QuorumSystem & { readonly size: number } {
  return new MajoritySystem(checkMembers('members', members))
}

class WeightedSystem extends ThresholdSystem {
  readonly kind = 'weighted' as const
  readonly guarantees = { readWrite: true, writeWrite: true } as const
  /** Total votes V. */
  readonly totalVotes: number
  constructor(members: ReplicaId[], votes: Map<ReplicaId, number>, readVotes: number, writeVotes: number) {
    super(members, votes, readVotes, writeVotes)
    this.totalVotes = [...votes.values()].reduce((a, b) => a + b, 0)
  }
  /** The votes of one replica. */
  votesOf(id: ReplicaId): number {
    return this.votes.get(id) ?? 0
  }
}

/**
 * Weighted voting (Gifford 1979): each replica holds votes; a read needs `readVotes`
 * (Vr) and a write `writeVotes` (Vw). Enforces Vr + Vw > V (every read sees the latest
 * write) and 2·Vw > V (two writes never proceed apart).
 *
 * @param options.votes - votes per replica: non-negative integers, at least one positive
 * @throws {RangeError} when a vote count is not a non-negative integer, or the thresholds break a rule
 * @example
 * ```ts
 * // a primary with 2 votes and two secondaries with 1: V = 4
 * const q = weighted({ votes: { p: 2, s1: 1, s2: 1 }, readVotes: 2, writeVotes: 3 })
 * q.isReadQuorum(['p'])         // true
 * q.isWriteQuorum(['s1', 's2']) // false
 * ```
 */
export function weighted(options: {
  votes: Readonly<Record<ReplicaId, number>>
  readVotes: number
  writeVotes: number
}): QuorumSystem & { readonly totalVotes: number; votesOf(id: ReplicaId): number } {
  if (typeof options !== 'object' || options === null) throw new TypeError('options: expected an object')
  const { votes, readVotes, writeVotes } = options
  if (typeof votes !== 'object' || votes === null || Array.isArray(votes)) {
    throw new TypeError(
      `votes: expected a record of replica id to vote count, got ${votes === null ? 'null' : typeof votes}`,
    )
  }
  const members = checkMembers('votes (keys)', Object.keys(votes))
  const map = new Map<ReplicaId, number>()
  for (const id of members) {
    const v = votes[id]
    if (!Number.isSafeInteger(v) || (v as number) < 0) fail(`votes["${id}"]`, 'a non-negative integer', v)
    map.set(id, v as number)
  }
  const total = [...map.values()].reduce((a, b) => a + b, 0)
  if (total === 0) fail('votes', 'at least one replica with a positive vote count', 0)
  if (!Number.isSafeInteger(readVotes) || readVotes < 1 || readVotes > total) {
    fail('readVotes', `an integer from 1 to ${total} (the total votes)`, readVotes)
  }
  if (!Number.isSafeInteger(writeVotes) || writeVotes < 1 || writeVotes > total) {
    fail('writeVotes', `an integer from 1 to ${total} (the total votes)`, writeVotes)
  }
  if (readVotes + writeVotes <= total) {
    throw new RangeError(
      `readVotes + writeVotes must exceed the total votes so reads see the latest write: ${readVotes} + ${writeVotes} <= ${total}`,
    )
  }
  if (2 * writeVotes <= total) {
    throw new RangeError(
      `2 × writeVotes must exceed the total votes so two writes cannot both succeed apart: 2 × ${writeVotes} <= ${total}`,
    )
  }
  return new WeightedSystem(members, map, readVotes, writeVotes)
}

class FlexibleSystem extends ThresholdSystem {
  readonly kind = 'flexible' as const
  readonly guarantees = { readWrite: true, writeWrite: false } as const
  readonly phase1Size: number
  readonly phase2Size: number
  constructor(members: ReplicaId[], phase1Size: number, phase2Size: number) {
    super(members, new Map(members.map((id) => [id, 1])), phase1Size, phase2Size)
    this.phase1Size = phase1Size
    this.phase2Size = phase2Size
  }
}

/**
 * Flexible quorums (FPaxos): phase-1 quorums (leader election, `isReadQuorum`) of
 * size Q1 and phase-2 quorums (replication, `isWriteQuorum`) of size Q2 need only
 * intersect each other: Q1 + Q2 > N. Two phase-2 quorums may be disjoint, which is
 * safe only when a single leader issues the writes.
 *
 * @throws {RangeError} when a size is out of 1..N or Q1 + Q2 <= N
 * @example
 * ```ts
 * // 5 replicas: replicate to 2, elect with 4
 * const q = flexible(['a', 'b', 'c', 'd', 'e'], { phase1Size: 4, phase2Size: 2 })
 * q.isWriteQuorum(['a', 'b']) // true
 * ```
 */
export function flexible(
  members: readonly ReplicaId[],
  sizes: { phase1Size: number; phase2Size: number },
): QuorumSystem & { readonly phase1Size: number; readonly phase2Size: number } {
  const list = checkMembers('members', members)
  if (typeof sizes !== 'object' || sizes === null)
    throw new TypeError('sizes: expected { phase1Size, phase2Size }')
  const n = list.length
  const { phase1Size, phase2Size } = sizes
  if (!Number.isSafeInteger(phase1Size) || phase1Size < 1 || phase1Size > n) {
    fail('phase1Size', `an integer from 1 to ${n}`, phase1Size)
  }
  if (!Number.isSafeInteger(phase2Size) || phase2Size < 1 || phase2Size > n) {
    fail('phase2Size', `an integer from 1 to ${n}`, phase2Size)
  }
  if (phase1Size + phase2Size <= n) {
    throw new RangeError(
      `phase1Size + phase2Size must exceed the number of replicas so every election sees every write: ${phase1Size} + ${phase2Size} <= ${n}`,
    )
  }
  return new FlexibleSystem(list, phase1Size, phase2Size)
}

class GridSystem implements QuorumSystem {
  readonly kind = 'grid' as const
  readonly guarantees = { readWrite: true, writeWrite: true } as const
  readonly members: readonly ReplicaId[]
  /** Columns of the grid, each a list of replicas. */
  readonly columns: readonly (readonly ReplicaId[])[]
  private readonly columnOf: ReadonlyMap<ReplicaId, number>

  constructor(rows: ReplicaId[][]) {
    const width = rows[0]!.length
    this.columns = Array.from({ length: width }, (_, c) => rows.map((row) => row[c]!))
    this.members = rows.flat()
    this.columnOf = new Map(this.members.map((id, i) => [id, i % width]))
  }

  /** [columns with at least one replica in the set, columns entirely in the set]. */
  private cover(replicas: Iterable<ReplicaId>): [number, number] {
    const set = toSet(replicas)
    const counts = new Array<number>(this.columns.length).fill(0)
    for (const id of set) {
      const column = this.columnOf.get(id)
      if (column !== undefined) counts[column]!++
    }
    let touched = 0
    let full = 0
    counts.forEach((count, c) => {
      if (count > 0) touched++
      if (count === this.columns[c]!.length) full++
    })
    return [touched, full]
  }

  isReadQuorum(replicas: Iterable<ReplicaId>): boolean {
    return this.cover(replicas)[0] === this.columns.length
  }

  isWriteQuorum(replicas: Iterable<ReplicaId>): boolean {
    const [touched, full] = this.cover(replicas)
    return touched === this.columns.length && full >= 1
  }

  isQuorum(replicas: Iterable<ReplicaId>): boolean {
    return this.isWriteQuorum(replicas)
  }

  availability(failure: FailureProbability): { read: number; write: number } {
    const down = failureVector(this.members, failure)
    const index = new Map(this.members.map((id, i) => [id, i]))
    let allCovered = 1
    let coveredNoneFull = 1
    for (const column of this.columns) {
      const ps = column.map((id) => down[index.get(id)!]!)
      const someLive = 1 - ps.reduce((a, p) => a * p, 1)
      const allLive = ps.reduce((a, p) => a * (1 - p), 1)
      allCovered *= someLive
      coveredNoneFull *= someLive - allLive
    }
    return { read: allCovered, write: Math.max(0, allCovered - coveredNoneFull) }
  }
}

/**
 * The grid protocol (Cheung, Ammar and Ahamad 1990): replicas in a rectangle; a read
 * quorum has one replica in every column, a write quorum has that plus one whole column.
 * Quorums grow as O(√n) instead of n/2.
 *
 * @param rows - the grid, row by row; every row the same length
 * @throws {RangeError} when the grid is empty or ragged, or ids repeat
 * @example
 * ```ts
 * const q = grid([['a', 'b', 'c'], ['d', 'e', 'f'], ['g', 'h', 'i']])
 * q.isReadQuorum(['a', 'e', 'i'])           // true: one per column
 * q.isWriteQuorum(['a', 'd', 'g', 'b', 'c']) // true: column 0 whole, and one of each other
 * ```
 */
export function grid(rows: readonly (readonly ReplicaId[])[]): QuorumSystem & {
  readonly columns: readonly (readonly ReplicaId[])[]
} {
  if (!Array.isArray(rows)) throw new TypeError(`rows: expected an array of rows, got ${typeof rows}`)
  if (rows.length === 0) fail('rows', 'at least one row', rows)
  rows.forEach((row, r) => {
    if (!Array.isArray(row))
      throw new TypeError(`rows[${r}]: expected an array of replica ids, got ${typeof row}`)
  })
  const width = rows[0]!.length
  if (width === 0) fail('rows[0]', 'at least one replica', rows[0])
  rows.forEach((row, r) => {
    if (row.length !== width) fail(`rows[${r}]`, `${width} replicas like rows[0]`, row)
  })
  checkMembers('rows (flattened)', rows.flat())
  return new GridSystem(rows.map((row) => [...row]))
}

/** All subsets of `members` as bitmasks, for n ≤ 20. */
function* subsets(n: number): Generator<number> {
  for (let mask = 0; mask < 1 << n; mask++) yield mask
}

function pick(members: readonly ReplicaId[], mask: number): ReplicaId[] {
  return members.filter((_, i) => (mask >> i) & 1)
}

/**
 * The largest system `verifyIntersection` will enumerate.
 *
 * @example
 * ```ts
 * if (system.members.length <= MAX_ENUMERATED_REPLICAS) verifyIntersection(system)
 * ```
 */
export const MAX_ENUMERATED_REPLICAS = 16

/**
 * Checks by exhaustive enumeration that the system keeps its promises: every read
 * quorum meets every write quorum, and (where promised) every two write quorums meet.
 * Returns a counterexample when one exists. Exponential: for at most 16 replicas.
 *
 * @throws {RangeError} for more than 16 replicas
 * @example
 * ```ts
 * verifyIntersection(majority(['a', 'b', 'c', 'd'])) // { ok: true }
 * ```
 */
export function verifyIntersection(
  system: QuorumSystem,
): { ok: true } | { ok: false; kind: 'read-write' | 'write-write'; first: ReplicaId[]; second: ReplicaId[] } {
  const n = system.members.length
  if (n > MAX_ENUMERATED_REPLICAS)
    fail('system.members', `at most ${MAX_ENUMERATED_REPLICAS} replicas to enumerate`, n)
  const reads: number[] = []
  const writes: number[] = []
  for (const mask of subsets(n)) {
    const set = pick(system.members, mask)
    if (system.isReadQuorum(set)) reads.push(mask)
    if (system.isWriteQuorum(set)) writes.push(mask)
  }
  // minimal quorums suffice: a superset of an intersecting quorum intersects too
  const minimal = (masks: number[]) => masks.filter((m) => !masks.some((o) => o !== m && (o & m) === o))
  const minReads = minimal(reads)
  const minWrites = minimal(writes)
  for (const r of minReads) {
    for (const w of minWrites) {
      if ((r & w) === 0) {
        return {
          ok: false,
          kind: 'read-write',
          first: pick(system.members, r),
          second: pick(system.members, w),
        }
      }
    }
  }
  if (system.guarantees.writeWrite) {
    for (const a of minWrites) {
      for (const b of minWrites) {
        if ((a & b) === 0) {
          return {
            ok: false,
            kind: 'write-write',
            first: pick(system.members, a),
            second: pick(system.members, b),
          }
        }
      }
    }
  }
  return { ok: true }
}
