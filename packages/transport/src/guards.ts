/**
 * Small pieces the packages' input guards share, so their error messages
 * describe values the same way.
 */

/**
 * Describes a value for an error message: strings quoted (cut at 40
 * characters), arrays and byte arrays by length, other objects and functions
 * by kind, anything else as `String(value)`.
 *
 * @param value - whatever the caller was given
 * @returns a short description
 * @example
 * ```ts
 * describeValue('abc') // '"abc"'
 * describeValue(new Uint8Array(3)) // 'Uint8Array of length 3'
 * describeValue(null) // 'null'
 * ```
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return `"${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`
  if (value === null) return 'null'
  if (Array.isArray(value)) return `array of length ${value.length}`
  if (value instanceof Uint8Array) return `Uint8Array of length ${value.length}`
  return typeof value === 'object' || typeof value === 'function' ? typeof value : String(value)
}

/**
 * The UTF-8 length of a string, counted without encoding it: a surrogate pair
 * is 4 bytes, a lone surrogate 3 (what `TextEncoder` writes for it, U+FFFD).
 *
 * @param text - the string to measure
 * @returns its length in UTF-8 bytes
 * @example
 * ```ts
 * utf8Length('é€😀') // 9
 * ```
 */
export function utf8Length(text: string): number {
  let bytes = 0
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i)
    if (unit < 0x80) bytes += 1
    else if (unit < 0x800) bytes += 2
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1)
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4
        i++
      } else bytes += 3
    } else bytes += 3
  }
  return bytes
}
