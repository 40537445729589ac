import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import {
  generateKvHistory,
  type Operation,
  type RegisterInput,
  type RegisterOutput,
  writeJsonHistory,
} from '../../src/check.js'
import { main, USAGE } from '../../src/check-cli.js'
import { vendoredDataDirectory } from './testdata.js'

const packageDirectory = fileURLToPath(new URL('../../', import.meta.url))
const temporary = mkdtempSync(join(tmpdir(), 'synod-check-'))
afterAll(() => rmSync(temporary, { recursive: true, force: true }))

function file(name: string, text: string): string {
  const path = join(temporary, name)
  writeFileSync(path, text)
  return path
}

async function run(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = ''
  let stderr = ''
  const code = await main(argv, {
    stdout: (text) => {
      stdout += text
    },
    stderr: (text) => {
      stderr += text
    },
  })
  return { code, stdout, stderr }
}

/** The one JSON line, checked for its exact shape. */
function verdictLine(stdout: string): { result: string; ops: number; ms: number } {
  expect(stdout.endsWith('\n')).toBe(true)
  expect(stdout.trim().split('\n')).toHaveLength(1)
  const parsed = JSON.parse(stdout)
  expect(Object.keys(parsed)).toEqual(['result', 'ops', 'ms'])
  expect(Number.isInteger(parsed.ops) && Number.isInteger(parsed.ms) && parsed.ms >= 0).toBe(true)
  return parsed
}

const etcd = (name: string) => join(vendoredDataDirectory, 'jepsen-etcd', name)
const kv = (name: string) => join(vendoredDataDirectory, 'kv', name)

