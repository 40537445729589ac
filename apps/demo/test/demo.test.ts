import { describe, expect, it } from 'vitest'
import { parseSeed } from '../src/scene.js'
import { gossipScene } from '../src/scenes/gossip.js'
import { pbftScene } from '../src/scenes/pbft.js'
import { raftScene } from '../src/scenes/raft.js'
import { registerScene } from '../src/scenes/register.js'
import { snapshotScene } from '../src/scenes/snapshot.js'
import { twoPhaseCommitScene } from '../src/scenes/two-phase-commit.js'

describe('demo', () => {
  it('tells the same story for the same seed', async () => {
    for (const scene of [gossipScene, registerScene, raftScene, pbftScene]) {
      expect(await scene.run(11)).toEqual(await scene.run(11))
    }
  })

  it('reports a linearizable register history on several seeds', async () => {
    for (const seed of [1, 2, 3]) {
      const lines = await registerScene.run(seed)
      expect(lines.join('\n')).toMatch(/history: ok \(linearizable\)/)
    }
  })

  it('tells the same 2PC and snapshot stories for the same seed, and another for another seed', async () => {
    for (const scene of [twoPhaseCommitScene, snapshotScene]) {
      const story = await scene.run(11)
      expect(await scene.run(11)).toEqual(story)
      expect(await scene.run(12)).not.toEqual(story)
    }
  })

  it('2PC: every participant agrees on every transaction, through the crash and the cooperative termination', async () => {
    for (const seed of [1, 2, 3, 7]) {
      const story = (await twoPhaseCommitScene.run(seed)).join('\n')
      expect(story).toMatch(
        /decided the same for every one of 5 transactions \(agree\), and none committed over a no/,
      )
      expect(story).toMatch(/order-3 .*stock no.* → ABORT/)
      expect(story).toMatch(/order-4 .*shipping read-only → COMMIT/)
      expect(story).toMatch(/stock, payment, shipping stay uncertain.*2PC blocks/)
      expect(story).toMatch(/payment from (stock|shipping) \(cooperative termination\)/)
      expect(story).toMatch(/nothing in doubt anywhere/)
    }
  })

  it('snapshots: balances plus money in flight equal the total in both concurrent snapshots', async () => {
    for (const seed of [1, 2, 3, 7]) {
      const story = (await snapshotScene.run(seed)).join('\n')
      expect(story.match(/in flight = 4000: conserved/g)).toHaveLength(2)
      expect(story).toMatch(/money conserved in both snapshots and live: 4000/)
    }
  })

  it('parses --seed and refuses anything else', () => {
    expect(parseSeed([])).toBe(1)
    expect(parseSeed(['--', '--seed', '42'])).toBe(42)
    expect(() => parseSeed(['--seed', '-1'])).toThrow('--seed: expected a non-negative integer, got -1')
    expect(() => parseSeed(['--seed'])).toThrow('--seed: expected a non-negative integer, got nothing')
    expect(() => parseSeed(['--fast'])).toThrow('unknown argument --fast: expected --seed N')
  })
})
