/**
 * CRC-32C (Castagnoli), one byte per step: the checksum of each stored record.
 */

const TABLE = new Uint32Array(256).map((_, index) => {
  let value = index
  for (let k = 0; k < 8; k++) value = value & 1 ? 0x82f63b78 ^ (value >>> 1) : value >>> 1
  return value >>> 0
})

/**
 * The CRC-32C of `bytes`, as an unsigned 32-bit integer.
 *
 * @example
 * ```ts
 * checksum(new TextEncoder().encode('123456789')) // 0xe3069283
 * ```
 */
export function checksum(bytes: Uint8Array): number {
  let value = 0xffffffff
  for (const byte of bytes) value = (TABLE[(value ^ byte) & 0xff] as number) ^ (value >>> 8)
  return (value ^ 0xffffffff) >>> 0
}
