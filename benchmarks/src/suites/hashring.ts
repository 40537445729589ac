/**
 * @synod/hashring against hashring@3.2.0 (libketama-style ring on node:crypto MD5)
 * and consistent-hash@1.2.2 (random control points, PJW hash). Throughput cases
 * time a fixed batch of 100k pre-generated keys, repeated until at least 150 ms
 * of CPU time have passed (ops per CPU-second, see `throughput`); the other
 * metrics (build time, memory, spread, moved keys, agreement) are cases of their
 * own with their units.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { BoundedLoadRing, HashRing, JumpHash, Maglev, Rendezvous } from '@synod/hashring'
import type { BenchCase, BenchSuite } from '../harness.js'
import { cpuMs, ratePerSecond } from '../rate.js'

// ---- the peers (CommonJS, untyped: typed here by what this suite uses) ----

interface HashRingPeer {
  get(key: string): string
  range(key: string, size: number): string[]
  add(servers: string | Record<string, number>): HashRingPeer
}
type HashRingPeerClass = new (servers: Record<string, number> | string[]) => HashRingPeer

interface ConsistentHashPeer {
  add(node: string, points?: number): ConsistentHashPeer
  get(key: string): string
  get(key: string, count: number): string[]
}
type ConsistentHashPeerClass = new (options?: { controlPoints?: number }) => ConsistentHashPeer

const require = createRequire(import.meta.url)
const HashRingPeer = require('hashring') as HashRingPeerClass
const ConsistentHashPeer = require('consistent-hash') as ConsistentHashPeerClass
const hashringVersion = (require('hashring/package.json') as { version: string }).version
const consistentHashVersion = (require('consistent-hash/package.json') as { version: string }).version

// ---- workload ----

const NODES = 100
const POINTS = 160
const LOOKUP_KEYS = 100_000
const SPREAD_KEYS = 1_000_000
const MOVED_KEYS = 200_000
const MIN_SAMPLE_MS = 150

/** Keys of the shapes the ketama vector files use: numbers, `user:` ids, `session/` paths. */
function makeKeys(count: number, salt: number): string[] {
  const keys: string[] = []
  let state = (0x9e3779b9 ^ salt) >>> 0
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0
    const shape = i % 3
    keys.push(
      shape === 0
        ? String(i + salt * count)
        : shape === 1
          ? `user:${state.toString(16)}:${i}`
          : `session/${state.toString(36)}${(i * 7919).toString(36)}`,
    )
  }
  return keys
}

const serverIds = (count: number) =>
  Array.from({ length: count }, (_, i) => `10.0.${i >> 8}.${i & 255}:11211`)
const servers = serverIds(NODES)
const newcomer = '10.0.9.9:11211'
const lookupKeys = makeKeys(LOOKUP_KEYS, 1)

/**
 * Lookups per CPU-second over the fixed batch, repeated until MIN_SAMPLE_MS of CPU
 * time have passed. CPU time, not wall time: on a shared machine the wall clock
 * also counts the time other processes hold the core (here it read 2–4× lower and
 * swung with the load), while CPU time stays steady; ours and the peer's are
 * measured the same way. `batch` runs every key once and returns a checksum; each
 * case writes its own loop so every lookup call site stays monomorphic.
 */
function throughput(batch: (keys: readonly string[]) => number): number {
  const keys = lookupKeys
  let checksum = 0
  const rate = ratePerSecond(() => (checksum += batch(keys)), {
    minMs: MIN_SAMPLE_MS,
    perCall: keys.length,
    clock: cpuMs,
  })
  if (checksum <= 0) throw new Error('the lookups returned nothing')
  return rate
}

/** Mean CPU milliseconds per build, building until MIN_SAMPLE_MS of CPU time have passed. */
const buildMs = (build: () => unknown) => 1000 / ratePerSecond(build, { minMs: MIN_SAMPLE_MS, clock: cpuMs })

let collect: (() => void) | undefined
function gc(): void {
  if (!collect) {
    const exposed = (globalThis as { gc?: () => void }).gc
    if (exposed) collect = exposed
    else {
      setFlagsFromString('--expose-gc')
      collect = runInNewContext('gc') as () => void
    }
  }
  collect()
  collect()
}

/** Heap + ArrayBuffer bytes retained per built instance (10 kept alive, after GC). */
function retainedBytes(build: () => unknown): number {
  const copies = 10
  gc()
  const used = () => {
    const memory = process.memoryUsage()
    return memory.heapUsed + memory.arrayBuffers
  }
  const before = used()
  const kept: unknown[] = []
  for (let i = 0; i < copies; i++) kept.push(build())
  gc()
  const after = used()
  if (kept.length !== copies) throw new Error('unreachable')
  return Math.max(0, (after - before) / copies)
}

