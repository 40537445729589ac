import { packageBuild } from '../../tsup.shared.ts'

// `#default-suite` stays external: it is resolved at run time through package.json
// `imports` by export condition (`node` → default-suite-node.js, else
// default-suite-portable.js), so the node code never lands in a browser bundle.
export default packageBuild(
  [
    'src/index.ts',
    'src/node.ts',
    'src/portable.ts',
    'src/default-suite-node.ts',
    'src/default-suite-portable.ts',
  ],
  { external: ['#default-suite'], removeNodeProtocol: false },
)
