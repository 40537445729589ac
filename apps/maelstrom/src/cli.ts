/**
 * The `synod-maelstrom` command line: a lin-kv node for Maelstrom (the
 * default), or the in-repo harness (`synod-maelstrom harness …`).
 */
import type { Readable, Writable } from 'node:stream'
import { type BackendName, DEFAULT_BACKEND, parseBackendName, resolveBackend } from './backends/index.js'
import { BackendNotAvailableError, HarnessError, UsageError } from './errors.js'
import { type HarnessOptions, type NemesisKind, runHarness } from './harness/harness.js'
import { DEFAULT_REQUEST_TIMEOUT_MS, MaelstromNode } from './node.js'
import { DEFAULT_MAX_LINE_BYTES, LineSplitter } from './protocol/line-splitter.js'

/**
 * The text `--help` prints.
 *
 * @example
 * ```ts
 * process.stdout.write(USAGE)
 * ```
 */
export const USAGE = `Usage:
  synod-maelstrom --workload lin-kv [--backend NAME] [--request-timeout-ms N]
      Runs one Maelstrom node: JSON messages on stdin/stdout, logs on stderr.
  synod-maelstrom harness [--nodes N] [--ops N] [--seed N] [--backend NAME] [--clients N]
      [--keys N] [--nemesis none|partition] [--loss-rate P] [--duplicate-rate P]
      [--max-delay-ms N] [--nemesis-interval-ms N]
      [--client-timeout-ms N] [--request-timeout-ms N] [--time-budget-ms N] [--bin PATH]
      [--in-process] [--verbose]
      Runs N nodes (child processes of the built binary), routes their messages with
      seeded loss and partitions, runs concurrent clients, checks the history for
      linearizability, and prints one JSON summary line.
  synod-maelstrom --help

Backends: raft (default; @synod/raft with in-memory storage, followers forward writes
          to the leader), single-leader (n0 holds the map, the others forward to it),
          local-unsafe (NOT linearizable: a negative control).
Exit codes: node: 0 at the end of stdin; harness: 0 linearizable, 1 not linearizable,
            2 unknown (checker out of budget); 3 a bad command line or a harness failure.
`

/**
 * The exit code of a bad command line or a harness that could not run.
 *
 * @example
 * ```ts
 * if ((await main(['--workload', 'echo'])) === EXIT_USAGE) console.error('bad command line')
 * ```
 */
export const EXIT_USAGE = 3

/**
 * The streams `main` uses (the process's by default).
 *
 * @example
 * ```ts
 * await main(['--workload', 'lin-kv'], { stdin, stdout, stderr })
 * ```
 */
export interface CliStreams {
  stdin: Readable
  stdout: Writable
  stderr: Writable
}

type FlagKind =
  | { kind: 'string' }
  | { kind: 'integer'; min: number; max: number }
  | { kind: 'rate' }
  | { kind: 'switch' }
type FlagValue = string | number | boolean

function parseFlags(argv: readonly string[], specs: Record<string, FlagKind>): Map<string, FlagValue> {
  const values = new Map<string, FlagValue>()
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index]!
    if (!argument.startsWith('--')) throw new UsageError(`unexpected argument ${JSON.stringify(argument)}`)
    const equals = argument.indexOf('=')
    const flag = equals === -1 ? argument : argument.slice(0, equals)
    const spec = specs[flag]
    if (!spec) throw new UsageError(`unknown flag ${flag}`)
    if (values.has(flag)) throw new UsageError(`${flag} given twice`)
    if (spec.kind === 'switch') {
      if (equals !== -1) throw new UsageError(`${flag} takes no value`)
      values.set(flag, true)
      continue
    }
    let raw: string | undefined
    if (equals !== -1) raw = argument.slice(equals + 1)
    else {
      raw = argv[index + 1]
      if (raw === undefined || raw.startsWith('--')) throw new UsageError(`${flag}: missing value`)
      index++
    }
    values.set(flag, parseValue(flag, raw, spec))
  }
  return values
}

