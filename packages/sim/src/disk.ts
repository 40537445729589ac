import { DiskFullError, FileNotFoundError } from './errors.js'
import type { Random } from './random.js'
import { assertBoolean, assertIntegerInRange, assertOptions, show } from './validate.js'

/**
 * Options of a {@link SimDisk}.
 * @example
 * ```ts
 * const disk = new SimDisk({ tornWrites: true, metadataSync: 'explicit', maxTotalBytes: 1 << 20 })
 * ```
 */
export interface SimDiskOptions {
  /**
   * When true, a crash also keeps a random prefix of each file's unsynced
   * appends (a torn write), drawn from the random stream passed to `crash`.
   * Default false: a crash keeps exactly what was synced.
   */
  tornWrites?: boolean
  /**
   * `'explicit'` (default): creating, renaming and deleting a file are durable
   * only after `syncDirectory()`, as on POSIX. `'immediate'`: they are durable
   * at once (file contents still need `sync`).
   */
  metadataSync?: 'explicit' | 'immediate'
  /** The most bytes all files may hold together (default 256 MiB). */
  maxTotalBytes?: number
  /** The most files (default 10,000). */
  maxFiles?: number
}

/**
 * Counters of a {@link SimDisk}.
 * @example
 * ```ts
 * const { syncs, bytesWritten } = sim.disk('n1').stats
 * ```
 */
export interface DiskStats {
  bytesWritten: number
  syncs: number
  directorySyncs: number
  crashes: number
}

const MAX_PATH_LENGTH = 1024

/** One file's content: a growable buffer, and what of it is durable. */
interface Inode {
  bytes: Uint8Array
  length: number
  /** Durable content is `bytes[0, durableLength)` unless `durableSnapshot` is set. */
  durableLength: number
  durableSnapshot: Uint8Array | undefined
}

function assertPath(name: string, path: unknown): asserts path is string {
  if (typeof path !== 'string') throw new TypeError(`${name}: expected a string, got ${show(path)}`)
  if (path.length === 0 || path.length > MAX_PATH_LENGTH)
    throw new RangeError(`${name}: expected 1 to ${MAX_PATH_LENGTH} characters, got length=${path.length}`)
}

function assertBytes(name: string, data: unknown): asserts data is Uint8Array {
  if (!(data instanceof Uint8Array)) throw new TypeError(`${name}: expected a Uint8Array, got ${show(data)}`)
}

/**
 * A simulated disk for one node: a flat directory of files with
 * write/append/read/truncate/rename/delete/list, and `sync(path)` /
 * `syncDirectory()`. It survives its node's crash, keeping exactly what was
 * synced: file contents as of their last `sync`, names as of the last
 * `syncDirectory` (with `metadataSync: 'explicit'`). With `tornWrites`, a
 * crash may also keep a random prefix of unsynced appends. Reads and writes copy,
 * so a caller never shares a buffer with the disk.
 *
 * The API is synchronous: in a simulation, I/O takes no virtual time.
 *
 * @example
 * ```ts
 * const disk = new SimDisk()
 * disk.append('log', new Uint8Array([1, 2]))
 * disk.sync('log')
 * disk.syncDirectory()
 * disk.append('log', new Uint8Array([3]))
 * disk.crash()
 * disk.read('log') // Uint8Array [1, 2]
 * ```
 */
export class SimDisk {
  private names = new Map<string, Inode>()
  private durableNames = new Map<string, Inode>()
  private readonly tornWrites: boolean
  private readonly immediateMetadata: boolean
  private readonly maxTotalBytes: number
  private readonly maxFiles: number
  private totalBytes = 0
  private readonly counters: DiskStats = { bytesWritten: 0, syncs: 0, directorySyncs: 0, crashes: 0 }

  constructor(options: SimDiskOptions = {}) {
    assertOptions('options', options)
    assertBoolean('tornWrites', options.tornWrites)
    this.tornWrites = options.tornWrites ?? false
    const metadataSync = options.metadataSync ?? 'explicit'
    if (metadataSync !== 'explicit' && metadataSync !== 'immediate')
      throw new RangeError(`metadataSync: expected 'explicit' or 'immediate', got ${show(metadataSync)}`)
    this.immediateMetadata = metadataSync === 'immediate'
    this.maxTotalBytes = assertIntegerInRange(
      'maxTotalBytes',
      options.maxTotalBytes ?? 256 * 1024 * 1024,
      0,
      2 ** 40,
    )
    this.maxFiles = assertIntegerInRange('maxFiles', options.maxFiles ?? 10_000, 1, 1_000_000)
  }

