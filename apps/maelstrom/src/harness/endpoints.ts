/**
 * The harness's handle on one node: a child process running the real binary,
 * or (for fast tests) a `MaelstromNode` in this process. Both speak lines.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { BackendFactory } from '../backends/types.js'
import { HarnessError } from '../errors.js'
import { MaelstromNode } from '../node.js'
import { LineSplitter } from '../protocol/line-splitter.js'

/**
 * Log lines kept per node, for diagnostics.
 *
 * @example
 * ```ts
 * endpoint.logTail.length <= LOG_TAIL_LINES // true
 * ```
 */
export const LOG_TAIL_LINES = 200

/**
 * One node as the harness sees it.
 *
 * @example
 * ```ts
 * const endpoint = createEndpoints({ kind: 'in-process', backend: singleLeaderBackend() })('n0')
 * endpoint.onLine((line) => console.log(line))
 * endpoint.write('{"src":"c0","dest":"n0","body":{"type":"init","msg_id":1,"node_id":"n0","node_ids":["n0"]}}')
 * ```
 */
export interface NodeEndpoint {
  readonly id: string
  /** Writes one line (without its newline) to the node's stdin. Ignored once the node has exited. */
  write(line: string): void
  /** Registers a listener for the node's stdout lines. */
  onLine(listener: (line: string) => void): void
  /** The last lines the node logged (its stderr). */
  readonly logTail: readonly string[]
  /** Set when the node exited before `stop` was called, e.g. `exit code 1`. */
  readonly unexpectedExit: string | undefined
  /** Ends the node's stdin and waits for it to stop; kills it after `graceMs`. */
  stop(graceMs: number): Promise<void>
}

/**
 * Builds the endpoint of the node with the given id.
 *
 * @example
 * ```ts
 * const factory: EndpointFactory = createEndpoints({ kind: 'in-process', backend: singleLeaderBackend(), requestTimeoutMs: 1000 })
 * ```
 */
export type EndpointFactory = (id: string) => NodeEndpoint

/**
 * How the harness runs its nodes: child processes of the built binary, or
 * `MaelstromNode`s in this process (fast, for tests of the harness itself).
 *
 * @example
 * ```ts
 * const mode: EndpointMode = { kind: 'processes', args: ['--workload', 'lin-kv', '--backend', 'single-leader'] }
 * ```
 */
export type EndpointMode =
  | {
      kind: 'processes'
      /** The script to run with `node` (default: this package's `bin/synod-maelstrom.js`). */
      binPath?: string
      /** Arguments after the script (`--workload lin-kv --backend …`). */
      args: readonly string[]
      /** Called with each line a node logs. */
      onLog?: (id: string, line: string) => void
    }
  | {
      kind: 'in-process'
      backend: BackendFactory
      requestTimeoutMs: number
      onLog?: (id: string, line: string) => void
    }

/**
 * The root folder of this package (where `package.json` names `@synod/maelstrom`),
 * from the sources or from `dist`.
 *
 * @throws {HarnessError} when it cannot be found
 * @example
 * ```ts
 * join(packageRoot(), 'bin', 'synod-maelstrom.js')
 * ```
 */
export function packageRoot(): string {
  let folder = dirname(fileURLToPath(import.meta.url))
  for (let depth = 0; depth < 8; depth++) {
    const manifest = join(folder, 'package.json')
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === '@synod/maelstrom')
          return folder
      } catch {
        // not ours: keep looking
      }
    }
    const parent = dirname(folder)
    if (parent === folder) break
    folder = parent
  }
  throw new HarnessError('cannot find the @synod/maelstrom package folder')
}

/**
 * The binary the harness spawns, after checking it can run: the default
 * binary needs `dist/index.js` (run the build first).
 *
 * @param binPath - a script to run instead of the package's binary
 * @param root - the package folder (default: found from this file)
 * @throws {HarnessError} when the build output or the given script is missing
 * @example
 * ```ts
 * const bin = resolveBinary() // …/apps/maelstrom/bin/synod-maelstrom.js
 * ```
 */
export function resolveBinary(binPath?: string, root: string = packageRoot()): string {
  if (binPath !== undefined) {
    if (!existsSync(binPath)) throw new HarnessError(`--bin: ${binPath} does not exist`)
    return binPath
  }
  const dist = join(root, 'dist', 'index.js')
  if (!existsSync(dist))
    throw new HarnessError(
      `synod-maelstrom is not built: ${dist} is missing; run \`pnpm --filter @synod/maelstrom build\` first`,
    )
  return join(root, 'bin', 'synod-maelstrom.js')
}

