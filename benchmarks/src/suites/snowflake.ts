/**
 * `@synod/snowflake` against its npm peers, on the Twitter layout (41-bit ms, 10-bit node,
 * 12-bit sequence), whose limit is 4,096 ids per ms = 4.096M ids/s for one generator.
 *
 * - Speed is compared with `flake-idgen`, the one peer that is correct at speed. Its
 *   synchronous `next()` throws when a millisecond's sequence is used up; the loop retries,
 *   which is how its users run it at full speed. It returns an 8-byte Buffer: the bigint
 *   and string cases convert it (`readBigUInt64BE`, `toString()`), as a user needing those
 *   forms would.
 * - Correctness: duplicates in a burst of 1M ids, each peer in its own case. `@sapphire/snowflake`
 *   and `snowyflake` wrap their sequence without waiting for the next millisecond, so they
 *   are fast and wrong; `nodejs-snowflake` is correct but capped at 1.024M ids/s.
 */

import { layouts, SnowflakeGenerator } from '@synod/snowflake'
import type { BenchCase, BenchSuite } from '../harness.js'
import { ratePerSecond } from '../rate.js'

/** Generation time of one speed sample. */
const SAMPLE_MS = 300
/** Ids per batch between two looks at the stopwatch (and the size of the ring they go to). */
const BATCH = 4096
/** Ids in a correctness burst. */
const BURST = 1_000_000
const LIMIT_IDS_PER_SECOND = layouts.twitter.idsPerSecondMax
const TWITTER_EPOCH_MS = layouts.twitter.epochMs

interface FlakeIdGenerator {
  next(): Buffer
}
type FlakeIdConstructor = new (options: { id: number; epoch: number }) => FlakeIdGenerator

// flake-idgen ships no types: imported by a name TypeScript does not resolve.
const flakeIdgenModule = 'flake-idgen'

/** Runs `batch` (which makes `BATCH` ids) for about `SAMPLE_MS`; returns ids per second. */
const idsPerSecond = (batch: () => void) => ratePerSecond(batch, { minMs: SAMPLE_MS, perCall: BATCH })

/** How many ids of `ids` are copies of another. */
function countDuplicates(ids: BigUint64Array): number {
  ids.sort()
  let duplicates = 0
  for (let index = 1; index < ids.length; index++) if (ids[index] === ids[index - 1]) duplicates++
  return duplicates
}

/**
 * Of the milliseconds in which a burst issued ids (the first and last left out), the share
 * that got the full 4,096. On a shared machine a process loses whole milliseconds while it
 * is descheduled; this says whether the generator uses every millisecond it does run in.
 */
function fullMillisecondsPercent(ids: BigUint64Array): number {
  let ticks = 0
  let full = 0
  let run = 0
  let previous = -1n
  for (const id of ids) {
    const tick = id >> 22n
    if (tick === previous) {
      run++
      continue
    }
    if (previous >= 0n) {
      ticks++
      if (run === 4096) full++
    }
    previous = tick
    run = 1
  }
  // leave out the first millisecond (the burst started inside it); the last was never counted
  const firstFull = Number(ids[0]! >> 22n === ids[4095]! >> 22n)
  return ((full - firstFull) / (ticks - 1)) * 100
}

/** A burst of 1M ids from `next`, in issue order. */
function burst(next: () => bigint): BigUint64Array {
  const ids = new BigUint64Array(BURST)
  for (let index = 0; index < BURST; index++) ids[index] = next()
  return ids
}

/** Fills a burst of 1M ids from `next` and counts the duplicates. */
function burstDuplicates(next: () => bigint): number {
  return countDuplicates(burst(next))
}

function ours(): SnowflakeGenerator {
  return new SnowflakeGenerator({ layout: layouts.twitter, nodeId: 1 })
}

