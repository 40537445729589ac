import { nodeCrypto } from '../src/node.js'
import { portableCrypto } from '../src/portable.js'

/** Both implementations, for `describe.each`. */
export const suites = [nodeCrypto, portableCrypto] as const

export const hex = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text, 'hex'))
export const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')
export const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text)