/** Relative stddev (% of the mean) and max/mean of keys per node. */
function spread(
  lookup: (key: string) => string,
  nodeCount: number,
): { stddevPercent: number; maxOverMean: number } {
  const counts = new Map<string, number>()
  for (const key of spreadKeys()) {
    const node = lookup(key)
    counts.set(node, (counts.get(node) ?? 0) + 1)
  }
  const mean = SPREAD_KEYS / nodeCount
  let squares = 0
  let max = 0
  for (let i = 0; i < nodeCount - counts.size; i++) squares += mean * mean // nodes with no key
  for (const count of counts.values()) {
    squares += (count - mean) ** 2
    max = Math.max(max, count)
  }
  return { stddevPercent: (100 * Math.sqrt(squares / nodeCount)) / mean, maxOverMean: max / mean }
}

let spreadKeyCache: string[] | undefined
const spreadKeys = () => {
  spreadKeyCache ??= makeKeys(SPREAD_KEYS, 2)
  return spreadKeyCache
}
let movedKeyCache: string[] | undefined
const movedKeys = () => {
  movedKeyCache ??= makeKeys(MOVED_KEYS, 3)
  return movedKeyCache
}

/** % of keys whose node changes between `before` and `after`. */
function movedPercent(before: (key: string) => string, after: (key: string) => string): number {
  let moved = 0
  const keys = movedKeys()
  for (const key of keys) if (before(key) !== after(key)) moved++
  return (100 * moved) / keys.length
}

// ---- builders ----

const buildKetama = (ids = servers) => new HashRing(ids, { mode: 'libketama' })
const buildFast = (ids = servers) => new HashRing(ids, { pointsPerNode: POINTS })
const buildHashringPeer = (ids = servers) => new HashRingPeer(Object.fromEntries(ids.map((id) => [id, 1])))
const buildConsistentHashPeer = (ids = servers) => {
  const ring = new ConsistentHashPeer({ controlPoints: POINTS })
  for (const id of ids) ring.add(id)
  return ring
}
const buildJump = (ids = servers) => new JumpHash(ids)
const buildRendezvous = (ids = servers) => new Rendezvous(ids)
const buildMaglev = (ids = servers) => new Maglev(ids)
const buildBounded = (ids = servers) => new BoundedLoadRing(ids, { loadFactor: 1.25, pointsPerNode: POINTS })

/** Keys out of `keys` that two consistent-hash instances built from the same nodes map differently. */
function consistentHashDisagreement(): number {
  const a = buildConsistentHashPeer()
  const b = buildConsistentHashPeer()
  let different = 0
  for (const key of lookupKeys) if (a.get(key) !== b.get(key)) different++
  return different
}

/** Agreement (%) of a lookup with a ketama vector file (`key<TAB>server` lines). */
function agreement(lookup: (key: string) => string, expectedPath: string): number {
  const lines = readFileSync(expectedPath, 'utf8')
    .split('\n')
    .filter((line) => line.length > 0)
  let same = 0
  for (const line of lines) {
    const tab = line.indexOf('\t')
    if (lookup(line.slice(0, tab)) === line.slice(tab + 1)) same++
  }
  return (100 * same) / lines.length
}

const vectorDir = process.env.KETAMA_VECTORS ?? '/work/shared/testdata/ketama'

function vectorCases(): BenchCase[] {
  if (!existsSync(vectorDir)) return []
  return readdirSync(vectorDir)
    .filter((file) => file.startsWith('libketama-') && file.endsWith('.servers'))
    .sort()
    .map((file) => {
      const name = file.slice(0, -'.servers'.length)
      const list = readFileSync(join(vectorDir, file), 'utf8')
        .split('\n')
        .filter((line) => line.trim().length > 0)
        .map((line) => {
          const [id, weight] = line.trim().split(/\s+/)
          return { id: id!, weight: Number(weight ?? 1) }
        })
      const expected = join(vectorDir, `${name}.expected`)
      const ours = new HashRing(list, { mode: 'libketama' })
      const peer = new HashRingPeer(Object.fromEntries(list.map(({ id, weight }) => [id, weight])))
      return {
        name: `agreement with libketama: ${name}`,
        unit: '% keys',
        samples: 1,
        warmup: 0,
        run: () => agreement((key) => ours.get(key), expected),
        peer: {
          name: 'hashring',
          version: hashringVersion,
          run: () => agreement((key) => peer.get(key), expected),
        },
        note: 'share of the vector file’s keys mapped to the server libketama itself picked',
      }
    })
}

