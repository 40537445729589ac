/**
 * What every history reader shares: limits, decoding, line splitting, and the
 * shape of a history read from a file.
 */
import { HistoryFormatError, HistoryLimitError, InvalidHistoryArgumentError } from './errors.js'
import type { KvInput, RegisterInput, RegisterOutput, RegisterValue } from './models.js'
import { HistoryRecorder } from './recorder.js'
import type { Operation } from './types.js'

/**
 * Default file size limit of the readers: 64 MiB.
 *
 * @example
 * ```ts
 * readJepsenLog(bytes, { maxBytes: DEFAULT_MAX_HISTORY_BYTES / 4 })
 * ```
 */
export const DEFAULT_MAX_HISTORY_BYTES = 64 * 1024 * 1024
/**
 * Default line length limit of the line-based readers: 64 KiB.
 *
 * @example
 * ```ts
 * readEdnHistory(text, { maxLineLength: DEFAULT_MAX_LINE_LENGTH * 2 })
 * ```
 */
export const DEFAULT_MAX_LINE_LENGTH = 64 * 1024
/**
 * Default operation count limit of the readers: one million.
 *
 * @example
 * ```ts
 * readJsonHistory(text, { maxOperations: DEFAULT_MAX_HISTORY_OPERATIONS / 10 })
 * ```
 */
export const DEFAULT_MAX_HISTORY_OPERATIONS = 1_000_000

/**
 * Limits of a history reader. A file over a limit is refused with
 * `HistoryLimitError` before the excess is processed.
 *
 * @example
 * ```ts
 * readJepsenLog(text, { maxBytes: 1 << 20, maxLineLength: 4096, maxOperations: 50_000 })
 * ```
 */
export interface HistoryReadOptions {
  /** Bytes for a `Uint8Array`, UTF-16 code units for a string (default 64 MiB). */
  maxBytes?: number
  /** Characters per line, for the line-based formats (default 65,536). */
  maxLineLength?: number
  /** Operations (invocations) in the history (default 1,000,000). */
  maxOperations?: number
}

/**
 * An operation input read from a file: a register operation, with a key in key-value histories.
 *
 * @example
 * ```ts
 * const inputs: HistoryInput[] = [{ type: 'read' }, { type: 'append', key: 'k', value: 'x' }]
 * ```
 */
export type HistoryInput = RegisterInput | KvInput

/**
 * A history read from a file.
 *
 * @example
 * ```ts
 * const history = readEdnHistory(text)
 * const model = history.model === 'kv' ? createKvModel({ initialValue: history.initialValue }) : registerModel
 * checkLinearizability(history.operations, model)
 * ```
 */
export interface ReadHistory {
  /** `kv` when the operations carry keys, `register` when they do not. */
  readonly model: 'register' | 'kv'
  /** The value registers (or keys) start with, by the format's convention. */
  readonly initialValue: RegisterValue
  /** `fail`ed operations are already left out. */
  readonly operations: Operation<HistoryInput, RegisterOutput>[]
}

export interface ResolvedLimits {
  maxBytes: number
  maxLineLength: number
  maxOperations: number
}

function positiveInteger(value: number | undefined, fallback: number, name: string): number {
  const resolved = value ?? fallback
  if (!Number.isSafeInteger(resolved) || resolved < 1) {
    throw new InvalidHistoryArgumentError(`${name}: expected a positive integer, got ${String(resolved)}`)
  }
  return resolved
}

export function resolveLimits(options: HistoryReadOptions): ResolvedLimits {
  return {
    maxBytes: positiveInteger(options.maxBytes, DEFAULT_MAX_HISTORY_BYTES, 'maxBytes'),
    maxLineLength: positiveInteger(options.maxLineLength, DEFAULT_MAX_LINE_LENGTH, 'maxLineLength'),
    maxOperations: positiveInteger(options.maxOperations, DEFAULT_MAX_HISTORY_OPERATIONS, 'maxOperations'),
  }
}

