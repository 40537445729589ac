import { describe, expect, it } from 'vitest'
import { createLocalUnsafeBackend } from '../src/backends/local-unsafe.js'
import { raftBackend } from '../src/backends/raft.js'
import type { KvBackend } from '../src/backends/types.js'
import { MaelstromRequestError, TemporarilyUnavailableError } from '../src/errors.js'
import { runHarness } from '../src/harness/harness.js'

// The harness with its nodes in this process: the same router, nemesis,
// clients and checker as with child processes, without the spawn cost.
describe('harness (in-process nodes)', () => {
  it('finds the single-leader backend linearizable without faults', async () => {
    const summary = await runHarness({
      mode: 'in-process',
      backend: 'single-leader',
      ops: 300,
      seed: 1,
      nemesis: 'none',
      lossRate: 0,
      duplicateRate: 0,
    })
    expect(summary).toMatchObject({
      verdict: 'ok',
      ops: 300,
      info: 0,
      unexpectedReplies: 0,
      backend: 'single-leader',
    })
    expect(summary.ok + summary.fail).toBe(300)
    expect(summary.network.delivered).toBeGreaterThan(0)
  })

  it('finds the single-leader backend linearizable under partitions, loss, duplicates and delays (unavailability shows as info)', async () => {
    const summary = await runHarness({
      mode: 'in-process',
      backend: 'single-leader',
      ops: 400,
      seed: 2,
      nemesis: 'partition',
      nemesisIntervalMs: 40,
      lossRate: 0.1,
      duplicateRate: 0.1,
      maxDelayMs: 5,
      requestTimeoutMs: 100,
      clientTimeoutMs: 200,
    })
    expect(summary.verdict).toBe('ok')
    expect(summary.nemesis.faults).toBeGreaterThan(0)
    expect(summary.network.dropped).toBeGreaterThan(0)
    expect(summary.network.duplicated).toBeGreaterThan(0)
    expect(summary.info).toBeGreaterThan(0)
    expect(summary.ok + summary.fail + summary.info).toBe(400)
    expect(summary.unexpectedReplies).toBe(0)
  })

  it('finds the raft backend (the default) linearizable without faults', async () => {
    const summary = await runHarness({
      mode: 'in-process',
      ops: 300,
      seed: 1,
      nemesis: 'none',
      lossRate: 0,
      duplicateRate: 0,
    })
    expect(summary).toMatchObject({ verdict: 'ok', ops: 300, info: 0, unexpectedReplies: 0, backend: 'raft' })
    expect(summary.ok + summary.fail).toBe(300)
    // the first operations may meet no leader (11); most succeed
    expect(summary.ok).toBeGreaterThan(150)
  })

  it.each([
    [5, 0],
    [6, 5],
  ])(
    'finds the raft backend linearizable under partitions, loss, duplicates and delays (seed %i, delay up to %i ms)',
    async (seed, maxDelayMs) => {
      const summary = await runHarness({
        mode: 'in-process',
        backend: 'raft',
        ops: 400,
        seed,
        nemesis: 'partition',
        nemesisIntervalMs: 150,
        lossRate: 0.1,
        duplicateRate: 0.1,
        maxDelayMs,
        requestTimeoutMs: 300,
        clientTimeoutMs: 600,
      })
      expect(summary.verdict).toBe('ok')
      expect(summary.nemesis.faults).toBeGreaterThan(5)
      expect(summary.network.dropped).toBeGreaterThan(0)
      expect(summary.network.duplicated).toBeGreaterThan(0)
      expect(summary.ok + summary.fail + summary.info).toBe(400)
      expect(summary.ok).toBeGreaterThan(100)
      expect(summary.unexpectedReplies).toBe(0)
    },
  )

  it('finds local-unsafe illegal (negative control)', async () => {
    const summary = await runHarness({
      mode: 'in-process',
      backend: 'local-unsafe',
      ops: 200,
      seed: 3,
      nemesis: 'none',
      lossRate: 0,
    })
    expect(summary.verdict).toBe('illegal')
    expect(summary.check.partition).toBeDefined()
  })

  it('finds illegal a backend that answers a definite error for an operation it applied', async () => {
    // one shared map (so it would be linearizable), but every write lies: applied, then reported as code 11
    const shared = createLocalUnsafeBackend()
    const liar: KvBackend = {
      ...shared,
      write: async (key, value) => {
        await shared.write(key, value)
        throw new TemporarilyUnavailableError('pretending nothing happened')
      },
    }
    const summary = await runHarness({
      mode: 'in-process',
      backendFactory: () => liar,
      ops: 200,
      seed: 4,
      nemesis: 'none',
      lossRate: 0,
    })
    expect(summary.verdict).toBe('illegal')
  })

  it('finds illegal a raft backend that answers 11 where it should answer 0 (unknown outcome)', async () => {
    // the real raft backend, except that every indefinite write/cas failure is reported as definite
    const raft = raftBackend()
    const lie = (error: unknown): never => {
      if (MaelstromRequestError.isInstance(error) && error.maelstromCode === 0)
        throw new TemporarilyUnavailableError('pretending the outcome is known')
      throw error
    }
    // Timing is real, so whether a lie is exposed (a write answered 11 is later read) varies from run
    // to run: about one run in six of seed 5 alone came out 'ok'. Up to four seeds are tried; the
    // test fails only if none of them exposes the lie.
    const verdicts: string[] = []
    for (const seed of [5, 6, 7, 8]) {
      const summary = await runHarness({
        mode: 'in-process',
        backendFactory: (context) => {
          const inner = raft(context)
          return {
            read: (key) => inner.read(key),
            write: (key, value) => inner.write(key, value).catch(lie),
            cas: (key, from, to, options) => inner.cas(key, from, to, options).catch(lie),
            close: () => inner.close(),
          }
        },
        ops: 400,
        seed,
        nemesis: 'partition',
        nemesisIntervalMs: 150,
        lossRate: 0.1,
        duplicateRate: 0.1,
        maxDelayMs: 5,
        requestTimeoutMs: 300,
        clientTimeoutMs: 600,
      })
      verdicts.push(`seed ${seed}: ${summary.verdict} (${summary.fail} answered 11)`)
      if (summary.verdict === 'illegal') break
    }
    expect(verdicts.at(-1), verdicts.join('; ')).toMatch(/: illegal /)
  })

  it('refuses options out of range with exact messages', async () => {
    await expect(runHarness({ nodes: 0 })).rejects.toThrow('nodes: expected an integer from 1 to 16, got 0')
    await expect(runHarness({ lossRate: 2 })).rejects.toThrow(
      'lossRate: expected a number from 0 to 1, got 2',
    )
  })
})