/** Agreement (%) of hashring@3.2.0 with our libketama mode (100% exact on every vector file) for n equal servers. */
function ketamaAgreementCase(count: number): BenchCase {
  const ids = serverIds(count)
  return {
    name: `agreement with libketama: ${count} equal servers, 100k keys`,
    unit: '% keys',
    samples: 1,
    warmup: 0,
    run: () => 100,
    peer: {
      name: 'hashring',
      version: hashringVersion,
      run: () => {
        const ours = buildKetama(ids)
        const peer = buildHashringPeer(ids)
        let same = 0
        for (const key of lookupKeys) if (ours.get(key) === peer.get(key)) same++
        return (100 * same) / lookupKeys.length
      },
    },
    note:
      'reference: our libketama mode, 100% exact on every vector file in the tests; hashring computes ' +
      'points per server in double precision where libketama rounds to float (39 instead of 40 digests)',
  }
}

function spreadCases(
  label: string,
  lookup: () => (key: string) => string,
  peer?: { name: string; version: string; lookup: () => (key: string) => string },
): BenchCase[] {
  const measure = (make: () => (key: string) => string) => {
    let memo: { stddevPercent: number; maxOverMean: number } | undefined
    return () => {
      memo ??= spread(make(), NODES)
      return memo
    }
  }
  const ours = measure(lookup)
  const theirs = peer ? measure(peer.lookup) : undefined
  const withPeer = (pick: (s: { stddevPercent: number; maxOverMean: number }) => number) =>
    peer && theirs ? { peer: { name: peer.name, version: peer.version, run: () => pick(theirs()) } } : {}
  return [
    {
      name: `spread: ${label}, stddev of keys per node (1M keys)`,
      unit: '% of mean',
      lowerIsBetter: true,
      samples: 1,
      warmup: 0,
      run: () => ours().stddevPercent,
      ...withPeer((s) => s.stddevPercent),
    },
    {
      name: `spread: ${label}, max/mean keys per node (1M keys)`,
      unit: '×',
      lowerIsBetter: true,
      samples: 1,
      warmup: 0,
      run: () => ours().maxOverMean,
      ...withPeer((s) => s.maxOverMean),
    },
  ]
}

/** Something that maps keys and can take one more node. */
interface Growable {
  get(key: string): string
  add(id: string): unknown
}

/**
 * % of keys that change node when `newcomer` joins the same instance: what a
 * running client sees. `build` makes a 100-node instance; the keys are looked up,
 * the node is added in place, and the keys are looked up again.
 */
function movedCase(
  label: string,
  build: (ids: string[]) => Growable,
  peer?: { name: string; version: string; build: (ids: string[]) => Growable },
  note?: string,
): BenchCase {
  const run = (make: (ids: string[]) => Growable) => () => {
    const ring = make(servers)
    const keys = movedKeys()
    const before = keys.map((key) => ring.get(key))
    ring.add(newcomer)
    let moved = 0
    keys.forEach((key, i) => {
      if (ring.get(key) !== before[i]) moved++
    })
    return (100 * moved) / keys.length
  }
  return {
    name: `moved keys: ${label}, 100 → 101 nodes (ideal 0.990%)`,
    unit: '% keys',
    lowerIsBetter: true,
    samples: 1,
    warmup: 0,
    run: run(build),
    ...(peer ? { peer: { name: peer.name, version: peer.version, run: run(peer.build) } } : {}),
    ...(note ? { note } : {}),
  }
}

/** A batch of lookups: every key once, returning a checksum (see `throughput`). */
type LookupBatch = (keys: readonly string[]) => number

/**
 * Lookups per CPU-second of `batch` (and of the peer's). Each batch is a loop
 * literal of its own, written out at the case, so its lookup call site stays
 * monomorphic: a loop shared through a callback would time an indirect call.
 */
function lookupCase(
  name: string,
  batch: LookupBatch,
  peer?: { name: string; version: string; batch: LookupBatch },
  note?: string,
): BenchCase {
  return {
    name,
    unit: 'ops/s',
    run: () => throughput(batch),
    ...(peer ? { peer: { name: peer.name, version: peer.version, run: () => throughput(peer.batch) } } : {}),
    ...(note ? { note } : {}),
  }
}

