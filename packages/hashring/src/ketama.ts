/**
 * The arithmetic of the two C ketama implementations memcached clients use, so a
 * ring can reproduce their continuum point for point.
 *
 * - libketama (`ketama_create_continuum`): server i gets
 *   `ks = floorf(pct * 40.0 * (float)numservers)` hashes of `"<addr>-<k>"`, k = 0…ks-1,
 *   where `pct = (float)memory_i / (float)total` is a C `float`, the product is a
 *   `double`, and `floorf` first rounds it to `float`. Each MD5 digest gives 4 points.
 * - libmemcached with `MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED` (`update_continuum`):
 *   `floor((float)(pct * 160 / 4 * (float)live_servers + 0.0000000001)) * 4` points,
 *   with every step but the last addition in `float`; hashes of `"<host>-<k>"` when the
 *   port is 11211 (the default), `"<host>:<port>-<k>"` otherwise.
 *
 * Both read points and key hashes as the little-endian 32-bit words of the digest,
 * and pick the first point ≥ the key's hash, wrapping to the first point.
 */

import { md5Words } from './md5.js'

/** The C libraries a ring can be exact to. */
export type KetamaCompatibility = 'libketama' | 'libmemcached'

/** libmemcached's `MEMCACHED_DEFAULT_PORT`. */
const MEMCACHED_DEFAULT_PORT = 11211

/**
 * How many MD5 digests (4 points each) every server gets, exactly as the C library computes it.
 *
 * @param weights - the servers' weights in order (positive integers: libketama's memory, libmemcached's weight)
 * @param compatibility - which library's arithmetic to reproduce
 * @returns the number of digests per server (points = 4 × digests)
 * @throws {RangeError} when a weight is not a positive integer
 * @example
 * ```ts
 * ketamaDigestCounts([1, 1, 1], 'libketama') // [40, 40, 40]
 * ketamaDigestCounts([1, 2, 3, 4, 5], 'libketama') // [13, 26, 40, 53, 66]
 * ```
 */
export function ketamaDigestCounts(weights: readonly number[], compatibility: KetamaCompatibility): number[] {
  let total = 0
  for (const weight of weights) {
    if (!Number.isSafeInteger(weight) || weight <= 0 || weight > 0xffffffff) {
      throw new RangeError(`weight: expected an integer in [1, 4294967295], got ${weight}`)
    }
    total += weight
  }
  const servers = weights.length
  const totalFloat = Math.fround(total)
  return weights.map((weight) => {
    const pct = Math.fround(Math.fround(weight) / totalFloat)
    if (compatibility === 'libketama') {
      // floorf(pct * 40.0 * (float)numservers): double product, rounded to float by floorf's parameter
      return Math.floor(Math.fround(pct * 40.0 * Math.fround(servers)))
    }
    // (float)(pct * 160 / 4 * (float)live_servers + 1e-10): float steps, then one double addition
    const scaled = Math.fround(Math.fround(Math.fround(pct * 160) / 4) * Math.fround(servers))
    return Math.floor(Math.fround(scaled + 0.0000000001))
  })
}

/** The string whose MD5 gives digest `k` of a server. */
export function ketamaPointKey(id: string, k: number, compatibility: KetamaCompatibility): string {
  if (compatibility === 'libketama') return `${id}-${k}`
  const { host, port } = splitHostPort(id)
  return port === MEMCACHED_DEFAULT_PORT ? `${host}-${k}` : `${host}:${port}-${k}`
}

/** Splits `host:port`, `[v6]:port`, `host` or `[v6]` the way libmemcached stores a server. */
export function splitHostPort(id: string): { host: string; port: number } {
  if (id.startsWith('[')) {
    const close = id.indexOf(']')
    if (close > 0) {
      const host = id.slice(1, close)
      const rest = id.slice(close + 1)
      const port = /^:\d{1,5}$/.test(rest) ? Number(rest.slice(1)) : MEMCACHED_DEFAULT_PORT
      return { host, port }
    }
  }
  const colon = id.lastIndexOf(':')
  if (colon > 0 && id.indexOf(':') === colon && /^\d{1,5}$/.test(id.slice(colon + 1))) {
    return { host: id.slice(0, colon), port: Number(id.slice(colon + 1)) }
  }
  return { host: id, port: MEMCACHED_DEFAULT_PORT }
}

/** The 4 × `digests` points of one server, in generation order. */
export function ketamaPoints(id: string, digests: number, compatibility: KetamaCompatibility): Uint32Array {
  const points = new Uint32Array(digests * 4)
  for (let k = 0; k < digests; k++) md5Words(ketamaPointKey(id, k, compatibility), points, k * 4)
  return points
}
