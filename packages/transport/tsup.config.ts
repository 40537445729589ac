import { packageBuild } from '../../tsup.shared.ts'

export default packageBuild(['src/index.ts', 'src/compliance.ts', 'src/link.ts'], { external: ['vitest'] })
