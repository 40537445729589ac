/**
 * A small reader for the EDN subset that Jepsen histories use: nil, booleans,
 * integers, floats, strings, keywords, symbols, vectors, lists, maps and sets.
 * Tagged literals other than sets are refused. Nesting is limited.
 */

/** A keyword such as `:invoke`, kept as its name without the colon. */
export class EdnKeyword {
  readonly name: string
  constructor(name: string) {
    this.name = name
  }
  toString(): string {
    return `:${this.name}`
  }
}

/** A symbol such as `foo` (not `nil`, `true` or `false`). */
export class EdnSymbol {
  readonly name: string
  constructor(name: string) {
    this.name = name
  }
  toString(): string {
    return this.name
  }
}

/** An EDN value. Maps are keyed by the printed form of their keys (`:process`, `"k"`, `3`). */
export type EdnValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | EdnKeyword
  | EdnSymbol
  | EdnValue[]
  | Map<string, EdnValue>

/** A syntax error at a 1-based column. */
export class EdnSyntaxError extends Error {
  readonly column: number
  readonly reason: string
  constructor(column: number, reason: string) {
    super(`column ${column}: ${reason}`)
    this.column = column
    this.reason = reason
  }
}

/** The deepest nesting accepted. */
export const MAX_EDN_DEPTH = 32

const delimiters = new Set(['(', ')', '[', ']', '{', '}', '"', ';', ','])

function isWhitespace(char: string): boolean {
  return char === ' ' || char === ',' || char === '\t' || char === '\n' || char === '\r' || char === '\f'
}

/** Prints a value compactly, for map keys and error messages. */
export function printEdn(value: EdnValue): string {
  if (value === null) return 'nil'
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'bigint') return `${value}N`
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  if (value instanceof EdnKeyword || value instanceof EdnSymbol) return value.toString()
  if (Array.isArray(value)) return `[${value.map(printEdn).join(' ')}]`
  return `{${[...value].map(([key, item]) => `${key} ${printEdn(item)}`).join(', ')}}`
}

class Reader {
  position = 0
  readonly text: string
  constructor(text: string) {
    this.text = text
  }

  fail(reason: string, at = this.position): never {
    throw new EdnSyntaxError(at + 1, reason)
  }

  skipSpace(): void {
    const text = this.text
    while (this.position < text.length) {
      const char = text[this.position]!
      if (isWhitespace(char)) this.position++
      else if (char === ';') {
        while (this.position < text.length && text[this.position] !== '\n') this.position++
      } else break
    }
  }

  value(depth: number): EdnValue {
    if (depth > MAX_EDN_DEPTH) this.fail(`nesting deeper than ${MAX_EDN_DEPTH}`)
    this.skipSpace()
    const text = this.text
    if (this.position >= text.length) this.fail('unexpected end of input')
    const char = text[this.position]!
    switch (char) {
      case '"':
        return this.string()
      case '[':
        this.position++
        return this.sequence(']', depth)
      case '(':
        this.position++
        return this.sequence(')', depth)
      case '{':
        return this.map(depth)
      case '#': {
        if (text[this.position + 1] === '{') {
          this.position++
          this.position++
          return this.sequence('}', depth)
        }
        return this.fail('tagged literals are not supported')
      }
      case ')':
      case ']':
      case '}':
        return this.fail(`unexpected "${char}"`)
      default:
        return this.atom()
    }
  }

  sequence(close: string, depth: number): EdnValue[] {
    const items: EdnValue[] = []
    while (true) {
      this.skipSpace()
      if (this.position >= this.text.length) this.fail(`missing "${close}"`)
      if (this.text[this.position] === close) {
        this.position++
        return items
      }
      items.push(this.value(depth + 1))
    }
  }

  map(depth: number): Map<string, EdnValue> {
    const start = this.position
    this.position++
    const items = this.sequence('}', depth)
    if (items.length % 2 !== 0) this.fail('a map needs an even number of forms', start)
    const map = new Map<string, EdnValue>()
    for (let i = 0; i < items.length; i += 2) {
      const key = printEdn(items[i]!)
      if (map.has(key)) this.fail(`duplicate map key ${key}`, start)
      map.set(key, items[i + 1]!)
    }
    return map
  }

  string(): string {
    const text = this.text
    const start = this.position
    this.position++
    let result = ''
    while (true) {
      if (this.position >= text.length) this.fail('unterminated string', start)
      const char = text[this.position]!
      this.position++
      if (char === '"') return result
      if (char !== '\\') {
        result += char
        continue
      }
      const escaped = text[this.position]
      this.position++
      switch (escaped) {
        case 'n':
          result += '\n'
          break
        case 't':
          result += '\t'
          break
        case 'r':
          result += '\r'
          break
        case '"':
        case '\\':
          result += escaped
          break
        case 'u': {
          const hex = text.slice(this.position, this.position + 4)
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('bad \\u escape', this.position - 2)
          result += String.fromCharCode(Number.parseInt(hex, 16))
          this.position += 4
          break
        }
        default:
          this.fail(`unknown escape \\${escaped ?? ''}`, this.position - 2)
      }
    }
  }

  atom(): EdnValue {
    const text = this.text
    const start = this.position
    while (this.position < text.length) {
      const char = text[this.position]!
      if (isWhitespace(char) || delimiters.has(char)) break
      this.position++
    }
    const token = text.slice(start, this.position)
    if (token === 'nil') return null
    if (token === 'true') return true
    if (token === 'false') return false
    if (token.startsWith(':')) {
      if (!/^:[^:\s][^\s]*$/.test(token)) this.fail(`bad keyword "${token}"`, start)
      return new EdnKeyword(token.slice(1))
    }
    if (/^[+-]?\d/.test(token)) {
      if (/^[+-]?(0|[1-9]\d*)N?$/.test(token)) {
        const digits = token.endsWith('N') ? token.slice(0, -1) : token
        const big = BigInt(digits)
        if (big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER))
          return Number(big)
        return big
      }
      if (/^[+-]?\d+(\.\d+)?([eE][+-]?\d+)?M?$/.test(token)) {
        return Number(token.endsWith('M') ? token.slice(0, -1) : token)
      }
      this.fail(`bad number "${token}"`, start)
    }
    if (token === '' || !/^[A-Za-z*+!\-_?<>=./$%&|][^\s]*$/.test(token)) {
      this.fail(`unexpected "${text[start] ?? ''}"`, start)
    }
    return new EdnSymbol(token)
  }
}

/**
 * Reads exactly one EDN value from `text` (surrounding whitespace and comments allowed).
 *
 * @throws EdnSyntaxError naming the column of the problem.
 */
export function parseEdn(text: string): EdnValue {
  const reader = new Reader(text)
  const value = reader.value(0)
  reader.skipSpace()
  if (reader.position < text.length) reader.fail('unexpected text after the value')
  return value
}
