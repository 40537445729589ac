/**
 * `synod-check`: checks a history file for linearizability.
 *
 * ```
 * synod-check --model <register|kv> --format <jepsen|edn|json> [--time-budget-ms N] FILE
 * ```
 *
 * Prints one JSON line `{"result":"ok|illegal|unknown","ops":N,"ms":N}` and exits
 * 0 (linearizable), 1 (not linearizable), 2 (unknown: out of budget) or 3 (bad
 * input: flags or file), with the reason on stderr.
 */
import { readFile, stat } from 'node:fs/promises'
import { SynodError } from '@synod/transport'
import {
  type CheckResult,
  checkHistory,
  DEFAULT_MAX_HISTORY_BYTES,
  DEFAULT_TIME_BUDGET_MS,
  InvalidHistoryArgumentError,
  type ReadHistory,
  type RegisterValue,
  readEdnHistory,
  readJepsenLog,
  readJsonHistory,
} from './linearizability/index.js'

/**
 * Exit code of `synod-check` for a linearizable history.
 *
 * @example
 * ```ts
 * if ((await main(argv)) === EXIT_LINEARIZABLE) console.log('linearizable')
 * ```
 */
export const EXIT_LINEARIZABLE = 0
/**
 * Exit code of `synod-check` for a history that is not linearizable.
 *
 * @example
 * ```ts
 * if ((await main(argv)) === EXIT_NOT_LINEARIZABLE) console.log('not linearizable')
 * ```
 */
export const EXIT_NOT_LINEARIZABLE = 1
/**
 * Exit code of `synod-check` when the search ran out of budget.
 *
 * @example
 * ```ts
 * if ((await main(argv)) === EXIT_UNKNOWN) console.log('try a larger --time-budget-ms')
 * ```
 */
export const EXIT_UNKNOWN = 2
/**
 * Exit code of `synod-check` for bad flags or a bad file.
 *
 * @example
 * ```ts
 * if ((await main(['--bogus'])) === EXIT_BAD_INPUT) console.log('see stderr')
 * ```
 */
export const EXIT_BAD_INPUT = 3

/**
 * The usage text printed by `--help`.
 *
 * @example
 * ```ts
 * console.log(USAGE)
 * ```
 */
export const USAGE = `Usage: synod-check --model <register|kv> --format <jepsen|edn|json> [options] FILE

Checks the history in FILE for linearizability and prints one JSON line:
  {"result":"ok|illegal|unknown","ops":N,"ms":N}

Options:
  --model register|kv      a single register (read/write/cas/append), or a map of them split by key
  --format jepsen|edn|json Jepsen log lines, Jepsen EDN maps (one a line), or synod-history/1 JSON
  --time-budget-ms N       give up with "unknown" after N ms (default ${DEFAULT_TIME_BUDGET_MS})
  --initial-value JSON     the value registers start with (default: the format's: null, or "" for EDN kv)
  --help                   print this help

Exit codes: 0 linearizable, 1 not linearizable, 2 unknown (out of budget), 3 bad input.
`

/**
 * Where `main` writes: the process's streams by default.
 *
 * @example
 * ```ts
 * let out = ''
 * await main(['--help'], { stdout: (text) => { out += text }, stderr: () => {} })
 * ```
 */
export interface CliOutput {
  stdout: (text: string) => void
  stderr: (text: string) => void
}

const processOutput: CliOutput = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
}

class UsageError extends Error {}

interface Flags {
  model: 'register' | 'kv'
  format: 'jepsen' | 'edn' | 'json'
  timeBudgetMs: number
  initialValue: RegisterValue | undefined
  file: string
}

const valueFlags = new Set(['--model', '--format', '--time-budget-ms', '--initial-value'])

function parseFlags(argv: readonly string[]): Flags | 'help' {
  const values = new Map<string, string>()
  const files: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const argument = argv[i]!
    if (argument === '--help' || argument === '-h') return 'help'
    if (argument === '--') {
      files.push(...argv.slice(i + 1))
      break
    }
    if (argument.startsWith('-') && argument !== '-') {
      const equals = argument.indexOf('=')
      const name = equals === -1 ? argument : argument.slice(0, equals)
      if (!valueFlags.has(name)) throw new UsageError(`unknown flag ${name}`)
      if (values.has(name)) throw new UsageError(`${name} given twice`)
      let value: string | undefined
      if (equals !== -1) value = argument.slice(equals + 1)
      else {
        value = argv[i + 1]
        i++
      }
      if (value === undefined) throw new UsageError(`${name} needs a value`)
      values.set(name, value)
      continue
    }
    files.push(argument)
  }
  const model = values.get('--model')
  if (model === undefined) throw new UsageError('missing --model <register|kv>')
  if (model !== 'register' && model !== 'kv') {
    throw new UsageError(`--model must be register or kv, got ${JSON.stringify(model)}`)
  }
  const format = values.get('--format')
  if (format === undefined) throw new UsageError('missing --format <jepsen|edn|json>')
  if (format !== 'jepsen' && format !== 'edn' && format !== 'json') {
    throw new UsageError(`--format must be jepsen, edn or json, got ${JSON.stringify(format)}`)
  }
  let timeBudgetMs = DEFAULT_TIME_BUDGET_MS
  const budget = values.get('--time-budget-ms')
  if (budget !== undefined) {
    if (!/^\d+$/.test(budget) || !Number.isSafeInteger(Number(budget))) {
      throw new UsageError(`--time-budget-ms must be a non-negative integer, got ${JSON.stringify(budget)}`)
    }
    timeBudgetMs = Number(budget)
  }
  let initialValue: RegisterValue | undefined
  const initial = values.get('--initial-value')
  if (initial !== undefined) {
    let parsed: unknown
    try {
      parsed = JSON.parse(initial)
    } catch {
      throw new UsageError(
        `--initial-value must be JSON (null, a number, a "string" or a boolean), got ${initial}`,
      )
    }
    if (
      parsed !== null &&
      typeof parsed !== 'string' &&
      typeof parsed !== 'number' &&
      typeof parsed !== 'boolean'
    ) {
      throw new UsageError(`--initial-value must be null, a number, a string or a boolean, got ${initial}`)
    }
    initialValue = parsed
  }
  if (files.length === 0) throw new UsageError('missing FILE')
  if (files.length > 1) throw new UsageError(`expected one FILE, got ${files.length}: ${files.join(' ')}`)
  return { model, format, timeBudgetMs, initialValue, file: files[0]! }
}

