/**
 * The linearizability checker of `@synod/sim/check`: operations checked per
 * second on the Jepsen etcd histories that ship with Porcupine (60 logs, ~4,000
 * operations, 16 linearizable), and on a generated 10,000-operation, 10-key
 * history from a seeded linearizable execution, as is and with one read
 * corrupted (so the checker must prove it illegal). Files are read and parsed
 * before timing; each sample times the checks only.
 *
 * The data comes from the copy vendored in `packages/sim/test/linearizability/data`
 * (or `SYNOD_LINEARIZABILITY_DATA`).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  checkLinearizability,
  generateKvHistory,
  type KvInput,
  kvModel,
  type Operation,
  type RegisterInput,
  type RegisterOutput,
  readJepsenLog,
  registerModel,
} from '@synod/sim/check'
import type { BenchCase, BenchSuite } from '../harness.js'

const NO_PEER =
  'no npm peer: the reference checkers (Porcupine in Go, Knossos in Clojure) are not JavaScript packages'

function dataDirectory(): string {
  const fromEnvironment = process.env.SYNOD_LINEARIZABILITY_DATA
  if (fromEnvironment !== undefined) return fromEnvironment
  // benchmarks/src/suites and benchmarks/dist/suites are both three levels below the repository root
  return fileURLToPath(new URL('../../../packages/sim/test/linearizability/data/', import.meta.url))
}

interface EtcdLog {
  name: string
  operations: Operation<RegisterInput, RegisterOutput>[]
  expected: 'ok' | 'illegal'
}

function etcdLogs(): EtcdLog[] {
  const directory = join(dataDirectory(), 'jepsen-etcd')
  if (!existsSync(directory)) throw new Error(`${directory} does not exist: set SYNOD_LINEARIZABILITY_DATA`)
  const verdicts = new Map<string, string>()
  for (const line of readFileSync(join(directory, 'VERDICTS.txt'), 'utf8').split('\n')) {
    const [file, verdict] = line.trim().split(/\s+/)
    if (file !== undefined && verdict !== undefined) verdicts.set(file, verdict)
  }
  return readdirSync(directory)
    .filter((name) => name.endsWith('.log'))
    .sort()
    .map((name) => ({
      name,
      operations: readJepsenLog(readFileSync(join(directory, name))).operations as Operation<
        RegisterInput,
        RegisterOutput
      >[],
      expected: verdicts.get(name) === 'true' ? 'ok' : 'illegal',
    }))
}

/** Checks every log, insists on the listed verdict, and returns [operations, milliseconds]. */
function checkAll(logs: EtcdLog[]): [number, number] {
  let operations = 0
  const started = performance.now()
  for (const log of logs) {
    const verdict = checkLinearizability(log.operations, registerModel)
    if (verdict.result !== log.expected) {
      throw new Error(`${log.name}: ${verdict.result}, expected ${log.expected}`)
    }
    operations += verdict.ops
  }
  return [operations, performance.now() - started]
}

function timeCheck(operations: Operation<KvInput, RegisterOutput>[], expected: 'ok' | 'illegal'): number {
  const started = performance.now()
  const verdict = checkLinearizability(operations, kvModel)
  const elapsedMs = performance.now() - started
  if (verdict.result !== expected)
    throw new Error(`generated history: ${verdict.result}, expected ${expected}`)
  return elapsedMs
}

const suite: BenchSuite = {
  core: 'check',
  samples: 7,
  warmup: 2,
  cases(): BenchCase[] {
    const logs = etcdLogs()
    const generated = generateKvHistory({ seed: 2026, operations: 10_000, keys: 10 })
    const index = generated.findIndex(
      (operation, i) =>
        i > generated.length / 2 && operation.input.type === 'read' && operation.outcome.type === 'ok',
    )
    const mutated = [...generated]
    mutated[index] = { ...generated[index]!, outcome: { type: 'ok', output: { value: 'never written' } } }
    return [
      {
        name: `jepsen-etcd: all ${logs.length} logs, verdicts checked`,
        unit: 'ops/s',
        run: () => {
          const [operations, elapsedMs] = checkAll(logs)
          return (operations / elapsedMs) * 1000
        },
        note: NO_PEER,
      },
      {
        name: `jepsen-etcd: all ${logs.length} logs, total time (bound: 10 s)`,
        unit: 'ms',
        lowerIsBetter: true,
        run: () => checkAll(logs)[1],
      },
      {
        name: 'generated 10,000 ops × 10 keys, linearizable',
        unit: 'ops/s',
        run: () => (generated.length / timeCheck(generated, 'ok')) * 1000,
      },
      {
        name: 'generated 10,000 ops × 10 keys, linearizable, time (bound: 1 s)',
        unit: 'ms',
        lowerIsBetter: true,
        run: () => timeCheck(generated, 'ok'),
      },
      {
        name: 'generated 10,000 ops × 10 keys, one read corrupted (illegal)',
        unit: 'ops/s',
        run: () => (mutated.length / timeCheck(mutated, 'illegal')) * 1000,
      },
    ]
  },
}

export default suite
