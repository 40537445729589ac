#!/usr/bin/env node
// One entry point for the root scripts, so that `npm start` and `npm test` work
// from a fresh clone with only Node and npm: it finds (or installs) pnpm,
// installs the workspace, then runs the job. Node built-ins only.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const env = { ...process.env, TURBO_TELEMETRY_DISABLED: '1', TURBO_NO_UPDATE_NOTIFIER: '1' }
const [job = 'test', ...rest] = process.argv.slice(2)

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, env, stdio: 'inherit', ...options })
  if (result.error) throw result.error
  return result.status ?? 1
}

function must(command, args, options) {
  const status = run(command, args, options)
  if (status !== 0) {
    console.error(`\n✗ ${command} ${args.join(' ')} exited with ${status}`)
    process.exit(status)
  }
}

/** Returns the argv prefix that runs pnpm 10, installing it when missing. */
function pnpm() {
  if (process.env.npm_execpath?.includes('pnpm')) return [process.execPath, process.env.npm_execpath]
  const probe = spawnSync('pnpm', ['--version'], { encoding: 'utf8', env })
  if (probe.status === 0 && probe.stdout.startsWith('10.')) return ['pnpm']
  console.log('pnpm 10 not found: installing it with `npm i -g pnpm@10`')
  if (run('npm', ['i', '-g', 'pnpm@10']) === 0) return ['pnpm']
  console.log('global install refused: using `npx pnpm@10`')
  return ['npx', '-y', 'pnpm@10']
}

const [pnpmCommand, ...pnpmPrefix] = pnpm()
const p = (...args) => must(pnpmCommand, [...pnpmPrefix, ...args])
const turbo = (...args) => p('exec', 'turbo', 'run', ...args, '--output-logs=new-only')

function install() {
  if (process.env.SYNOD_SKIP_INSTALL === '1') return
  p('install', '--frozen-lockfile', '--prefer-offline')
}

function lint() {
  p('exec', 'biome', 'check', '.')
  must(process.execPath, ['scripts/check-core-purity.mjs'])
  turbo('publint')
}

/** Sums the JSON reports that every package's vitest run leaves behind. */
function summarizeTests() {
  let passed = 0
  let failed = 0
  let skipped = 0
  const folders = ['packages', 'apps'].flatMap((group) =>
    existsSync(join(root, group))
      ? readdirSync(join(root, group)).map((name) => join(root, group, name))
      : [],
  )
  folders.push(join(root, 'benchmarks'))
  for (const folder of folders) {
    const file = join(folder, '.vitest-report.json')
    if (!existsSync(file)) continue
    const report = JSON.parse(readFileSync(file, 'utf8'))
    passed += report.numPassedTests ?? 0
    failed += report.numFailedTests ?? 0
    skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0)
  }
  console.log(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped`)
  return failed
}

switch (job) {
  case 'start':
    install()
    turbo('build')
    must(process.execPath, ['apps/demo/dist/main.js', ...rest])
    break
  case 'demo':
    turbo('build', '--filter=@synod/demo...')
    must(process.execPath, ['apps/demo/dist/main.js', ...rest])
    break
  case 'test':
    install()
    turbo('build')
    turbo('typecheck')
    lint()
    turbo('test', '--concurrency=1')
    process.exit(summarizeTests() === 0 ? 0 : 1)
    break
  case 'test:slow':
    turbo('build')
    turbo('test:slow', '--concurrency=1')
    break
  case 'lint':
    turbo('build')
    lint()
    break
  case 'bench':
    turbo('build', '--filter=@synod/benchmarks...')
    must(process.execPath, ['benchmarks/dist/cli.js', ...rest])
    break
  default:
    console.error(`unknown job "${job}": expected start, demo, test, test:slow, lint or bench`)
    process.exit(2)
}