function parseValue(flag: string, raw: string, spec: FlagKind): FlagValue {
  switch (spec.kind) {
    case 'integer': {
      const value = /^-?\d+$/.test(raw) ? Number(raw) : Number.NaN
      if (!Number.isSafeInteger(value) || value < spec.min || value > spec.max)
        throw new UsageError(
          `${flag}: expected an integer from ${spec.min} to ${spec.max}, got ${JSON.stringify(raw)}`,
        )
      return value
    }
    case 'rate': {
      const value = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : Number.NaN
      if (!(value >= 0 && value <= 1))
        throw new UsageError(`${flag}: expected a number from 0 to 1, got ${JSON.stringify(raw)}`)
      return value
    }
    default:
      if (raw.length === 0) throw new UsageError(`${flag}: missing value`)
      return raw
  }
}

/**
 * The node's settings from its command line.
 *
 * @example
 * ```ts
 * parseServerArguments(['--workload', 'lin-kv']) // { workload: 'lin-kv', backend: 'raft', requestTimeoutMs: 1000 }
 * ```
 */
export interface ServerArguments {
  workload: 'lin-kv'
  backend: BackendName
  requestTimeoutMs: number
}

const timeoutFlag = { kind: 'integer', min: 1, max: 600_000 } as const

/**
 * Parses the node's command line.
 *
 * @throws {UsageError} with an exact message for anything it does not accept
 * @example
 * ```ts
 * parseServerArguments(['--workload', 'lin-kv', '--backend', 'single-leader'])
 * parseServerArguments([]) // UsageError: missing --workload (expected lin-kv)
 * ```
 */
export function parseServerArguments(argv: readonly string[]): ServerArguments {
  const flags = parseFlags(argv, {
    '--workload': { kind: 'string' },
    '--backend': { kind: 'string' },
    '--request-timeout-ms': timeoutFlag,
  })
  const workload = flags.get('--workload')
  if (workload === undefined) throw new UsageError('missing --workload (expected lin-kv)')
  if (workload !== 'lin-kv')
    throw new UsageError(`--workload: expected lin-kv, got ${JSON.stringify(workload)}`)
  const backend = flags.get('--backend')
  return {
    workload: 'lin-kv',
    backend: backend === undefined ? DEFAULT_BACKEND : parseBackendName(backend as string),
    requestTimeoutMs: (flags.get('--request-timeout-ms') as number | undefined) ?? DEFAULT_REQUEST_TIMEOUT_MS,
  }
}

/**
 * Parses `synod-maelstrom harness …` (the arguments after `harness`).
 *
 * @throws {UsageError} with an exact message for anything it does not accept
 * @example
 * ```ts
 * parseHarnessArguments(['--nodes', '3', '--ops', '500', '--seed', '1'])
 * // { nodes: 3, ops: 500, seed: 1 }
 * ```
 */
export function parseHarnessArguments(argv: readonly string[]): HarnessOptions {
  const flags = parseFlags(argv, {
    '--nodes': { kind: 'integer', min: 1, max: 16 },
    '--ops': { kind: 'integer', min: 1, max: 100_000 },
    '--seed': { kind: 'integer', min: 0, max: Number.MAX_SAFE_INTEGER },
    '--backend': { kind: 'string' },
    '--clients': { kind: 'integer', min: 1, max: 64 },
    '--keys': { kind: 'integer', min: 1, max: 100 },
    '--nemesis': { kind: 'string' },
    '--loss-rate': { kind: 'rate' },
    '--duplicate-rate': { kind: 'rate' },
    '--max-delay-ms': { kind: 'integer', min: 0, max: 10_000 },
    '--nemesis-interval-ms': timeoutFlag,
    '--client-timeout-ms': timeoutFlag,
    '--request-timeout-ms': timeoutFlag,
    '--time-budget-ms': { kind: 'integer', min: 1, max: 3_600_000 },
    '--bin': { kind: 'string' },
    '--in-process': { kind: 'switch' },
    '--verbose': { kind: 'switch' },
  })
  const options: HarnessOptions = {}
  const numberFlags = [
    ['--nodes', 'nodes'],
    ['--ops', 'ops'],
    ['--seed', 'seed'],
    ['--clients', 'clients'],
    ['--keys', 'keys'],
    ['--loss-rate', 'lossRate'],
    ['--duplicate-rate', 'duplicateRate'],
    ['--max-delay-ms', 'maxDelayMs'],
    ['--nemesis-interval-ms', 'nemesisIntervalMs'],
    ['--client-timeout-ms', 'clientTimeoutMs'],
    ['--request-timeout-ms', 'requestTimeoutMs'],
    ['--time-budget-ms', 'timeBudgetMs'],
  ] as const
  for (const [flag, field] of numberFlags) {
    const value = flags.get(flag)
    if (value !== undefined) options[field] = value as number
  }
  const backend = flags.get('--backend')
  if (backend !== undefined) options.backend = parseBackendName(backend as string)
  const nemesis = flags.get('--nemesis')
  if (nemesis !== undefined) {
    if (nemesis !== 'none' && nemesis !== 'partition')
      throw new UsageError(`--nemesis: expected none or partition, got ${JSON.stringify(nemesis)}`)
    options.nemesis = nemesis as NemesisKind
  }
  const bin = flags.get('--bin')
  if (bin !== undefined) options.binPath = bin as string
  if (flags.get('--in-process') === true) options.mode = 'in-process'
  if (flags.get('--verbose') === true) options.verbose = true
  return options
}

