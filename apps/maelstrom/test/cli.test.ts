import { PassThrough } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { DEFAULT_BACKEND, resolveBackend } from '../src/backends/index.js'
import { main, parseHarnessArguments, parseServerArguments, USAGE } from '../src/cli.js'

function streams(input = '') {
  const stdin = new PassThrough()
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  let out = ''
  let err = ''
  stdout.on('data', (chunk) => {
    out += chunk
  })
  stderr.on('data', (chunk) => {
    err += chunk
  })
  stdin.end(input)
  return { io: { stdin, stdout, stderr }, out: () => out, err: () => err }
}

describe('node command line', () => {
  it('accepts --workload lin-kv with a backend and a timeout, in both spellings', () => {
    expect(parseServerArguments(['--workload', 'lin-kv'])).toEqual({
      workload: 'lin-kv',
      backend: 'raft',
      requestTimeoutMs: 1000,
    })
    expect(
      parseServerArguments(['--workload=lin-kv', '--backend=local-unsafe', '--request-timeout-ms', '250']),
    ).toEqual({
      workload: 'lin-kv',
      backend: 'local-unsafe',
      requestTimeoutMs: 250,
    })
  })

  const bad: Array<[string[], string]> = [
    [[], 'missing --workload (expected lin-kv)'],
    [['--workload', 'echo'], '--workload: expected lin-kv, got "echo"'],
    [['--workload'], '--workload: missing value'],
    [['--workload', '--backend', 'raft'], '--workload: missing value'],
    [['--workload='], '--workload: missing value'],
    [['--workload', 'lin-kv', '--workload', 'lin-kv'], '--workload given twice'],
    [['--workload', 'lin-kv', '--nodes', '3'], 'unknown flag --nodes'],
    [['--workload', 'lin-kv', 'extra'], 'unexpected argument "extra"'],
    [
      ['--workload', 'lin-kv', '--backend', 'etcd'],
      '--backend: expected single-leader, raft or local-unsafe, got "etcd"',
    ],
    [
      ['--workload', 'lin-kv', '--request-timeout-ms', '0'],
      '--request-timeout-ms: expected an integer from 1 to 600000, got "0"',
    ],
    [
      ['--workload', 'lin-kv', '--request-timeout-ms', '1e3'],
      '--request-timeout-ms: expected an integer from 1 to 600000, got "1e3"',
    ],
  ]
  it.each(bad)('refuses %j with an exact message and exit code 3', async (argv, message) => {
    expect(() => parseServerArguments(argv)).toThrow(message)
    const s = streams()
    expect(await main(argv, s.io)).toBe(3)
    expect(s.err()).toBe(`synod-maelstrom: ${message}\nRun synod-maelstrom --help for usage.\n`)
  })

  it('prints the usage for --help and -h', async () => {
    for (const flag of ['--help', '-h']) {
      const s = streams()
      expect(await main([flag], s.io)).toBe(0)
      expect(s.out()).toBe(USAGE)
    }
  })

  it('runs raft by default: a one-node cluster elects itself and serves a session, exit 0 at the end of stdin', async () => {
    expect(DEFAULT_BACKEND).toBe('raft')
    expect(typeof resolveBackend('raft')).toBe('function')
    const lines = [
      '{"src":"c0","dest":"n0","body":{"type":"init","msg_id":1,"node_id":"n0","node_ids":["n0"]}}',
      '{"src":"c1","dest":"n0","body":{"type":"write","msg_id":2,"key":1,"value":7}}',
      '{"src":"c1","dest":"n0","body":{"type":"cas","msg_id":3,"key":2,"from":0,"to":1}}',
      '{"src":"c1","dest":"n0","body":{"type":"read","msg_id":4,"key":3}}',
    ]
    const s = streams(`${lines.join('\n')}\n`)
    expect(await main(['--workload', 'lin-kv'], s.io)).toBe(0)
    const out = s
      .out()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
    expect(out.map(({ src, dest, body: { msg_id, text, ...rest } }) => ({ src, dest, ...rest }))).toEqual(
      expect.arrayContaining([
        { src: 'n0', dest: 'c0', type: 'init_ok', in_reply_to: 1 },
        { src: 'n0', dest: 'c1', type: 'write_ok', in_reply_to: 2 },
        { src: 'n0', dest: 'c1', type: 'error', code: 20, in_reply_to: 3 },
        { src: 'n0', dest: 'c1', type: 'error', code: 20, in_reply_to: 4 },
      ]),
    )
    expect(out).toHaveLength(4)
    expect(s.err()).toContain('lin-kv node starting with the raft backend')
    expect(s.err()).toContain('raft: n0 started with members n0')
  })

  it('serves a whole session on stdin/stdout: only messages on stdout, logs on stderr, exit 0 at the end of stdin', async () => {
    const lines = [
      '{"src":"c0","dest":"n0","body":{"type":"init","msg_id":1,"node_id":"n0","node_ids":["n0"]}}',
      'this is not json',
      `{"src":"c1","dest":"n0","body":{"type":"write","msg_id":2,"key":1,"value":"${'x'.repeat(2 * 1024 * 1024)}"}}`,
      '{"src":"c1","dest":"n0","body":{"type":"write","msg_id":3,"key":1,"value":7}}',
      '{"src":"c1","dest":"n0","body":{"type":"read","msg_id":4,"key":1}}',
    ]
    const s = streams(`${lines.join('\n')}\n`)
    expect(await main(['--workload', 'lin-kv', '--backend', 'single-leader'], s.io)).toBe(0)
    const out = s
      .out()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
    // replies may leave in any order; each carries the next msg_id of this node
    expect(out.map((m) => m.body.msg_id)).toEqual([1, 2, 3])
    expect(out.map(({ src, dest, body: { msg_id, ...rest } }) => ({ src, dest, ...rest }))).toEqual(
      expect.arrayContaining([
        { src: 'n0', dest: 'c0', type: 'init_ok', in_reply_to: 1 },
        { src: 'n0', dest: 'c1', type: 'write_ok', in_reply_to: 3 },
        { src: 'n0', dest: 'c1', type: 'read_ok', value: 7, in_reply_to: 4 },
      ]),
    )
    expect(out).toHaveLength(3)
    expect(s.err()).toContain('synod-maelstrom n0: refused a line: invalid JSON')
    expect(s.err()).toContain(
      `refused a line: line of ${Buffer.byteLength(lines[2]!)} bytes exceeds the limit of 1048576 bytes`,
    )
  })
})

