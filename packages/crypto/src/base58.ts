/**
 * Base58btc (the Bitcoin alphabet), as used by libp2p peer ids. Written for short
 * inputs (a peer id is 38 bytes): quadratic, and bounded by its callers.
 */

const alphabet = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz'
const digitOf = new Int8Array(128).fill(-1)
for (let i = 0; i < alphabet.length; i++) digitOf[alphabet.charCodeAt(i)] = i

/** Encodes bytes in base58btc; each leading zero byte becomes a leading `1`. */
export function base58btcEncode(bytes: Uint8Array): string {
  let zeros = 0
  while (zeros < bytes.length && bytes[zeros] === 0) zeros++
  // base-58 digits, least significant first
  const digits: number[] = []
  for (let i = zeros; i < bytes.length; i++) {
    let carry = bytes[i]!
    for (let j = 0; j < digits.length; j++) {
      carry += digits[j]! << 8
      digits[j] = carry % 58
      carry = (carry / 58) | 0
    }
    while (carry > 0) {
      digits.push(carry % 58)
      carry = (carry / 58) | 0
    }
  }
  let out = '1'.repeat(zeros)
  for (let i = digits.length - 1; i >= 0; i--) out += alphabet[digits[i]!]
  return out
}

/**
 * Decodes base58btc; each leading `1` becomes a leading zero byte.
 *
 * @throws RangeError `name: expected only base58btc characters, got "0" at index 3`
 */
export function base58btcDecode(text: string, name: string): Uint8Array {
  let zeros = 0
  while (zeros < text.length && text[zeros] === '1') zeros++
  // bytes, least significant first
  const bytes: number[] = []
  for (let i = zeros; i < text.length; i++) {
    const code = text.charCodeAt(i)
    const digit = code < 128 ? digitOf[code]! : -1
    if (digit < 0) {
      throw new RangeError(
        `${name}: expected only base58btc characters, got ${JSON.stringify(text[i])} at index ${i}`,
      )
    }
    let carry = digit
    for (let j = 0; j < bytes.length; j++) {
      carry += bytes[j]! * 58
      bytes[j] = carry & 0xff
      carry >>= 8
    }
    while (carry > 0) {
      bytes.push(carry & 0xff)
      carry >>= 8
    }
  }
  const out = new Uint8Array(zeros + bytes.length)
  for (let i = 0; i < bytes.length; i++) out[out.length - 1 - i] = bytes[i]!
  return out
}
