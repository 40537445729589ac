import { packageBuild } from '../../tsup.shared.ts'

export default packageBuild(
  { index: 'src/index.ts', 'storage-compliance': 'src/storage/compliance.ts' },
  { external: ['vitest'] },
)
