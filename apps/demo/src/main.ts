/**
 * `pnpm demo [--seed N]`: a short, readable tour of what Synod can do, every scene
 * on the deterministic simulator, so the same seed prints the same story.
 */

import { parseSeed, type Scene } from './scene.js'
import { gossipScene } from './scenes/gossip.js'
import { pbftScene } from './scenes/pbft.js'
import { raftScene } from './scenes/raft.js'
import { registerScene } from './scenes/register.js'
import { snapshotScene } from './scenes/snapshot.js'
import { twoPhaseCommitScene } from './scenes/two-phase-commit.js'

const scenes: Scene[] = [gossipScene, registerScene, raftScene, pbftScene, twoPhaseCommitScene, snapshotScene]

async function main(argv: string[]): Promise<number> {
  const seed = parseSeed(argv)
  console.log(`Synod demo, seed=${seed} (replay with: pnpm demo -- --seed ${seed})\n`)
  let failed = 0
  for (const scene of scenes) {
    console.log(`━━ ${scene.title}`)
    try {
      const lines = await scene.run(seed)
      for (const line of lines) console.log(`   ${line}`)
    } catch (error) {
      failed++
      console.log(`   ✗ ${error instanceof Error ? error.message : String(error)}`)
    }
    console.log('')
  }
  console.log(failed === 0 ? 'All scenes ended as they should.' : `${failed} scene(s) failed: see above.`)
  return failed === 0 ? 0 : 1
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error)
    process.exit(2)
  },
)
