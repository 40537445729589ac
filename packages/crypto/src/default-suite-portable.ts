/** What `#default-suite` resolves to everywhere else (browsers, bundlers, workers). */
export { portableCrypto as defaultSuite } from './portable.js'
