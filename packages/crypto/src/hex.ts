import { assertBytes, assertString } from './guards.js'

const hexDigits = '0123456789abcdef'
const byteToHex: readonly string[] = Array.from(
  { length: 256 },
  (_, byte) => hexDigits[byte >> 4]! + hexDigits[byte & 15]!,
)

function nibble(code: number): number {
  if (code >= 48 && code <= 57) return code - 48 // 0-9
  if (code >= 97 && code <= 102) return code - 87 // a-f
  if (code >= 65 && code <= 70) return code - 55 // A-F
  return -1
}

/**
 * Encodes bytes as lowercase hex.
 *
 * @param bytes - any bytes
 * @returns two lowercase hex characters per byte
 * @throws TypeError `bytes: expected Uint8Array, got type=string`
 * @example
 * ```ts
 * bytesToHex(Uint8Array.of(0, 255)) // '00ff'
 * ```
 */
export function bytesToHex(bytes: Uint8Array): string {
  assertBytes(bytes, 'bytes')
  let out = ''
  for (let i = 0; i < bytes.length; i++) out += byteToHex[bytes[i]!]
  return out
}

/**
 * Decodes hex strictly: an even number of characters, each of `0-9a-fA-F`; no
 * `0x` prefix, no whitespace.
 *
 * @param hex - the hex text
 * @param name - the argument name used in error messages (default `hex`)
 * @returns the decoded bytes
 * @throws TypeError `hex: expected string, got type=number`
 * @throws RangeError `hex: expected even length, got length=3`
 * @throws RangeError `hex: expected only hex characters, got "g" at index 2`
 * @example
 * ```ts
 * hexToBytes('00ff') // Uint8Array [0, 255]
 * ```
 */
export function hexToBytes(hex: string, name = 'hex'): Uint8Array {
  assertString(hex, name)
  if (hex.length % 2 !== 0) throw new RangeError(`${name}: expected even length, got length=${hex.length}`)
  const out = new Uint8Array(hex.length / 2)
  for (let i = 0; i < out.length; i++) {
    const high = nibble(hex.charCodeAt(2 * i))
    const low = nibble(hex.charCodeAt(2 * i + 1))
    if (high < 0 || low < 0) {
      const index = high < 0 ? 2 * i : 2 * i + 1
      throw new RangeError(
        `${name}: expected only hex characters, got ${JSON.stringify(hex[index])} at index ${index}`,
      )
    }
    out[i] = (high << 4) | low
  }
  return out
}

/**
 * Encodes a 32-byte public key as 64 lowercase hex characters.
 *
 * @param publicKey - 32 raw bytes
 * @returns 64 lowercase hex characters
 * @throws TypeError `publicKey: expected Uint8Array, got type=string`
 * @throws RangeError `publicKey: expected Uint8Array of length 32, got length=31`
 * @example
 * ```ts
 * publicKeyToHex(keyPair.publicKey) // 'd75a9801…'
 * ```
 */
export function publicKeyToHex(publicKey: Uint8Array): string {
  assertBytes(publicKey, 'publicKey', 32)
  return bytesToHex(publicKey)
}

/**
 * Decodes a public key from exactly 64 hex characters.
 *
 * @param hex - 64 hex characters
 * @returns the 32 raw bytes
 * @throws TypeError `publicKey: expected string, got type=number`
 * @throws RangeError `publicKey: expected hex string of length 64, got length=62`
 * @throws RangeError `publicKey: expected only hex characters, got "z" at index 5`
 * @example
 * ```ts
 * publicKeyFromHex('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a')
 * ```
 */
export function publicKeyFromHex(hex: string): Uint8Array {
  assertString(hex, 'publicKey')
  if (hex.length !== 64)
    throw new RangeError(`publicKey: expected hex string of length 64, got length=${hex.length}`)
  return hexToBytes(hex, 'publicKey')
}
