/**
 * Splits a byte stream into newline-terminated lines, with a limit on the
 * length of a line: an oversized line is skipped up to its newline without
 * being buffered, and reported once.
 */

/**
 * The default longest line accepted: 1 MiB.
 *
 * @example
 * ```ts
 * new LineSplitter({ onLine, maxLineBytes: DEFAULT_MAX_LINE_BYTES * 4 })
 * ```
 */
export const DEFAULT_MAX_LINE_BYTES = 1024 * 1024

/**
 * Options of `LineSplitter`.
 *
 * @example
 * ```ts
 * new LineSplitter({ onLine: console.log, onOversizedLine: (n) => console.error(`skipped ${n} bytes`) })
 * ```
 */
export interface LineSplitterOptions {
  /** Called with each complete line, without its `\n` (and without a `\r` before it). */
  onLine: (line: string) => void
  /** Called once per skipped line, with how many bytes it had before being cut (at least `maxLineBytes + 1`). */
  onOversizedLine?: (bytesSeen: number) => void
  /** Called with each line that is not valid UTF-8 (the line is skipped). */
  onInvalidLine?: (reason: string) => void
  /** The longest line accepted, in bytes, without the newline (default 1 MiB). */
  maxLineBytes?: number
}

const NEWLINE = 0x0a
const decoder = new TextDecoder('utf-8', { fatal: true })

/**
 * Turns chunks of bytes into lines.
 *
 * @throws {RangeError} when `maxLineBytes` is not a positive integer
 * @example
 * ```ts
 * const splitter = new LineSplitter({ onLine: (line) => console.log(line) })
 * splitter.push(Buffer.from('{"a":1}\n{"b"'))
 * splitter.push(Buffer.from(':2}\n')) // prints {"a":1} then {"b":2}
 * splitter.end()
 * ```
 */
export class LineSplitter {
  private readonly options: LineSplitterOptions
  private readonly maxLineBytes: number
  private parts: Uint8Array[] = []
  private bufferedBytes = 0
  /** Bytes of the current line seen while skipping it (0 when not skipping). */
  private skippedBytes = 0

  constructor(options: LineSplitterOptions) {
    const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES
    if (!Number.isSafeInteger(maxLineBytes) || maxLineBytes <= 0)
      throw new RangeError(`maxLineBytes: expected a positive integer, got ${String(maxLineBytes)}`)
    this.options = options
    this.maxLineBytes = maxLineBytes
  }

  /** Feeds the next chunk; calls `onLine` for each line it completes. */
  push(chunk: Uint8Array): void {
    let start = 0
    while (start < chunk.length) {
      const newline = chunk.indexOf(NEWLINE, start)
      const end = newline === -1 ? chunk.length : newline
      this.take(chunk.subarray(start, end))
      if (newline === -1) return
      this.finishLine()
      start = newline + 1
    }
  }

  /** Ends the stream: a last line without a newline is still delivered. */
  end(): void {
    if (this.bufferedBytes > 0 || this.skippedBytes > 0) this.finishLine()
  }

  private take(piece: Uint8Array): void {
    if (piece.length === 0) return
    if (this.skippedBytes > 0) {
      this.skippedBytes += piece.length
      return
    }
    if (this.bufferedBytes + piece.length > this.maxLineBytes) {
      this.skippedBytes = this.bufferedBytes + piece.length
      this.parts = []
      this.bufferedBytes = 0
      return
    }
    // copy: the caller may reuse the chunk's memory
    this.parts.push(piece.slice())
    this.bufferedBytes += piece.length
  }

  private finishLine(): void {
    if (this.skippedBytes > 0) {
      const seen = this.skippedBytes
      this.skippedBytes = 0
      this.options.onOversizedLine?.(seen)
      return
    }
    const parts = this.parts
    const length = this.bufferedBytes
    this.parts = []
    this.bufferedBytes = 0
    let bytes: Uint8Array
    if (parts.length === 1) bytes = parts[0]!
    else {
      bytes = new Uint8Array(length)
      let offset = 0
      for (const part of parts) {
        bytes.set(part, offset)
        offset += part.length
      }
    }
    if (bytes.length > 0 && bytes[bytes.length - 1] === 0x0d) bytes = bytes.subarray(0, bytes.length - 1)
    if (bytes.length === 0) return
    let line: string
    try {
      line = decoder.decode(bytes)
    } catch {
      this.options.onInvalidLine?.('line is not valid UTF-8')
      return
    }
    this.options.onLine(line)
  }
}
