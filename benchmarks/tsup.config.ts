import { packageBuild } from '../tsup.shared.ts'

export default packageBuild(['src/cli.ts', 'src/suites/*.ts', 'src/raft/host.ts'], { dts: false })