/** Checks the size and decodes bytes as strict UTF-8. */
export function historyText(source: string | Uint8Array, limits: ResolvedLimits): string {
  if (typeof source === 'string') {
    if (source.length > limits.maxBytes) {
      throw new HistoryLimitError(
        'bytes',
        limits.maxBytes,
        `history of ${source.length} characters exceeds the limit of ${limits.maxBytes}`,
      )
    }
    return source
  }
  if (!(source instanceof Uint8Array)) {
    throw new InvalidHistoryArgumentError(`source: expected a string or a Uint8Array, got ${typeof source}`)
  }
  if (source.byteLength > limits.maxBytes) {
    throw new HistoryLimitError(
      'bytes',
      limits.maxBytes,
      `history of ${source.byteLength} bytes exceeds the limit of ${limits.maxBytes} bytes`,
    )
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(source)
  } catch {
    throw new HistoryFormatError(undefined, 'history is not valid UTF-8')
  }
}

/** Calls `visit(line, lineNumber)` for each line, after checking its length. */
export function forEachLine(
  text: string,
  limits: ResolvedLimits,
  visit: (line: string, lineNumber: number) => void,
): void {
  let start = 0
  let lineNumber = 0
  while (start <= text.length) {
    let end = text.indexOf('\n', start)
    if (end === -1) end = text.length
    lineNumber++
    let line = text.slice(start, end)
    if (line.endsWith('\r')) line = line.slice(0, -1)
    if (line.length > limits.maxLineLength) {
      throw new HistoryLimitError(
        'line-length',
        limits.maxLineLength,
        `line ${lineNumber}: ${line.length} characters exceeds the limit of ${limits.maxLineLength}`,
      )
    }
    visit(line, lineNumber)
    start = end + 1
  }
}

export function operationLimitError(maximum: number, lineNumber?: number): HistoryLimitError {
  return new HistoryLimitError(
    'operations',
    maximum,
    `history has more than ${maximum} operations${lineNumber === undefined ? '' : ` (line ${lineNumber})`}`,
  )
}

/**
 * Pairs invocations with completions, one open invocation per process, for the
 * line-based formats; time is the line number.
 */
export class LineHistoryBuilder {
  readonly #recorder: HistoryRecorder<HistoryInput, RegisterOutput>
  readonly #open = new Map<string | number, { id: number; f: string; line: number }>()
  readonly #maxOperations: number

  constructor(limits: ResolvedLimits) {
    this.#maxOperations = limits.maxOperations
    this.#recorder = new HistoryRecorder({ maxOperations: limits.maxOperations })
  }

  invoke(process: string | number, f: string, input: HistoryInput, line: number): void {
    const open = this.#open.get(process)
    if (open !== undefined) {
      throw new HistoryFormatError(
        line,
        `process ${String(process)} invoked :${f} while its :${open.f} from line ${open.line} is still open`,
      )
    }
    if (this.#recorder.size >= this.#maxOperations) throw operationLimitError(this.#maxOperations, line)
    const id = this.#recorder.invoke(process, input, line)
    this.#open.set(process, { id, f, line })
  }

  /** `completion` is `ok` (with output), `fail` (definite: dropped) or `info` (indeterminate). */
  complete(
    process: string | number,
    type: string,
    f: string,
    completion: 'ok' | 'fail' | 'info',
    output: RegisterOutput,
    line: number,
  ): void {
    const open = this.#open.get(process)
    if (open === undefined) {
      throw new HistoryFormatError(
        line,
        `process ${String(process)} completed :${f} (:${type}) with no open invocation`,
      )
    }
    if (open.f !== f) {
      throw new HistoryFormatError(
        line,
        `process ${String(process)} completed :${f} but its open invocation (line ${open.line}) is :${open.f}`,
      )
    }
    this.#open.delete(process)
    if (completion === 'ok') this.#recorder.ok(open.id, output, line)
    else if (completion === 'fail') this.#recorder.fail(open.id, line)
    else this.#recorder.info(open.id, line)
  }

  /** Invocations never completed stay open (indeterminate). */
  operations(): Operation<HistoryInput, RegisterOutput>[] {
    return this.#recorder.operations()
  }
}