describe('synod-check main()', () => {
  it('prints its usage for --help and exits 0', async () => {
    const { code, stdout, stderr } = await run('--help')
    expect(code).toBe(0)
    expect(stdout).toBe(USAGE)
    expect(stderr).toBe('')
  })

  it('exits 0 on a linearizable Jepsen log and 1 on one that is not', async () => {
    const good = await run('--model', 'register', '--format', 'jepsen', etcd('etcd_002.log'))
    expect(good.code).toBe(0)
    expect(verdictLine(good.stdout)).toMatchObject({ result: 'ok', ops: 64 })
    expect(good.stderr).toBe('')
    const bad = await run('--model=register', '--format=jepsen', etcd('etcd_000.log'))
    expect(bad.code).toBe(1)
    expect(verdictLine(bad.stdout)).toMatchObject({ result: 'illegal', ops: 65 })
    expect(bad.stderr).toBe('synod-check: not linearizable: at most 33 of its 65 operations linearize\n')
  })

  it('checks EDN kv histories split by key', async () => {
    const good = await run('--model', 'kv', '--format', 'edn', kv('c10-ok.txt'))
    expect(good.code).toBe(0)
    expect(verdictLine(good.stdout).result).toBe('ok')
    const bad = await run('--format', 'edn', '--model', 'kv', kv('c01-bad.txt'))
    expect(bad.code).toBe(1)
    expect(verdictLine(bad.stdout).result).toBe('illegal')
    expect(bad.stderr).toMatch(
      /^synod-check: not linearizable \(key "\d+"\): at most \d+ of its \d+ operations linearize\n$/,
    )
    // with keys starting at nil instead of "", the ok history is no longer linearizable
    const wrongStart = await run(
      '--model',
      'kv',
      '--format',
      'edn',
      '--initial-value',
      'null',
      kv('c01-ok.txt'),
    )
    expect(wrongStart.code).toBe(1)
  })

  it('checks synod-history/1 JSON', async () => {
    const path = file(
      'generated.json',
      writeJsonHistory(generateKvHistory({ seed: 3, operations: 2000, keys: 10 }), { model: 'kv' }),
    )
    const { code, stdout } = await run('--model', 'kv', '--format', 'json', path)
    expect(code).toBe(0)
    expect(verdictLine(stdout)).toMatchObject({ result: 'ok', ops: 2000 })
  })

  it('exits 2 with unknown when the time budget runs out', async () => {
    const operations: Operation<RegisterInput, RegisterOutput>[] = []
    for (let i = 0; i < 18; i++) {
      operations.push({
        id: i,
        process: i,
        input: { type: 'write', value: i },
        invokeTime: 0,
        completeTime: 100,
        outcome: { type: 'ok', output: undefined },
      })
    }
    operations.push({
      id: 18,
      process: 18,
      input: { type: 'read' },
      invokeTime: 0,
      completeTime: 100,
      outcome: { type: 'ok', output: { value: 99 } },
    })
    const path = file('hard.json', writeJsonHistory(operations, { model: 'register' }))
    const { code, stdout, stderr } = await run(
      '--model',
      'register',
      '--format',
      'json',
      '--time-budget-ms',
      '0',
      path,
    )
    expect(code).toBe(2)
    expect(verdictLine(stdout)).toMatchObject({ result: 'unknown', ops: 19 })
    expect(stderr).toBe('synod-check: unknown: the search stopped at its time budget of 0 ms\n')
  })

  it.each([
    [['--model', 'register', '--format', 'jepsen', '--fast', 'x'], 'unknown flag --fast'],
    [['--format', 'jepsen', 'x'], 'missing --model <register|kv>'],
    [['--model', 'queue', '--format', 'jepsen', 'x'], '--model must be register or kv, got "queue"'],
    [['--model', 'kv', 'x'], 'missing --format <jepsen|edn|json>'],
    [['--model', 'kv', '--format', 'csv', 'x'], '--format must be jepsen, edn or json, got "csv"'],
    [['--model', 'kv', '--format', 'edn'], 'missing FILE'],
    [['--model', 'kv', '--format', 'edn', 'a', 'b'], 'expected one FILE, got 2: a b'],
    [['--model', 'kv', '--format', 'edn', '--model', 'kv', 'a'], '--model given twice'],
    [['--model', 'kv', '--format', 'edn', 'a', '--time-budget-ms'], '--time-budget-ms needs a value'],
    [
      ['--model', 'kv', '--format', 'edn', '--time-budget-ms', '1.5', 'a'],
      '--time-budget-ms must be a non-negative integer, got "1.5"',
    ],
    [
      ['--model', 'kv', '--format', 'edn', '--initial-value', 'nil', 'a'],
      '--initial-value must be JSON (null, a number, a "string" or a boolean), got nil',
    ],
    [
      ['--model', 'kv', '--format', 'edn', '--initial-value', '[1]', 'a'],
      '--initial-value must be null, a number, a string or a boolean, got [1]',
    ],
  ])('exits 3 on bad flags %j', async (argv, message) => {
    const { code, stdout, stderr } = await run(...argv)
    expect(code).toBe(3)
    expect(stdout).toBe('')
    expect(stderr).toBe(`synod-check: ${message}\nRun synod-check --help for usage.\n`)
  })

  it('exits 3 when the file is missing, a directory, or not a valid history', async () => {
    const missing = join(temporary, 'nope.log')
    expect(await run('--model', 'register', '--format', 'jepsen', missing)).toEqual({
      code: 3,
      stdout: '',
      stderr: `synod-check: cannot read ${missing}: no such file\n`,
    })
    expect(await run('--model', 'register', '--format', 'jepsen', temporary)).toEqual({
      code: 3,
      stdout: '',
      stderr: `synod-check: cannot read ${temporary}: it is a directory\n`,
    })
    const broken = file(
      'broken.log',
      'INFO  jepsen.util - 0\t:invoke\t:read\tnil\nINFO  jepsen.util - 0\t:ok\t:read\t[1\n',
    )
    expect(await run('--model', 'register', '--format', 'jepsen', broken)).toEqual({
      code: 3,
      stdout: '',
      stderr: `synod-check: ${broken}: line 2: value "[1" is not valid EDN (column 3: missing "]")\n`,
    })
    expect((await run('--model', 'register', '--format', 'json', broken)).stderr).toBe(
      `synod-check: ${broken}: line 1: invalid JSON at column 1: unexpected "I", expected a value\n`,
    )
  })

  it('exits 3 when the model does not fit the history', async () => {
    const asRegister = await run('--model', 'register', '--format', 'edn', kv('c01-ok.txt'))
    expect(asRegister.code).toBe(3)
    expect(asRegister.stderr).toBe(
      `synod-check: ${kv('c01-ok.txt')}: the register model takes operations without keys, but 58 of 58 have one (try --model kv)\n`,
    )
    const asKv = await run('--model', 'kv', '--format', 'jepsen', etcd('etcd_000.log'))
    expect(asKv.code).toBe(3)
    expect(asKv.stderr).toBe(
      `synod-check: ${etcd('etcd_000.log')}: the kv model needs a key on every operation, but 65 of 65 have none (try --model register)\n`,
    )
  })

  it('exits 3 when the path cannot be read as a file', async () => {
    // a directory cannot be read as a file, even by root (unlike a chmod 000 file)
    const directory = join(file('placeholder.log', ''), '..')
    const result = await run('--model', 'register', '--format', 'jepsen', directory)
    expect(result.code).toBe(3)
    expect(result.stderr).toBe(`synod-check: cannot read ${directory}: it is a directory\n`)
  })
})

describe('the built synod-check binary', () => {
  it('runs from bin/synod-check.js (needs `pnpm build` first)', () => {
    const built = join(packageDirectory, 'dist', 'check-cli.js')
    if (!existsSync(built)) {
      throw new Error(`${built} does not exist: run \`pnpm build\` in packages/sim before this test`)
    }
    const bin = join(packageDirectory, 'bin', 'synod-check.js')
    const good = spawnSync(process.execPath, [bin, '--model', 'kv', '--format', 'edn', kv('c01-ok.txt')], {
      encoding: 'utf8',
    })
    expect(good.status).toBe(0)
    expect(verdictLine(good.stdout).result).toBe('ok')
    const bad = spawnSync(
      process.execPath,
      [bin, '--model', 'register', '--format', 'jepsen', etcd('etcd_001.log')],
      {
        encoding: 'utf8',
      },
    )
    expect(bad.status).toBe(1)
    expect(verdictLine(bad.stdout).result).toBe('illegal')
    const flags = spawnSync(process.execPath, [bin, '--bogus'], { encoding: 'utf8' })
    expect(flags.status).toBe(3)
    expect(flags.stdout).toBe('')
    expect(flags.stderr).toBe('synod-check: unknown flag --bogus\nRun synod-check --help for usage.\n')
  })
})
