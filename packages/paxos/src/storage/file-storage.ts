/**
 * `FileStorage`: `DiskStorage` on the real file system, with synchronous
 * writes and `fdatasync` (a batch is durable when `append` returns).
 */
import {
  closeSync,
  existsSync,
  fdatasyncSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs'
import { join } from 'node:path'
import type { PaxosCodecOptions } from '../codec.js'
import { type DiskLike, DiskStorage } from './disk-storage.js'

/** A {@link DiskLike} over one directory: one open descriptor per file, kept until `close`. */
class DirectoryDisk implements DiskLike {
  private readonly descriptors = new Map<string, number>()
  constructor(private readonly directory: string) {
    mkdirSync(directory, { recursive: true })
  }
  private descriptor(path: string): number {
    let fd = this.descriptors.get(path)
    if (fd === undefined) {
      fd = openSync(join(this.directory, path), 'a+')
      this.descriptors.set(path, fd)
    }
    return fd
  }
  exists(path: string): boolean {
    return existsSync(join(this.directory, path))
  }
  append(path: string, data: Uint8Array): void {
    const fd = this.descriptor(path)
    for (let written = 0; written < data.length; )
      written += writeSync(fd, data, written, data.length - written)
  }
  read(path: string): Uint8Array {
    const bytes = readFileSync(join(this.directory, path))
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length)
  }
  write(path: string, data: Uint8Array): void {
    this.forget(path)
    writeFileSync(join(this.directory, path), data)
  }
  rename(from: string, to: string): void {
    this.forget(from)
    this.forget(to)
    renameSync(join(this.directory, from), join(this.directory, to))
  }
  delete(path: string): void {
    this.forget(path)
    unlinkSync(join(this.directory, path))
  }
  /** Closes the cached descriptor of a file about to be replaced. */
  private forget(path: string): void {
    const fd = this.descriptors.get(path)
    if (fd === undefined) return
    closeSync(fd)
    this.descriptors.delete(path)
  }
  truncate(path: string, sizeBytes: number): void {
    ftruncateSync(this.descriptor(path), sizeBytes)
  }
  sync(path: string): void {
    fdatasyncSync(this.descriptor(path))
  }
  syncDirectory(): void {
    const fd = openSync(this.directory, 'r')
    try {
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
  }
  close(): void {
    for (const fd of this.descriptors.values()) closeSync(fd)
    this.descriptors.clear()
  }
}

/**
 * A durable {@link PaxosStorage} in a directory: the checksummed record log of
 * `DiskStorage` in the file `paxos-log` (each `append` one write and one
 * `fdatasync`) and its snapshot in `paxos-log.snapshot`; the log is rewritten
 * without the covered slots at each snapshot. One process at a time may use a
 * directory.
 *
 * @example
 * ```ts
 * const storage = new FileStorage('/var/lib/paxos/a')
 * const node = new PaxosNode({ id: 'a', members, transport, storage, stateMachine })
 * // …
 * await node.close()
 * storage.close()
 * ```
 */
export class FileStorage extends DiskStorage {
  private readonly files: DirectoryDisk

  /**
   * @param directory created if missing
   * @param options codec limits: they must admit every record the replica writes
   * @throws {TypeError} when `directory` is not a non-empty string
   */
  constructor(directory: string, options: PaxosCodecOptions = {}) {
    if (typeof directory !== 'string' || directory.length === 0)
      throw new TypeError(`directory: expected a non-empty string, got ${typeof directory}`)
    const files = new DirectoryDisk(directory)
    super(files, options)
    this.files = files
  }

  /** Closes the log file. */
  close(): void {
    this.files.close()
  }
}
