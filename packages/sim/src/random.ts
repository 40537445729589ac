import { assertIntegerInRange, assertNumberInRange, show } from './validate.js'

/**
 * What a `Random` can be seeded with: a safe integer, a bigint in [-2^63, 2^64), or any string.
 * @example
 * ```ts
 * const seeds: Seed[] = [42, 2n ** 63n, 'nightly-2026-11-26']
 * ```
 */
export type Seed = number | bigint | string

const TWO_POW_32 = 0x1_0000_0000
const TWO_POW_64 = 1n << 64n
const MAX_STRING_SEED_LENGTH = 4096

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r))
}

function fmix32(h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h
}

/**
 * Absorbs 32-bit words into 4 lanes and finalises them into 128 bits. A
 * murmur3-style mix (multiply, rotate, cross-lane adds, fmix32 avalanche), used
 * only to derive generator keys: not a cryptographic hash.
 */
function absorb(key: readonly number[], words: readonly number[]): [number, number, number, number] {
  let a = 0x243f6a88 ^ (key[0] ?? 0)
  let b = 0x85a308d3 ^ (key[1] ?? 0)
  let c = 0x13198a2e ^ (key[2] ?? 0)
  let d = 0x03707344 ^ (key[3] ?? 0)
  for (const word of words) {
    const k = Math.imul(rotl(Math.imul(word, 0xcc9e2d51), 15), 0x1b873593)
    a = (Math.imul(rotl(a ^ k, 19), 5) + 0x561ccd1b) | 0
    b = (Math.imul(rotl(b ^ a, 17), 5) + 0x0bcaa747) | 0
    c = (Math.imul(rotl(c ^ b, 15), 5) + 0x96cd1c35) | 0
    d = (Math.imul(rotl(d ^ c, 13), 5) + 0x32ac3b17) | 0
  }
  const length = words.length
  a ^= length
  b ^= length
  c ^= length
  d ^= length
  a = (a + b + c + d) | 0
  b = (b + a) | 0
  c = (c + a) | 0
  d = (d + a) | 0
  a = fmix32(a)
  b = fmix32(b)
  c = fmix32(c)
  d = fmix32(d)
  a = (a + b + c + d) | 0
  b = (b + a) | 0
  c = (c + a) | 0
  d = (d + a) | 0
  return [a >>> 0, b >>> 0, c >>> 0, d >>> 0]
}

function stringWords(tag: number, text: string): number[] {
  const words = [tag]
  for (let i = 0; i < text.length; i++) words.push(text.charCodeAt(i))
  return words
}

function seedKey(seed: Seed): [number, number, number, number] {
  if (typeof seed === 'string') {
    if (seed.length > MAX_STRING_SEED_LENGTH)
      throw new RangeError(
        `seed: expected a string of at most ${MAX_STRING_SEED_LENGTH} characters, got length=${seed.length}`,
      )
    return absorb([], stringWords(0x5eed5, seed))
  }
  let big: bigint
  if (typeof seed === 'number') {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`seed: expected a safe integer, got ${show(seed)}`)
    big = BigInt(seed)
  } else if (typeof seed === 'bigint') {
    if (seed < -(1n << 63n) || seed >= TWO_POW_64)
      throw new RangeError(`seed: expected a bigint from -2^63 to 2^64-1, got ${seed}`)
    big = seed
  } else {
    throw new TypeError(`seed: expected a number, bigint or string, got ${show(seed)}`)
  }
  const unsigned = BigInt.asUintN(64, big)
  const lo = Number(unsigned & 0xffffffffn)
  const hi = Number(unsigned >> 32n)
  // numbers and bigints of the same value give the same stream
  return absorb([], [0x5eed1, lo, hi])
}

/**
 * A fast, seeded, splittable pseudo-random generator.
 *
 * The generator is xoshiro128** (Blackman and Vigna): 128 bits of state, period
 * 2^128 - 1, four 32-bit words updated with shifts, xors and rotations, which is
 * fast in JavaScript's 32-bit integer arithmetic. Its state is derived from the
 * seed by a murmur3-style 128-bit mix, so nearby seeds (0, 1, 2, …) give
 * unrelated streams.
 *
 * `split(label)` derives an independent generator from the *seed* of this one
 * and the label, not from its current state: the child is the same whatever was
 * drawn from the parent, so giving each node, each link and the nemesis its own
 * stream means that adding a draw in one never shifts another.
 *
 * Not cryptographic. Same seed, same sequence, on every platform.
 *
 * @example
 * ```ts
 * const random = new Random(42)
 * random.int(1, 6)          // a die roll
 * random.chance(0.1)        // true one time in ten
 * const network = random.split('network')
 * const n1 = random.split('node:n1') // unaffected by draws from `network`
 * ```
 */
export class Random {
  /** The seed this generator (or the root of its split chain) was made from. */
  readonly seed: Seed
  /** The split labels from the root seed, joined by `/` (empty for a root). */
  readonly path: string
  private readonly key: readonly [number, number, number, number]
  private s0: number
  private s1: number
  private s2: number
  private s3: number

  /**
   * @param seed - a safe integer, a bigint in [-2^63, 2^64), or a string of at most 4096 characters
   * @throws {TypeError} when `seed` is none of these types
   * @throws {RangeError} when it is out of range
   */
  constructor(seed: Seed) {
    const key = seedKey(seed)
    this.seed = seed
    this.path = ''
    this.key = key
    ;[this.s0, this.s1, this.s2, this.s3] = key
    this.fixZeroState()
  }