/**
 * Runs one node on the given streams until stdin ends.
 *
 * @returns the exit code (0)
 * @throws {BackendNotAvailableError} when the backend cannot run in this build
 * @example
 * ```ts
 * process.exitCode = await runServer(parseServerArguments(process.argv.slice(2)))
 * ```
 */
export async function runServer(
  settings: ServerArguments,
  streams: CliStreams = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  const backend = resolveBackend(settings.backend)
  const { stdin, stdout, stderr } = streams
  let prefix = 'synod-maelstrom'
  const log = (text: string) => {
    stderr.write(`${prefix}: ${text}\n`)
  }
  let outputBroken = false
  stdout.on('error', (error: Error) => {
    if (!outputBroken) log(`cannot write to stdout: ${error.message}`)
    outputBroken = true
  })
  const node = new MaelstromNode({
    backend,
    requestTimeoutMs: settings.requestTimeoutMs,
    write: (line) => {
      if (!outputBroken) stdout.write(`${line}\n`)
    },
    log: (text) => {
      if (node?.nodeId !== undefined) prefix = `synod-maelstrom ${node.nodeId}`
      log(text)
    },
  })
  const splitter = new LineSplitter({
    maxLineBytes: DEFAULT_MAX_LINE_BYTES,
    onLine: (line) => node.handleLine(line),
    onOversizedLine: (bytes) =>
      node.refuseLine(`line of ${bytes} bytes exceeds the limit of ${DEFAULT_MAX_LINE_BYTES} bytes`),
    onInvalidLine: (reason) => node.refuseLine(reason),
  })
  log(`lin-kv node starting with the ${settings.backend} backend`)
  await new Promise<void>((resolve) => {
    stdin.on('data', (chunk: Buffer | string) =>
      splitter.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk),
    )
    stdin.on('end', resolve)
    stdin.on('close', resolve)
    stdin.on('error', (error: Error) => {
      log(`cannot read stdin: ${error.message}`)
      resolve()
    })
  })
  splitter.end()
  if (!(await node.drain(settings.requestTimeoutMs + 100)))
    log(`${node.requestsInProgress} requests still in progress at the end of stdin`)
  await node.close()
  log('stdin ended; stopped')
  return 0
}

/**
 * The whole command line: `--help`, `harness …`, or a node.
 *
 * @param argv - the arguments after the script (`process.argv.slice(2)`)
 * @returns the process exit code
 * @example
 * ```ts
 * process.exitCode = await main(process.argv.slice(2))
 * ```
 */
export async function main(
  argv: readonly string[],
  streams: CliStreams = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  const { stdout, stderr } = streams
  if (argv.includes('--help') || argv.includes('-h')) {
    stdout.write(USAGE)
    return 0
  }
  try {
    if (argv[0] === 'harness') {
      const options = parseHarnessArguments(argv.slice(1))
      const summary = await runHarness({ ...options, log: (line) => stderr.write(`${line}\n`) })
      stdout.write(`${JSON.stringify(summary)}\n`)
      return summary.verdict === 'ok' ? 0 : summary.verdict === 'illegal' ? 1 : 2
    }
    return await runServer(parseServerArguments(argv), streams)
  } catch (error) {
    if (UsageError.isInstance(error)) {
      stderr.write(`synod-maelstrom: ${error.message}\nRun synod-maelstrom --help for usage.\n`)
      return EXIT_USAGE
    }
    if (
      BackendNotAvailableError.isInstance(error) ||
      HarnessError.isInstance(error) ||
      error instanceof RangeError
    ) {
      stderr.write(`synod-maelstrom: ${error.message}\n`)
      return EXIT_USAGE
    }
    throw error
  }
}