  /** Counters of writes, syncs and crashes. */
  get stats(): DiskStats {
    return { ...this.counters }
  }

  private inode(path: string): Inode {
    assertPath('path', path)
    const inode = this.names.get(path)
    if (inode === undefined) throw new FileNotFoundError(path)
    return inode
  }

  private create(path: string): Inode {
    if (this.names.size >= this.maxFiles) throw new DiskFullError(path, `maxFiles=${this.maxFiles} reached`)
    const inode: Inode = { bytes: new Uint8Array(0), length: 0, durableLength: 0, durableSnapshot: undefined }
    this.names.set(path, inode)
    if (this.immediateMetadata) this.durableNames.set(path, inode)
    return inode
  }

  private reserve(path: string, extraBytes: number): void {
    if (this.totalBytes + extraBytes > this.maxTotalBytes)
      throw new DiskFullError(path, `maxTotalBytes=${this.maxTotalBytes} would be exceeded`)
  }

  /**
   * Before changing bytes below `durableLength`, keeps the durable content aside
   * (a view of the current buffer) and gives the file a fresh buffer holding its
   * first `keepBytes`, so later writes never touch the snapshot.
   */
  private preserveDurable(inode: Inode, fromByte: number, keepBytes: number): void {
    if (inode.durableSnapshot === undefined && fromByte < inode.durableLength) {
      inode.durableSnapshot = inode.bytes.subarray(0, inode.durableLength)
      inode.bytes = inode.bytes.slice(0, Math.max(keepBytes, 64))
    }
  }

  /**
   * Whether `path` exists.
   * @example
   * ```ts
   * if (!disk.exists('state')) disk.write('state', initial)
   * ```
   */
  exists(path: string): boolean {
    assertPath('path', path)
    return this.names.has(path)
  }

  /**
   * Replaces the content of `path` (creating it) with a copy of `data`.
   * @throws {DiskFullError} when a size or file-count limit would be exceeded
   * @example
   * ```ts
   * disk.write('hard-state', encode(state))
   * ```
   */
  write(path: string, data: Uint8Array): void {
    assertPath('path', path)
    assertBytes('data', data)
    const existing = this.names.get(path)
    this.reserve(path, data.length - (existing?.length ?? 0))
    const inode = existing ?? this.create(path)
    this.preserveDurable(inode, 0, 0)
    this.totalBytes += data.length - inode.length
    inode.bytes = data.slice()
    inode.length = data.length
    this.counters.bytesWritten += data.length
  }

  /**
   * Appends a copy of `data` to `path` (creating it).
   * @throws {DiskFullError} when a size or file-count limit would be exceeded
   * @example
   * ```ts
   * disk.append('log', encodeEntry(entry))
   * ```
   */
  append(path: string, data: Uint8Array): void {
    assertPath('path', path)
    assertBytes('data', data)
    this.reserve(path, data.length)
    const inode = this.names.get(path) ?? this.create(path)
    const needed = inode.length + data.length
    if (needed > inode.bytes.length) {
      const grown = new Uint8Array(Math.max(needed, inode.bytes.length * 2, 64))
      grown.set(inode.bytes.subarray(0, inode.length))
      // a snapshot is not needed: the old buffer's durable prefix is copied too
      inode.bytes = grown
    }
    inode.bytes.set(data, inode.length)
    inode.length = needed
    this.totalBytes += data.length
    this.counters.bytesWritten += data.length
  }

  /**
   * A copy of the content of `path`.
   * @throws {FileNotFoundError} when it does not exist
   * @example
   * ```ts
   * const bytes = disk.read('log')
   * ```
   */
  read(path: string): Uint8Array {
    const inode = this.inode(path)
    return inode.bytes.slice(0, inode.length)
  }

  /**
   * The size of `path` in bytes.
   * @throws {FileNotFoundError} when it does not exist
   * @example
   * ```ts
   * disk.size('log')
   * ```
   */
  size(path: string): number {
    return this.inode(path).length
  }

  /**
   * Shortens (or zero-extends) `path` to `sizeBytes`.
   * @throws {FileNotFoundError} when it does not exist
   * @example
   * ```ts
   * disk.truncate('log', offsetOfEntry(42))
   * ```
   */
  truncate(path: string, sizeBytes: number): void {
    const inode = this.inode(path)
    assertIntegerInRange('sizeBytes', sizeBytes, 0, this.maxTotalBytes)
    if (sizeBytes > inode.length) {
      this.append(path, new Uint8Array(sizeBytes - inode.length))
      return
    }
    this.preserveDurable(inode, sizeBytes, sizeBytes)
    this.totalBytes -= inode.length - sizeBytes
    inode.length = sizeBytes
  }

