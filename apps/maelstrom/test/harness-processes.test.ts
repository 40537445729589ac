import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { HarnessError } from '../src/errors.js'
import { packageRoot, resolveBinary } from '../src/harness/endpoints.js'
import { runHarness } from '../src/harness/harness.js'

const root = packageRoot()

function newestSourceMs(folder: string): number {
  let newest = 0
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name)
    newest = Math.max(newest, entry.isDirectory() ? newestSourceMs(path) : statSync(path).mtimeMs)
  }
  return newest
}

// These tests spawn the real binary, which runs dist/: build it first when it is missing or older than src/.
beforeAll(() => {
  const dist = join(root, 'dist', 'index.js')
  let builtMs = 0
  try {
    builtMs = statSync(dist).mtimeMs
  } catch {
    // not built
  }
  if (builtMs < newestSourceMs(join(root, 'src')))
    execFileSync('pnpm', ['exec', 'tsup'], { cwd: root, stdio: 'ignore' })
}, 120_000)

describe('harness (child processes of bin/synod-maelstrom.js)', () => {
  it('says how to build when dist is missing', () => {
    const empty = mkdtempSync(join(tmpdir(), 'synod-maelstrom-'))
    expect(() => resolveBinary(undefined, empty)).toThrow(HarnessError)
    expect(() => resolveBinary(undefined, empty)).toThrow(
      `synod-maelstrom is not built: ${join(empty, 'dist', 'index.js')} is missing; run \`pnpm --filter @synod/maelstrom build\` first`,
    )
  })

  it('the Maelstrom wrapper script runs a lin-kv node with the backend from SYNOD_MAELSTROM_BACKEND', () => {
    const input = [
      '{"src":"c0","dest":"n0","body":{"type":"init","msg_id":1,"node_id":"n0","node_ids":["n0","n1"]}}',
      '{"src":"c1","dest":"n0","body":{"type":"write","msg_id":2,"key":1,"value":5}}',
    ].join('\n')
    const wrapper = join(root, 'bin', 'synod-maelstrom-lin-kv')
    const run = spawnSync(wrapper, [], {
      input,
      encoding: 'utf8',
      env: { ...process.env, SYNOD_MAELSTROM_BACKEND: 'local-unsafe' },
    })
    expect(run.status).toBe(0)
    expect(
      run.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line).body.type),
    ).toEqual(['init_ok', 'write_ok'])
    expect(run.stderr).toContain('lin-kv node starting with the local-unsafe backend')
    // without SYNOD_MAELSTROM_BACKEND: the default, raft (a one-node cluster elects itself)
    const { SYNOD_MAELSTROM_BACKEND: _unset, ...environment } = process.env
    const raft = spawnSync(wrapper, [], {
      input: input.replace('"n0","n1"', '"n0"'),
      encoding: 'utf8',
      env: environment,
    })
    expect(raft.status).toBe(0)
    expect(
      raft.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line).body.type),
    ).toEqual(['init_ok', 'write_ok'])
    expect(raft.stderr).toContain('lin-kv node starting with the raft backend')
  })

  it('single-leader without faults: linearizable', async () => {
    const summary = await runHarness({
      backend: 'single-leader',
      nodes: 3,
      ops: 200,
      seed: 1,
      nemesis: 'none',
      lossRate: 0,
      duplicateRate: 0,
    })
    expect(summary).toMatchObject({
      mode: 'processes',
      verdict: 'ok',
      ops: 200,
      info: 0,
      unexpectedReplies: 0,
    })
    expect(summary.unexpectedExits).toEqual({})
  })

  it('single-leader with partitions, loss and duplicates: still linearizable', async () => {
    const summary = await runHarness({
      backend: 'single-leader',
      nodes: 3,
      ops: 200,
      seed: 2,
      nemesisIntervalMs: 50,
      lossRate: 0.1,
      duplicateRate: 0.05,
      requestTimeoutMs: 150,
      clientTimeoutMs: 300,
    })
    expect(summary.verdict).toBe('ok')
    expect(summary.nemesis.faults).toBeGreaterThan(0)
    expect(summary.unexpectedReplies).toBe(0)
    expect(summary.unexpectedExits).toEqual({})
  })

  it('raft (the default) with partitions, loss and duplicates: linearizable', async () => {
    const summary = await runHarness({
      nodes: 3,
      ops: 250,
      seed: 7,
      nemesisIntervalMs: 200,
      lossRate: 0.05,
      duplicateRate: 0.05,
      requestTimeoutMs: 400,
      clientTimeoutMs: 800,
    })
    expect(summary).toMatchObject({ mode: 'processes', backend: 'raft', verdict: 'ok', ops: 250 })
    expect(summary.nemesis.faults).toBeGreaterThan(2)
    expect(summary.ok).toBeGreaterThan(80)
    expect(summary.ok + summary.fail + summary.info).toBe(250)
    expect(summary.unexpectedReplies).toBe(0)
    expect(summary.unexpectedExits).toEqual({})
  })

  it('local-unsafe: illegal (the negative control)', async () => {
    const summary = await runHarness({
      nodes: 3,
      ops: 200,
      seed: 3,
      backend: 'local-unsafe',
      nemesis: 'none',
      lossRate: 0,
    })
    expect(summary.verdict).toBe('illegal')
  })
})