function pushTail(tail: string[], line: string): void {
  tail.push(line)
  if (tail.length > LOG_TAIL_LINES) tail.shift()
}

class ProcessEndpoint implements NodeEndpoint {
  readonly id: string
  readonly logTail: string[] = []
  unexpectedExit: string | undefined
  private readonly child: ChildProcess
  private readonly listeners: Array<(line: string) => void> = []
  private readonly exited: Promise<void>
  private hasExited = false
  private stopping = false

  constructor(
    id: string,
    binPath: string,
    args: readonly string[],
    onLog?: (id: string, line: string) => void,
  ) {
    this.id = id
    this.child = spawn(process.execPath, [binPath, ...args], { stdio: ['pipe', 'pipe', 'pipe'] })
    const stdout = new LineSplitter({
      onLine: (line) => {
        for (const listener of this.listeners) listener(line)
      },
      onOversizedLine: (bytes) => this.log(`harness: dropped an oversized stdout line (${bytes} bytes)`),
    })
    const stderr = new LineSplitter({ onLine: (line) => this.log(line), maxLineBytes: 64 * 1024 })
    this.child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk))
    this.child.stdout?.on('end', () => stdout.end())
    this.child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk))
    this.child.stderr?.on('end', () => stderr.end())
    // a node that exits makes writes fail with EPIPE: that is the node's failure, not the harness's
    this.child.stdin?.on('error', (error) => this.log(`harness: stdin: ${error.message}`))
    this.exited = new Promise((resolve) => {
      const done = (how: string) => {
        if (this.hasExited) return
        this.hasExited = true
        if (!this.stopping) this.unexpectedExit = how
        resolve()
      }
      this.child.on('exit', (code, signal) => done(signal ? `killed by ${signal}` : `exit code ${code}`))
      this.child.on('error', (error) => done(`failed to start: ${error.message}`))
    })
    this.onLogLine = onLog
  }

  private readonly onLogLine: ((id: string, line: string) => void) | undefined

  private log(line: string): void {
    pushTail(this.logTail, line)
    this.onLogLine?.(this.id, line)
  }

  write(line: string): void {
    if (this.hasExited || this.stopping) return
    this.child.stdin?.write(`${line}\n`)
  }

  onLine(listener: (line: string) => void): void {
    this.listeners.push(listener)
  }

  async stop(graceMs: number): Promise<void> {
    this.stopping = true
    if (this.hasExited) return
    this.child.stdin?.end()
    let timer: ReturnType<typeof setTimeout> | undefined
    const killed = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.log(`harness: node did not stop within ${graceMs} ms; killing it`)
        this.child.kill('SIGKILL')
        resolve()
      }, graceMs)
    })
    await Promise.race([this.exited, killed])
    clearTimeout(timer)
    await this.exited
  }
}

class InProcessEndpoint implements NodeEndpoint {
  readonly id: string
  readonly logTail: string[] = []
  readonly unexpectedExit: string | undefined = undefined
  private readonly node: MaelstromNode
  private readonly listeners: Array<(line: string) => void> = []
  private stopped = false

  constructor(
    id: string,
    backend: BackendFactory,
    requestTimeoutMs: number,
    onLog?: (id: string, line: string) => void,
  ) {
    this.id = id
    this.node = new MaelstromNode({
      backend,
      requestTimeoutMs,
      // delivered on a later macrotask, as a pipe would
      write: (line) =>
        setImmediate(() => {
          if (this.stopped) return
          for (const listener of this.listeners) listener(line)
        }),
      log: (line) => {
        pushTail(this.logTail, line)
        onLog?.(id, line)
      },
    })
  }

  write(line: string): void {
    if (this.stopped) return
    setImmediate(() => this.node.handleLine(line))
  }

  onLine(listener: (line: string) => void): void {
    this.listeners.push(listener)
  }

  async stop(): Promise<void> {
    this.stopped = true
    await this.node.close()
  }
}

/**
 * An `EndpointFactory` for a mode.
 *
 * @throws {HarnessError} in `processes` mode when the binary is not built
 * @example
 * ```ts
 * const factory = createEndpoints({ kind: 'processes', args: ['--workload', 'lin-kv'] })
 * const n0 = factory('n0')
 * ```
 */
export function createEndpoints(mode: EndpointMode): EndpointFactory {
  if (mode.kind === 'in-process')
    return (id) => new InProcessEndpoint(id, mode.backend, mode.requestTimeoutMs, mode.onLog)
  const binPath = resolveBinary(mode.binPath)
  return (id) => new ProcessEndpoint(id, binPath, mode.args, mode.onLog)
}