  /**
   * Renames `from` to `to` atomically, replacing `to` if it exists.
   * Durable after `syncDirectory()` (or at once with `metadataSync: 'immediate'`).
   * @throws {FileNotFoundError} when `from` does not exist
   * @example
   * ```ts
   * disk.write('state.tmp', bytes); disk.sync('state.tmp')
   * disk.rename('state.tmp', 'state'); disk.syncDirectory()
   * ```
   */
  rename(from: string, to: string): void {
    assertPath('from', from)
    assertPath('to', to)
    const inode = this.names.get(from)
    if (inode === undefined) throw new FileNotFoundError(from)
    if (from === to) return
    const replaced = this.names.get(to)
    if (replaced !== undefined) this.totalBytes -= replaced.length
    this.names.delete(from)
    this.names.set(to, inode)
    if (this.immediateMetadata) {
      this.durableNames.delete(from)
      this.durableNames.set(to, inode)
    }
  }

  /**
   * Deletes `path`. Durable after `syncDirectory()` (or at once with `metadataSync: 'immediate'`).
   * @throws {FileNotFoundError} when it does not exist
   * @example
   * ```ts
   * disk.delete('snapshot-3')
   * ```
   */
  delete(path: string): void {
    const inode = this.inode(path)
    this.totalBytes -= inode.length
    this.names.delete(path)
    if (this.immediateMetadata) this.durableNames.delete(path)
  }

  /**
   * The names of all files, sorted, optionally only those starting with `prefix`.
   * @example
   * ```ts
   * disk.list('snapshot-') // ['snapshot-1', 'snapshot-2']
   * ```
   */
  list(prefix = ''): string[] {
    if (typeof prefix !== 'string') throw new TypeError(`prefix: expected a string, got ${show(prefix)}`)
    return [...this.names.keys()].filter((name) => name.startsWith(prefix)).sort()
  }

  /**
   * Makes the content of `path` durable (fsync). Not its name: see `syncDirectory`.
   * @throws {FileNotFoundError} when it does not exist
   * @example
   * ```ts
   * disk.append('log', entry)
   * disk.sync('log') // now survives a crash
   * ```
   */
  sync(path: string): void {
    const inode = this.inode(path)
    inode.durableSnapshot = undefined
    inode.durableLength = inode.length
    this.counters.syncs++
  }

  /**
   * Makes the current set of names durable: creations, renames and deletions (fsync of the directory).
   * @example
   * ```ts
   * disk.rename('state.tmp', 'state')
   * disk.syncDirectory()
   * ```
   */
  syncDirectory(): void {
    this.durableNames = new Map(this.names)
    this.counters.directorySyncs++
  }

  /**
   * Loses everything that was not synced, as a power failure would. With
   * `tornWrites`, each file whose unsynced changes are only appends keeps a
   * random prefix of them, drawn from `random` (required then).
   * @throws {TypeError} when `tornWrites` is on and no `random` is given
   * @example
   * ```ts
   * disk.crash(random.split('disk:n1'))
   * ```
   */
  crash(random?: Random): void {
    if (this.tornWrites && typeof random?.int !== 'function')
      throw new TypeError(`random: expected a Random when tornWrites is on, got ${show(random)}`)
    this.counters.crashes++
    const survivors = new Map<string, Inode>()
    const seen = new Set<Inode>()
    let total = 0
    // durable names in sorted order, so torn-write draws do not depend on creation order
    for (const name of [...this.durableNames.keys()].sort()) {
      const inode = this.durableNames.get(name) as Inode
      if (!seen.has(inode)) {
        seen.add(inode)
        if (inode.durableSnapshot !== undefined) {
          inode.bytes = inode.durableSnapshot
          inode.length = inode.durableSnapshot.length
        } else {
          let keep = inode.durableLength
          if (this.tornWrites && inode.length > keep) keep += (random as Random).int(0, inode.length - keep)
          inode.length = keep
        }
        inode.durableSnapshot = undefined
        inode.durableLength = inode.length
        inode.bytes = inode.bytes.slice(0, Math.max(inode.length, 64))
        total += inode.length
      }
      survivors.set(name, inode)
    }
    this.names = survivors
    this.durableNames = new Map(survivors)
    this.totalBytes = total
  }
}