describe('harness command line', () => {
  it('parses every flag', () => {
    expect(
      parseHarnessArguments([
        '--nodes',
        '5',
        '--ops',
        '300',
        '--seed',
        '7',
        '--backend',
        'local-unsafe',
        '--clients',
        '4',
        '--keys',
        '2',
        '--nemesis',
        'none',
        '--loss-rate',
        '0.1',
        '--duplicate-rate',
        '0',
        '--max-delay-ms',
        '5',
        '--nemesis-interval-ms',
        '50',
        '--client-timeout-ms',
        '400',
        '--request-timeout-ms',
        '200',
        '--time-budget-ms',
        '1000',
        '--bin',
        '/x',
        '--in-process',
        '--verbose',
      ]),
    ).toEqual({
      nodes: 5,
      ops: 300,
      seed: 7,
      backend: 'local-unsafe',
      clients: 4,
      keys: 2,
      nemesis: 'none',
      lossRate: 0.1,
      duplicateRate: 0,
      maxDelayMs: 5,
      nemesisIntervalMs: 50,
      clientTimeoutMs: 400,
      requestTimeoutMs: 200,
      timeBudgetMs: 1000,
      binPath: '/x',
      mode: 'in-process',
      verbose: true,
    })
    expect(parseHarnessArguments([])).toEqual({})
  })

  const bad: Array<[string[], string]> = [
    [['--nodes', '0'], '--nodes: expected an integer from 1 to 16, got "0"'],
    [['--nodes', '17'], '--nodes: expected an integer from 1 to 16, got "17"'],
    [['--ops', 'many'], '--ops: expected an integer from 1 to 100000, got "many"'],
    [['--loss-rate', '1.5'], '--loss-rate: expected a number from 0 to 1, got "1.5"'],
    [['--loss-rate', '-0.1'], '--loss-rate: expected a number from 0 to 1, got "-0.1"'],
    [['--nemesis', 'kill'], '--nemesis: expected none or partition, got "kill"'],
    [['--verbose=yes'], '--verbose takes no value'],
    [['--workload', 'lin-kv'], 'unknown flag --workload'],
  ]
  it.each(bad)('refuses %j with an exact message and exit code 3', async (argv, message) => {
    expect(() => parseHarnessArguments(argv)).toThrow(message)
    const s = streams()
    expect(await main(['harness', ...argv], s.io)).toBe(3)
    expect(s.err()).toBe(`synod-maelstrom: ${message}\nRun synod-maelstrom --help for usage.\n`)
  })

  it('reports a missing --bin as a harness failure (exit 3)', async () => {
    const s = streams()
    expect(await main(['harness', '--bin', '/nonexistent/synod.js'], s.io)).toBe(3)
    expect(s.err()).toBe('synod-maelstrom: --bin: /nonexistent/synod.js does not exist\n')
  })

  it('runs in-process and prints one JSON summary line, exit 0 when linearizable', async () => {
    const s = streams()
    const code = await main(
      ['harness', '--in-process', '--ops', '50', '--nemesis', 'none', '--loss-rate', '0'],
      s.io,
    )
    const summary = JSON.parse(s.out())
    expect(summary).toMatchObject({
      workload: 'lin-kv',
      backend: 'raft',
      mode: 'in-process',
      ops: 50,
      verdict: 'ok',
    })
    expect(code).toBe(0)
  })
})