const suite: BenchSuite = {
  core: 'snowflake',
  async cases(): Promise<BenchCase[]> {
    const FlakeId = ((await import(flakeIdgenModule)) as { default: FlakeIdConstructor }).default
    const { Snowflake: SapphireSnowflake } = await import('@sapphire/snowflake')
    const { Snowyflake } = await import('snowyflake')
    const { Snowflake: WasmSnowflake } = await import('nodejs-snowflake')

    /** flake-idgen's next(), retried while it throws for a used-up millisecond. */
    function flakeNext(generator: FlakeIdGenerator): Buffer {
      for (;;) {
        try {
          return generator.next()
        } catch {
          // "Sequence exceeded its maximum value": spin until the next millisecond
        }
      }
    }
    const flake = () => new FlakeId({ id: 1, epoch: TWITTER_EPOCH_MS })
    const flakePeer = { name: 'flake-idgen', version: '1.4.0' }

    const bigintRing: bigint[] = new Array(BATCH).fill(0n)
    const stringRing: string[] = new Array(BATCH).fill('')

    const oursNextBigInt = () => {
      const generator = ours()
      return idsPerSecond(() => {
        for (let index = 0; index < BATCH; index++) bigintRing[index] = generator.nextBigInt()
      })
    }
    const oursNextString = () => {
      const generator = ours()
      return idsPerSecond(() => {
        for (let index = 0; index < BATCH; index++) stringRing[index] = generator.nextString()
      })
    }
    const flakeBigInt = () => {
      const generator = flake()
      return idsPerSecond(() => {
        for (let index = 0; index < BATCH; index++)
          bigintRing[index] = flakeNext(generator).readBigUInt64BE(0)
      })
    }
    const flakeString = () => {
      const generator = flake()
      return idsPerSecond(() => {
        for (let index = 0; index < BATCH; index++)
          stringRing[index] = flakeNext(generator).readBigUInt64BE(0).toString()
      })
    }
    const percent = (rate: number) => (rate / LIMIT_IDS_PER_SECOND) * 100
    const duplicateCase = { unit: 'duplicates', lowerIsBetter: true, samples: 3, warmup: 1 } as const
    const flakeBurst = () => {
      const generator = flake()
      return burst(() => flakeNext(generator).readBigUInt64BE(0))
    }

    return [
      {
        name: 'ids/s, bigint, nextBigInt() (twitter layout, limit 4.096M/s)',
        unit: 'ids/s',
        run: oursNextBigInt,
        peer: { ...flakePeer, run: flakeBigInt },
        note: 'flake-idgen returns a Buffer; the peer converts it with readBigUInt64BE(0).',
      },
      {
        name: 'ids/s, bigint, fill() in batches of 4096',
        unit: 'ids/s',
        run: () => {
          const generator = ours()
          return idsPerSecond(() => generator.fill(bigintRing, BATCH))
        },
        peer: { ...flakePeer, run: flakeBigInt },
        note: 'flake-idgen has no batch API: its peer run is the same as for nextBigInt().',
      },
      {
        name: 'ids/s, decimal string, nextString()',
        unit: 'ids/s',
        run: oursNextString,
        peer: { ...flakePeer, run: flakeString },
        note: 'the peer converts its Buffer with readBigUInt64BE(0).toString().',
      },
      {
        name: 'ids/s, decimal string, fillStrings() in batches of 4096',
        unit: 'ids/s',
        run: () => {
          const generator = ours()
          return idsPerSecond(() => generator.fillStrings(stringRing, BATCH))
        },
        peer: { ...flakePeer, run: flakeString },
      },
      {
        name: '% of the layout limit, bigint, nextBigInt()',
        unit: '%',
        run: () => percent(oursNextBigInt()),
        peer: { ...flakePeer, run: () => percent(flakeBigInt()) },
        note: 'Twitter layout: 4,096 ids per ms for one generator. A 300 ms sample can read up to ~0.3% above 100% (its first millisecond is already under way); no correct generator passes 100% over a long run.',
      },
      {
        name: '% of the layout limit, decimal string, nextString()',
        unit: '%',
        run: () => percent(oursNextString()),
        peer: { ...flakePeer, run: () => percent(flakeString()) },
      },
      {
        name: 'milliseconds used to the full 4096 ids, of those a 1M burst ran in, nextBigInt()',
        unit: '%',
        samples: 5,
        run: () => {
          const generator = ours()
          return fullMillisecondsPercent(burst(() => generator.nextBigInt()))
        },
        peer: { ...flakePeer, run: () => fullMillisecondsPercent(flakeBurst()) },
        note: 'Robust to a busy machine: milliseconds lost while the process was descheduled are not counted.',
      },
      {
        name: 'milliseconds used to the full 4096 ids, of those a 1M burst ran in, nextString()',
        unit: '%',
        samples: 5,
        run: () => {
          const generator = ours()
          const strings: string[] = new Array(BURST)
          for (let index = 0; index < BURST; index++) strings[index] = generator.nextString()
          return fullMillisecondsPercent(BigUint64Array.from(strings, (text) => BigInt(text)))
        },
        peer: {
          ...flakePeer,
          run: () => {
            const generator = flake()
            const strings: string[] = new Array(BURST)
            for (let index = 0; index < BURST; index++) {
              strings[index] = flakeNext(generator).readBigUInt64BE(0).toString()
            }
            return fullMillisecondsPercent(BigUint64Array.from(strings, (text) => BigInt(text)))
          },
        },
      },
      {
        name: 'duplicates in a burst of 1M ids (vs @sapphire/snowflake)',
        ...duplicateCase,
        run: () => {
          const generator = ours()
          return burstDuplicates(() => generator.nextBigInt())
        },
        peer: {
          name: '@sapphire/snowflake',
          version: '3.5.5',
          run: () => {
            const generator = new SapphireSnowflake(TWITTER_EPOCH_MS)
            return burstDuplicates(() => generator.generate())
          },
        },
        note: '@sapphire/snowflake wraps its increment at 4096 without waiting for the next millisecond.',
      },
      {
        name: 'duplicates in a burst of 1M ids (vs snowyflake)',
        ...duplicateCase,
        run: () => {
          const generator = ours()
          return burstDuplicates(() => generator.nextBigInt())
        },
        peer: {
          name: 'snowyflake',
          version: '2.0.1',
          run: () => {
            const generator = new Snowyflake({ epoch: BigInt(TWITTER_EPOCH_MS), workerId: 1n })
            return burstDuplicates(() => generator.nextId())
          },
        },
        note: 'snowyflake wraps its sequence at 4096 without waiting for the next millisecond.',
      },
      {
        name: 'duplicates in a burst of 1M ids (vs flake-idgen)',
        ...duplicateCase,
        run: () => {
          const generator = ours()
          return burstDuplicates(() => generator.nextBigInt())
        },
        peer: {
          ...flakePeer,
          run: () => countDuplicates(flakeBurst()),
        },
        note: 'flake-idgen is correct, but throws when the clock moves back (ours absorbs it: clockRollback).',
      },
      {
        name: 'duplicates in a burst of 1M ids (vs nodejs-snowflake)',
        ...duplicateCase,
        run: () => {
          const generator = ours()
          return burstDuplicates(() => generator.nextBigInt())
        },
        peer: {
          name: 'nodejs-snowflake',
          version: '2.0.1',
          run: () => {
            const generator = new WasmSnowflake({ custom_epoch: TWITTER_EPOCH_MS, instance_id: 1 })
            return burstDuplicates(() => generator.getUniqueID() as bigint)
          },
        },
        note: 'nodejs-snowflake is correct but capped at 1.024M ids/s (about 1 s per burst).',
      },
    ]
  },
}

export default suite
