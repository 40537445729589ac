/**
 * `pnpm bench [core…] [--samples N] [--warmup N] [--list]`: runs benchmark suites,
 * prints a table per suite, writes `benchmarks/results/<core>.json` and
 * regenerates the results section of `benchmarks/README.md`.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { BenchCase, BenchResult, BenchSuite } from './harness.js'
import { formatValue, markdownTable, summarize } from './stats.js'

const here = dirname(fileURLToPath(import.meta.url))
const packageRoot = join(here, '..')
const suitesDir = join(here, 'suites')
const resultsDir = join(packageRoot, 'results')
const readmePath = join(packageRoot, 'README.md')

interface Options {
  cores: string[]
  samples?: number
  warmup?: number
  list: boolean
}

function parseArgs(argv: string[]): Options {
  const options: Options = { cores: [], list: false }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    const count = (flag: string, min: number) => {
      const value = Number(argv[++i])
      if (!Number.isSafeInteger(value) || value < min || value > 1000) {
        throw new RangeError(`${flag}: expected an integer from ${min} to 1000, got ${argv[i] ?? 'nothing'}`)
      }
      return value
    }
    if (arg === '--samples') options.samples = count('--samples', 1)
    else if (arg === '--warmup') options.warmup = count('--warmup', 0)
    else if (arg === '--list') options.list = true
    else if (arg === '--help' || arg === '-h') {
      console.log('usage: pnpm bench [core…] [--samples N] [--warmup N] [--list]')
      process.exit(0)
    } else if (arg.startsWith('-'))
      throw new RangeError(`unknown flag ${arg}: expected --samples, --warmup or --list`)
    else options.cores.push(arg)
  }
  return options
}

function availableSuites(): string[] {
  if (!existsSync(suitesDir)) return []
  return readdirSync(suitesDir)
    .filter((f) => f.endsWith('.js'))
    .map((f) => f.slice(0, -3))
    .sort()
}

/** `transport` selects `transport` and `transport-libp2p`. */
function selects(requested: string, suite: string): boolean {
  return suite === requested || suite.startsWith(`${requested}-`)
}

/** Progress on a terminal: rewritten in place; nothing when piped. */
function progress(text: string): void {
  if (process.stdout.isTTY) process.stdout.write(`\r  ${text}\u001b[K`)
}

async function measure(run: () => number | Promise<number>, what: string): Promise<number> {
  const value = await run()
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new TypeError(`${what}: run() must return a number, got ${String(value)}`)
  }
  return value
}

async function runCase(
  core: string,
  c: BenchCase,
  suite: BenchSuite,
  options: Options,
): Promise<BenchResult> {
  const samples = options.samples ?? c.samples ?? suite.samples ?? 7
  const warmup = options.warmup ?? c.warmup ?? suite.warmup ?? 2
  const ours: number[] = []
  const theirs: number[] = []
  const label = `${core} › ${c.name}`
  for (let i = 0; i < warmup; i++) {
    progress(`${label}: warm-up ${i + 1}/${warmup}`)
    await measure(c.run, label)
    if (c.peer) await measure(c.peer.run, `${label} (peer)`)
  }
  // interleave ours and the peer's samples so drift on the machine hits both alike
  for (let i = 0; i < samples; i++) {
    progress(`${label}: sample ${i + 1}/${samples}`)
    ours.push(await measure(c.run, label))
    if (c.peer) theirs.push(await measure(c.peer.run, `${label} (peer)`))
  }
  const result = summarize({
    name: c.name,
    unit: c.unit,
    ...(c.lowerIsBetter ? { lowerIsBetter: true } : {}),
    samples: ours,
    ...(c.peer ? { peer: { name: c.peer.name, version: c.peer.version, samples: theirs } } : {}),
    ...(c.note ? { note: c.note } : {}),
  })
  const peerText = result.peer ? `  vs ${result.peer.name} ${formatValue(result.peer.median)}` : ''
  const ratioText = result.ratio === undefined ? '' : `  (${result.ratio.toFixed(2)}×)`
  progress('')
  process.stdout.write(`\r  ${label}: ${formatValue(result.median)} ${c.unit}${peerText}${ratioText}\n`)
  return result
}

function machineLine(): string {
  const cpu = cpus()
  return `Node ${process.version}, ${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}`
}

/** Rewrites the part of benchmarks/README.md between the results markers from every results/*.json. */
export function writeReadmeTables(): void {
  const begin = '<!-- results:begin -->'
  const end = '<!-- results:end -->'
  const readme = existsSync(readmePath)
    ? readFileSync(readmePath, 'utf8')
    : `# Benchmarks\n\n${begin}\n${end}\n`
  const files = existsSync(resultsDir) ? readdirSync(resultsDir).filter((f) => f.endsWith('.json')) : []
  const sections = files.sort().map((file) => {
    const results = JSON.parse(readFileSync(join(resultsDir, file), 'utf8')) as BenchResult[]
    const notes = results.filter((r) => r.note).map((r) => `- ${r.name}: ${r.note}`)
    return [
      `### ${file.slice(0, -5)}`,
      '',
      markdownTable(results),
      ...(notes.length ? ['', ...notes] : []),
    ].join('\n')
  })
  const start = readme.indexOf(begin)
  const stop = readme.indexOf(end)
  if (start < 0 || stop < start) throw new Error(`${readmePath}: missing the ${begin} / ${end} markers`)
  const body = `${begin}\n_Generated by \`pnpm bench\` from \`results/*.json\`; last run on ${machineLine()}._\n\n${sections.join('\n\n')}\n${end}`
  writeFileSync(readmePath, readme.slice(0, start) + body + readme.slice(stop + end.length))
}

async function main(): Promise<number> {
  const options = parseArgs(process.argv.slice(2))
  const suites = availableSuites()
  if (options.list) {
    console.log(suites.join('\n'))
    return 0
  }
  for (const requested of options.cores) {
    if (!suites.some((s) => selects(requested, s))) {
      console.error(`unknown benchmark "${requested}": expected one of ${suites.join(', ')}`)
      return 2
    }
  }
  const chosen = options.cores.length
    ? suites.filter((s) => options.cores.some((r) => selects(r, s)))
    : suites
  mkdirSync(resultsDir, { recursive: true })
  console.log(`Synod benchmarks on ${machineLine()}\n`)
  for (const name of chosen) {
    const module = (await import(pathToFileURL(join(suitesDir, `${name}.js`)).href)) as {
      default: BenchSuite
    }
    const suite = module.default
    console.log(`▸ ${suite.core}`)
    const results: BenchResult[] = []
    try {
      for (const c of await suite.cases()) results.push(await runCase(suite.core, c, suite, options))
    } finally {
      await suite.teardown?.()
    }
    writeFileSync(join(resultsDir, `${suite.core}.json`), `${JSON.stringify(results, null, 2)}\n`)
    console.log(`\n${markdownTable(results)}\n`)
  }
  writeReadmeTables()
  console.log(`results written to ${resultsDir} and ${readmePath}`)
  return 0
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error)
    process.exit(1)
  },
)
