/**
 * Finds where a JSON text stops being valid, for error messages that name a
 * line and column (`JSON.parse` does not always say where). Only runs after
 * `JSON.parse` has failed.
 */

/** Where and why a JSON text is invalid; `offset` is 0-based. */
export interface JsonSyntaxProblem {
  offset: number
  reason: string
}

const MAX_JSON_DEPTH = 512

class Scanner {
  position = 0
  readonly text: string
  constructor(text: string) {
    this.text = text
  }

  problem(reason: string): never {
    throw { offset: this.position, reason } satisfies JsonSyntaxProblem
  }

  space(): void {
    while (this.position < this.text.length && ' \t\n\r'.includes(this.text[this.position]!)) this.position++
  }

  describe(): string {
    const char = this.text[this.position]
    return char === undefined ? 'end of input' : JSON.stringify(char)
  }

  value(depth: number): void {
    if (depth > MAX_JSON_DEPTH) this.problem('nesting too deep')
    this.space()
    const char = this.text[this.position]
    if (char === '{') this.object(depth)
    else if (char === '[') this.array(depth)
    else if (char === '"') this.string()
    else if (char === '-' || (char !== undefined && char >= '0' && char <= '9')) this.number()
    else this.word()
  }

  word(): void {
    for (const word of ['true', 'false', 'null']) {
      if (this.text.startsWith(word, this.position)) {
        this.position += word.length
        return
      }
    }
    this.problem(`unexpected ${this.describe()}, expected a value`)
  }

  object(depth: number): void {
    this.position++
    this.space()
    if (this.text[this.position] === '}') {
      this.position++
      return
    }
    while (true) {
      this.space()
      if (this.text[this.position] !== '"')
        this.problem(`unexpected ${this.describe()}, expected a property name`)
      this.string()
      this.space()
      if (this.text[this.position] !== ':') this.problem(`unexpected ${this.describe()}, expected ":"`)
      this.position++
      this.value(depth + 1)
      this.space()
      const char = this.text[this.position]
      this.position++
      if (char === '}') return
      if (char !== ',') {
        this.position--
        this.problem(`unexpected ${this.describe()}, expected "," or "}"`)
      }
    }
  }

  array(depth: number): void {
    this.position++
    this.space()
    if (this.text[this.position] === ']') {
      this.position++
      return
    }
    while (true) {
      this.value(depth + 1)
      this.space()
      const char = this.text[this.position]
      this.position++
      if (char === ']') return
      if (char !== ',') {
        this.position--
        this.problem(`unexpected ${this.describe()}, expected "," or "]"`)
      }
    }
  }

  string(): void {
    this.position++
    while (true) {
      const char = this.text[this.position]
      if (char === undefined) this.problem('unterminated string')
      if (char === '"') {
        this.position++
        return
      }
      if (char < ' ') this.problem('control character in a string')
      if (char === '\\') {
        const escaped = this.text[this.position + 1]
        if (escaped === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(this.text.slice(this.position + 2, this.position + 6))) {
            this.problem('bad \\u escape')
          }
          this.position += 6
          continue
        }
        if (escaped === undefined || !'"\\/bfnrt'.includes(escaped)) this.problem('bad escape')
        this.position += 2
        continue
      }
      this.position++
    }
  }

  number(): void {
    const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(
      this.text.slice(this.position, this.position + 400),
    )
    if (match === null) this.problem('bad number')
    this.position += match[0].length
  }
}

/** Where `text` stops being JSON, or undefined when the scanner finds nothing wrong. */
export function locateJsonProblem(text: string): JsonSyntaxProblem | undefined {
  const scanner = new Scanner(text)
  try {
    scanner.value(0)
    scanner.space()
    if (scanner.position < text.length) scanner.problem(`unexpected ${scanner.describe()} after the document`)
    return undefined
  } catch (thrown) {
    if (typeof thrown === 'object' && thrown !== null && 'offset' in thrown) {
      return thrown as JsonSyntaxProblem
    }
    if (thrown instanceof RangeError) return undefined // out of stack: fall back to JSON.parse's message
    throw thrown
  }
}
