import { describe, expect, it } from 'vitest'
import { parseSeed } from '../src/scene.js'
import { gossipScene } from '../src/scenes/gossip.js'
import { pbftScene } from '../src/scenes/pbft.js'
import { raftScene } from '../src/scenes/raft.js'
import { registerScene } from '../src/scenes/register.js'

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

  it('parses --seed and refuses anything else', () => {
    expect(parseSeed([])).toBe(1)
    expect(parseSeed(['--', '--seed', '42'])).toBe(42)
    expect(() => parseSeed(['--seed', '-1'])).toThrow('--seed: expected a non-negative integer, got -1')
    expect(() => parseSeed(['--seed'])).toThrow('--seed: expected a non-negative integer, got nothing')
    expect(() => parseSeed(['--fast'])).toThrow('unknown argument --fast: expected --seed N')
  })
})