/** Mean CPU milliseconds to build an instance and answer a first lookup (which builds any lazy table). */
function buildCase(
  label: string,
  build: () => unknown,
  peer?: { name: string; version: string; build: () => unknown },
): BenchCase {
  return {
    name: `build: ${label}`,
    unit: 'ms',
    lowerIsBetter: true,
    run: () => buildMs(build),
    ...(peer ? { peer: { name: peer.name, version: peer.version, run: () => buildMs(peer.build) } } : {}),
  }
}

/** Bytes retained per instance that `build` returns (see `retainedBytes`). */
function memoryCase(
  label: string,
  build: () => unknown,
  peer?: { name: string; version: string; build: () => unknown },
  note?: string,
): BenchCase {
  return {
    name: `memory: ${label}`,
    unit: 'bytes',
    lowerIsBetter: true,
    samples: 3,
    warmup: 1,
    run: () => retainedBytes(build),
    ...(peer
      ? { peer: { name: peer.name, version: peer.version, run: () => retainedBytes(peer.build) } }
      : {}),
    ...(note ? { note } : {}),
  }
}

/** `instance` after one lookup, so a lazily built table counts in its memory. */
function lookedUp<T extends { get(key: string): unknown }>(instance: T): T {
  instance.get('k')
  return instance
}

const hashringPeer = { name: 'hashring', version: hashringVersion }
const consistentHashPeer = { name: 'consistent-hash', version: consistentHashVersion }

