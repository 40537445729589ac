import { packageBuild } from '../../tsup.shared.ts'

export default packageBuild(['src/main.ts'], { dts: false })