function describeFileError(file: string, error: unknown): string {
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : ''
  if (code === 'ENOENT') return `cannot read ${file}: no such file`
  if (code === 'EACCES' || code === 'EPERM') return `cannot read ${file}: permission denied`
  if (code === 'EISDIR') return `cannot read ${file}: it is a directory`
  return `cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`
}

/**
 * Runs `synod-check` with `argv` (the arguments after the program name).
 *
 * @param argv - e.g. `['--model', 'register', '--format', 'jepsen', 'etcd_000.log']`.
 * @param output - where to write (default: the process's stdout and stderr).
 * @returns the exit code: 0 linearizable, 1 not, 2 unknown, 3 bad input.
 * @example
 * ```ts
 * process.exitCode = await main(process.argv.slice(2))
 * ```
 */
export async function main(argv: string[], output: CliOutput = processOutput): Promise<number> {
  let flags: Flags | 'help'
  try {
    flags = parseFlags(argv)
  } catch (error) {
    if (!(error instanceof UsageError)) throw error
    output.stderr(`synod-check: ${error.message}\nRun synod-check --help for usage.\n`)
    return EXIT_BAD_INPUT
  }
  if (flags === 'help') {
    output.stdout(USAGE)
    return EXIT_LINEARIZABLE
  }
  const { file } = flags
  let bytes: Uint8Array
  try {
    const info = await stat(file)
    if (info.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' })
    if (info.size > DEFAULT_MAX_HISTORY_BYTES) {
      output.stderr(
        `synod-check: ${file}: ${info.size} bytes exceeds the limit of ${DEFAULT_MAX_HISTORY_BYTES} bytes\n`,
      )
      return EXIT_BAD_INPUT
    }
    bytes = await readFile(file)
  } catch (error) {
    output.stderr(`synod-check: ${describeFileError(file, error)}\n`)
    return EXIT_BAD_INPUT
  }
  let history: ReadHistory
  try {
    if (flags.format === 'jepsen') history = readJepsenLog(bytes)
    else if (flags.format === 'edn') history = readEdnHistory(bytes)
    else history = readJsonHistory(bytes)
  } catch (error) {
    if (!SynodError.isInstance(error)) throw error
    output.stderr(`synod-check: ${file}: ${error.message}\n`)
    return EXIT_BAD_INPUT
  }
  let verdict: CheckResult
  try {
    verdict = checkHistory(history, {
      model: flags.model,
      timeBudgetMs: flags.timeBudgetMs,
      ...(flags.initialValue === undefined ? {} : { initialValue: flags.initialValue }),
    })
  } catch (error) {
    if (!InvalidHistoryArgumentError.isInstance(error)) throw error
    const hint = flags.model === 'kv' ? 'try --model register' : 'try --model kv'
    output.stderr(`synod-check: ${file}: ${error.message} (${hint})\n`)
    return EXIT_BAD_INPUT
  }
  output.stdout(
    `${JSON.stringify({ result: verdict.result, ops: verdict.ops, ms: Math.round(verdict.ms) })}\n`,
  )
  if (verdict.result === 'ok') return EXIT_LINEARIZABLE
  const where = verdict.partition === undefined ? '' : ` (key ${JSON.stringify(verdict.partition)})`
  if (verdict.result === 'illegal') {
    output.stderr(
      `synod-check: not linearizable${where}: at most ${verdict.longestLinearized} of its ${verdict.partitionOps} operations linearize\n`,
    )
    return EXIT_NOT_LINEARIZABLE
  }
  output.stderr(
    `synod-check: unknown${where}: the search stopped at its ${verdict.reason === 'state-limit' ? 'state limit' : `time budget of ${flags.timeBudgetMs} ms`}\n`,
  )
  return EXIT_UNKNOWN
}