const suite: BenchSuite = {
  core: 'hashring',
  samples: 7,
  warmup: 2,
  cases(): BenchCase[] {
    const ketama = buildKetama()
    const memcached = new HashRing(servers, { mode: 'libmemcached' })
    const fast = buildFast()
    const jump = buildJump()
    const rendezvous = buildRendezvous()
    const maglev = buildMaglev()
    const bounded = buildBounded()
    const hashringRing = buildHashringPeer()
    const consistentHashRing = buildConsistentHashPeer()
    for (const ring of [ketama, memcached, fast, maglev]) ring.get('warm-up')
    return [
      // ---- lookups ----
      lookupCase(
        'lookup: ketama ring (libketama-exact), 100 servers × 160 points',
        (keys) => {
          let sum = 0
          for (let i = 0; i < keys.length; i++) sum += ketama.get(keys[i]!).length
          return sum
        },
        {
          ...hashringPeer,
          batch: (keys) => {
            let sum = 0
            for (let i = 0; i < keys.length; i++) sum += hashringRing.get(keys[i]!).length
            return sum
          },
        },
        'hashring keeps an LRU cache of 5000 keys; the 100k distinct keys of the batch miss it',
      ),
      lookupCase(
        'lookup: ketama ring (libmemcached-exact), 100 servers × 156 points',
        (keys) => {
          let sum = 0
          for (let i = 0; i < keys.length; i++) sum += memcached.get(keys[i]!).length
          return sum
        },
        undefined,
        'libmemcached’s float arithmetic gives 100 equal servers 39 digests (156 points) each, not 40',
      ),
      lookupCase(
        'lookup: fast ring (murmur3), 100 nodes × 160 points',
        (keys) => {
          let sum = 0
          for (let i = 0; i < keys.length; i++) sum += fast.get(keys[i]!).length
          return sum
        },
        {
          ...consistentHashPeer,
          batch: (keys) => {
            let sum = 0
            for (let i = 0; i < keys.length; i++) sum += consistentHashRing.get(keys[i]!).length
            return sum
          },
        },
      ),
      lookupCase(
        'lookup: fast ring getN(key, 3), 100 nodes × 160 points',
        (keys) => {
          let sum = 0
          for (let i = 0; i < keys.length; i++) sum += fast.getN(keys[i]!, 3).length
          return sum
        },
        {
          ...consistentHashPeer,
          batch: (keys) => {
            let sum = 0
            for (let i = 0; i < keys.length; i++) sum += consistentHashRing.get(keys[i]!, 3).length
            return sum
          },
        },
      ),
      lookupCase('lookup: jump consistent hash, 100 buckets', (keys) => {
        let sum = 0
        for (let i = 0; i < keys.length; i++) sum += jump.get(keys[i]!).length
        return sum
      }),
      lookupCase('lookup: rendezvous (HRW), 100 nodes', (keys) => {
        let sum = 0
        for (let i = 0; i < keys.length; i++) sum += rendezvous.get(keys[i]!).length
        return sum
      }),
      lookupCase('lookup: Maglev, 100 nodes, table 65537', (keys) => {
        let sum = 0
        for (let i = 0; i < keys.length; i++) sum += maglev.get(keys[i]!).length
        return sum
      }),
      lookupCase('lookup: bounded loads (c = 1.25) acquire + release, 100 nodes × 160 points', (keys) => {
        let sum = 0
        for (let i = 0; i < keys.length; i++) {
          const node = bounded.acquire(keys[i]!)
          bounded.release(node)
          sum += node.length
        }
        return sum
      }),
      // ---- consistency across instances ----
      {
        name: 'keys of 100k mapped differently by two instances from the same 100 nodes',
        unit: 'keys',
        lowerIsBetter: true,
        samples: 3,
        warmup: 0,
        run: () => {
          const a = buildFast()
          const b = buildFast([...servers].reverse())
          let different = 0
          for (const key of lookupKeys) if (a.get(key) !== b.get(key)) different++
          return different
        },
        peer: { ...consistentHashPeer, run: consistentHashDisagreement },
        note: 'our fast ring is built in reverse order for the second instance; consistent-hash places control points with Math.random()',
      },
      // ---- build time ----
      buildCase('ketama ring, 100 servers × 160 points', () => buildKetama().get('k'), {
        ...hashringPeer,
        build: () => buildHashringPeer().get('k'),
      }),
      buildCase('fast ring, 100 nodes × 160 points', () => buildFast().get('k'), {
        ...consistentHashPeer,
        build: () => buildConsistentHashPeer().get('k'),
      }),
      buildCase('jump, 100 buckets', () => buildJump().get('k')),
      buildCase('rendezvous, 100 nodes', () => buildRendezvous().get('k')),
      buildCase('Maglev, 100 nodes, table 65537', () => buildMaglev().get('k')),
      buildCase('bounded loads, 100 nodes × 160 points', () => buildBounded().peek('k')),
      // ---- memory ----
      memoryCase(
        'ketama ring, 100 servers × 160 points',
        () => lookedUp(buildKetama()),
        { ...hashringPeer, build: () => buildHashringPeer() },
        'heap + ArrayBuffer bytes retained per instance after GC; ours includes its cached MD5 points',
      ),
      memoryCase('fast ring, 100 nodes × 160 points', () => lookedUp(buildFast()), {
        ...consistentHashPeer,
        build: () => lookedUp(buildConsistentHashPeer()),
      }),
      memoryCase('Maglev, 100 nodes, table 65537', () => lookedUp(buildMaglev())),
      memoryCase('rendezvous, 100 nodes', () => buildRendezvous()),
      memoryCase('jump, 100 buckets', () => buildJump()),
      // ---- spread over 1M keys ----
      ...spreadCases('ketama ring', () => (key) => ketama.get(key), {
        ...hashringPeer,
        lookup: () => (key) => hashringRing.get(key),
      }),
      ...spreadCases('fast ring', () => (key) => fast.get(key), {
        ...consistentHashPeer,
        lookup: () => (key) => consistentHashRing.get(key),
      }),
      ...spreadCases('jump', () => (key) => jump.get(key)),
      ...spreadCases('rendezvous', () => (key) => rendezvous.get(key)),
      ...spreadCases('Maglev', () => (key) => maglev.get(key)),
      ...spreadCases('bounded loads c = 1.25 (keys held)', () => {
        const ring = buildBounded()
        return (key) => ring.acquire(key)
      }),
      // ---- moved keys when one node joins 100 ----
      movedCase('ketama ring', buildKetama, { ...hashringPeer, build: buildHashringPeer }),
      movedCase('fast ring', buildFast, { ...consistentHashPeer, build: buildConsistentHashPeer }),
      movedCase('jump', buildJump, undefined, 'the new bucket is appended: jump can only grow at the end'),
      movedCase('rendezvous', buildRendezvous),
      movedCase(
        'Maglev',
        buildMaglev,
        undefined,
        'Maglev trades some extra movement for near-perfect balance',
      ),
      {
        name: 'moved keys: bounded loads c = 1.25, 100 → 101 nodes (ideal 0.990%)',
        unit: '% keys',
        lowerIsBetter: true,
        samples: 1,
        warmup: 0,
        run: () => {
          // Loads are state: each ring acquires the same keys in the same order, none released.
          const before = buildBounded(servers)
          const after = buildBounded([...servers, newcomer])
          return movedPercent(
            (key) => before.acquire(key),
            (key) => after.acquire(key),
          )
        },
        note: 'both rings acquire the same 200k keys in the same order and release none',
      },
      // ---- agreement with libketama ----
      ...vectorCases(),
      ketamaAgreementCase(98),
      ketamaAgreementCase(103),
    ]
  },
}

export default suite
