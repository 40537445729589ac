/**
 * The shape every benchmark suite exports. A suite lives in
 * `benchmarks/src/suites/<core>.ts` and default-exports a `BenchSuite`; the CLI
 * finds suites by file name, so adding a file is all it takes to add a core.
 */

/** One thing to measure, optionally with the same workload run by an npm peer. */
export interface BenchCase {
  /** Short and specific: `lookup 100 servers × 160 points (ketama)`. */
  name: string
  /** The unit of the value `run` returns: `ops/s`, `MB/s`, `ms`, `bytes`… */
  unit: string
  /** True when a smaller value is better (latencies, memory). Default false. */
  lowerIsBetter?: boolean
  /** Runs one sample and returns the measured value in `unit`. */
  run: () => number | Promise<number>
  /** The peer's run of the same workload, measured in the same process and session. */
  peer?: {
    /** npm package name, e.g. `hashring`. */
    name: string
    /** The exact installed version, e.g. `3.2.0`. */
    version: string
    run: () => number | Promise<number>
  }
  /** Samples after warm-up (default: the suite's). */
  samples?: number
  /** Warm-up runs whose values are discarded (default: the suite's). */
  warmup?: number
  /** A note printed under the table and stored in the JSON (why a peer is missing, what a bound means). */
  note?: string
}

export interface BenchSuite {
  /** The core this suite measures, equal to its file name: `hashring`, `raft`… */
  core: string
  /** Default samples per case (default 7). */
  samples?: number
  /** Default warm-up runs per case (default 2). */
  warmup?: number
  /** Builds the cases (may start servers; `teardown` undoes it). */
  cases: () => BenchCase[] | Promise<BenchCase[]>
  teardown?: () => void | Promise<void>
}

/** One row of `benchmarks/results/<core>.json`. */
export interface BenchResult {
  name: string
  unit: string
  median: number
  min: number
  max: number
  samples: number[]
  peer?: { name: string; version: string; median: number }
  /** ours / peer for higher-is-better units, peer / ours for lower-is-better: > 1 means we are ahead. */
  ratio?: number
  note?: string
}