  private fixZeroState(): void {
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 0x9e3779b9
  }

  /**
   * Derives an independent generator from this one's seed and `label`.
   * The same label always gives the same stream; draws from the parent do not change it.
   *
   * @param label - any string of at most 4096 characters, e.g. `node:n1`
   * @example
   * ```ts
   * const a = new Random(1).split('node:a')
   * const again = new Random(1).split('node:a') // same stream as `a`
   * ```
   */
  split(label: string): Random {
    if (typeof label !== 'string') throw new TypeError(`label: expected a string, got ${show(label)}`)
    if (label.length > MAX_STRING_SEED_LENGTH)
      throw new RangeError(
        `label: expected at most ${MAX_STRING_SEED_LENGTH} characters, got length=${label.length}`,
      )
    const child = Object.create(Random.prototype) as Random
    const key = absorb(this.key, stringWords(0x5b117, label))
    const fields = child as unknown as {
      seed: Seed
      path: string
      key: readonly number[]
      s0: number
      s1: number
      s2: number
      s3: number
    }
    fields.seed = this.seed
    fields.path = this.path === '' ? label : `${this.path}/${label}`
    fields.key = key
    ;[fields.s0, fields.s1, fields.s2, fields.s3] = key
    child.fixZeroState()
    return child
  }

  /**
   * The next 32 random bits, as an unsigned integer in [0, 2^32).
   * @example
   * ```ts
   * new Random(7).next() // the same uint32 every time for seed 7
   * ```
   */
  next(): number {
    const s0 = this.s0
    const s1 = this.s1
    const s2 = this.s2 ^ s0
    const s3 = this.s3 ^ s1
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0
    this.s1 = s1 ^ s2
    this.s0 = s0 ^ s3
    this.s2 = s2 ^ (s1 << 9)
    this.s3 = rotl(s3, 11)
    return result
  }

  /**
   * A float uniform in [0, 1), with 53 random bits (two draws).
   * @example
   * ```ts
   * const x = new Random(1).float() // 0 <= x < 1
   * ```
   */
  float(): number {
    const high = this.next() >>> 5 // 27 bits
    const low = this.next() >>> 6 // 26 bits
    return (high * 67108864 + low) / 9007199254740992
  }

  /**
   * A uniform integer in [min, maxInclusive], without modulo bias (rejection sampling).
   * @throws {TypeError} when a bound is not a number
   * @throws {RangeError} when a bound is not a safe integer, or `min > maxInclusive`
   * @example
   * ```ts
   * new Random(1).int(1, 6) // 1, 2, 3, 4, 5 or 6
   * ```
   */
  int(min: number, maxInclusive: number): number {
    assertIntegerInRange('min', min, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)
    assertIntegerInRange('maxInclusive', maxInclusive, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)
    if (min > maxInclusive)
      throw new RangeError(`maxInclusive: expected an integer >= min (${min}), got ${maxInclusive}`)
    const range = maxInclusive - min + 1
    if (range <= TWO_POW_32) {
      // largest multiple of range below 2^32: reject draws at or above it
      const limit = TWO_POW_32 - (TWO_POW_32 % range)
      for (;;) {
        const x = this.next()
        if (x < limit) return min + (x % range)
      }
    }
    // wide ranges: 53-bit draws, rejecting the biased top slice
    const span = maxInclusive - min
    const total = 9007199254740992
    const limit = total - (total % (span + 1))
    for (;;) {
      const x = (this.next() >>> 5) * 67108864 + (this.next() >>> 6)
      if (x < limit) return min + (x % (span + 1))
    }
  }

  /**
   * True with probability `p`. Always draws, so the stream position does not depend on `p`.
   * @throws {RangeError} when `p` is not a number from 0 to 1
   * @example
   * ```ts
   * if (random.chance(0.01)) dropMessage()
   * ```
   */
  chance(p: number): boolean {
    assertNumberInRange('p', p, 0, 1)
    return this.float() < p
  }

  /**
   * One element of a non-empty array, uniformly.
   * @throws {TypeError} when `array` is not an array
   * @throws {RangeError} when it is empty
   * @example
   * ```ts
   * random.pick(['n1', 'n2', 'n3'])
   * ```
   */
  pick<T>(array: readonly T[]): T {
    if (!Array.isArray(array)) throw new TypeError(`array: expected an array, got ${show(array)}`)
    if (array.length === 0) throw new RangeError('array: expected a non-empty array, got length=0')
    return array[this.int(0, array.length - 1)] as T
  }

  /**
   * Shuffles `array` in place (Fisher–Yates) and returns it.
   * @throws {TypeError} when `array` is not an array
   * @example
   * ```ts
   * const order = random.shuffle([...nodeIds])
   * ```
   */
  shuffle<T>(array: T[]): T[] {
    if (!Array.isArray(array)) throw new TypeError(`array: expected an array, got ${show(array)}`)
    for (let i = array.length - 1; i > 0; i--) {
      const j = this.int(0, i)
      const tmp = array[i] as T
      array[i] = array[j] as T
      array[j] = tmp
    }
    return array
  }
}
