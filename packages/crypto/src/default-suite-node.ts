/** What `#default-suite` resolves to under the `node` export condition. */
export { nodeCrypto as defaultSuite } from './node-suite.js'
