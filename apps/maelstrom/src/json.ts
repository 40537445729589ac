/**
 * JSON values as they arrive from Maelstrom, and a canonical form for using
 * them as map keys and comparing them.
 */

/**
 * Any value `JSON.parse` can return.
 *
 * @example
 * ```ts
 * const value: JsonValue = { a: [1, 'two', null, true] }
 * ```
 */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue }

/**
 * A canonical JSON text for a parsed JSON value: object members sorted by name,
 * so that two equal values always give the same text.
 *
 * @example
 * ```ts
 * canonicalJson({ b: 1, a: [2] }) === canonicalJson({ a: [2], b: 1 }) // true
 * ```
 */
export function canonicalJson(value: JsonValue): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value)
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  const names = Object.keys(value).sort()
  return `{${names.map((name) => `${JSON.stringify(name)}:${canonicalJson(value[name] as JsonValue)}`).join(',')}}`
}

/**
 * Whether two parsed JSON values are equal (deep, member order ignored).
 *
 * @example
 * ```ts
 * jsonEquals([1, { a: 2 }], [1, { a: 2 }]) // true
 * jsonEquals(1, '1') // false
 * ```
 */
export function jsonEquals(a: JsonValue, b: JsonValue): boolean {
  if (a === b) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  return canonicalJson(a) === canonicalJson(b)
}

/**
 * Whether a value is a plain JSON object (not null, not an array).
 *
 * @example
 * ```ts
 * isJsonObject({ a: 1 }) // true
 * isJsonObject([1]) // false
 * ```
 */
export function isJsonObject(value: unknown): value is { [key: string]: JsonValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * The deepest nesting of arrays and objects accepted in keys and values.
 *
 * @example
 * ```ts
 * exceedsJsonDepth(value, MAX_JSON_DEPTH) // true for a key nested 65 levels deep
 * ```
 */
export const MAX_JSON_DEPTH = 64

/**
 * Whether a parsed JSON value nests arrays/objects deeper than `maxDepth`.
 * Iterative, so a hostile value cannot overflow the stack while being measured
 * (it would later, when compared or serialized: such values are refused first).
 *
 * @example
 * ```ts
 * exceedsJsonDepth([[1]], 1) // true
 * exceedsJsonDepth({ a: [1] }, 2) // false
 * ```
 */
export function exceedsJsonDepth(value: unknown, maxDepth: number = MAX_JSON_DEPTH): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]]
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!
    if (typeof current !== 'object' || current === null) continue
    if (depth + 1 > maxDepth) return true
    const children = Array.isArray(current) ? current : Object.values(current)
    for (const child of children)
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1])
  }
  return false
}
