/**
 * Small durable-I/O helpers for `FileStorage`: full positional writes, directory
 * fsync, and the directory lock.
 */

import { writeSync } from 'node:fs'
import { type FileHandle, open, readFile, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { StorageLockedError } from './errors.js'

/** Writes up to this size are made synchronously (see `writeFully`). */
export const INLINE_WRITE_BYTES = 64 * 1024

/** The synchronous write `writeFully` uses: an object so tests can count its calls. */
export const inlineIo = { writeSync }

/** Writes all of `bytes` at `position` (a write may be short: loop until done). */
export async function writeFully(handle: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  let written = 0
  // A small write only copies into the page cache: doing it on this thread costs a few
  // microseconds and saves a round trip through libuv's thread pool (the fsync that makes
  // it durable stays asynchronous). Larger writes go to the pool so the loop never stalls.
  if (bytes.length <= INLINE_WRITE_BYTES) {
    while (written < bytes.length) {
      const count = inlineIo.writeSync(handle.fd, bytes, written, bytes.length - written, position + written)
      if (count <= 0) throw new Error(`write made no progress at position ${position + written}`)
      written += count
    }
    return
  }
  while (written < bytes.length) {
    const result = await handle.write(bytes, written, bytes.length - written, position + written)
    if (result.bytesWritten <= 0) throw new Error(`write made no progress at position ${position + written}`)
    written += result.bytesWritten
  }
}

/**
 * Fsyncs a directory, making file creations, renames and deletions in it durable.
 * (A file's own fsync does not persist its directory entry.)
 */
export async function fsyncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

function isErrno(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code
}

/** Deletes `path`; a file that is already gone is fine. */
export async function unlinkIfPresent(path: string): Promise<boolean> {
  try {
    await unlink(path)
    return true
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return false
    throw error
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return isErrno(error, 'EPERM')
  }
}

/** The name of the lock file inside a storage directory. */
export const LOCK_FILE = 'LOCK'

/**
 * Directories locked by this process, shared by every copy of the package. A lock
 * file naming this process's id is ours only if it is listed here; otherwise it was
 * left by an earlier process that had the same id (in a container the node process
 * often gets the same small pid on every restart).
 */
const heldLocks: Set<string> = globalHeldLocks()

function globalHeldLocks(): Set<string> {
  const key = Symbol.for('@synod/raft/held-locks')
  const registry = globalThis as Record<symbol, unknown>
  const existing = registry[key]
  if (existing instanceof Set) return existing as Set<string>
  const created = new Set<string>()
  registry[key] = created
  return created
}

/** Forgets this process's lock on `directory` and deletes the lock file. */
export async function releaseLock(directory: string): Promise<void> {
  heldLocks.delete(directory)
  await unlinkIfPresent(join(directory, LOCK_FILE))
}

/**
 * Takes the directory lock: creates `LOCK` exclusively (`wx`) with this process id.
 * A lock left by a process that no longer exists (a crash) is taken over.
 * Two processes racing to take over the same stale lock are not fully excluded
 * (Node has no `flock`); the lock guards against a second node started by mistake.
 *
 * @param directory - an absolute, resolved path (the registry is keyed by it)
 * @throws {StorageLockedError} when a live process holds the lock (this one included)
 */
export async function acquireLock(directory: string): Promise<void> {
  const path = join(directory, LOCK_FILE)
  if (heldLocks.has(directory)) throw new StorageLockedError(directory, process.pid)
  heldLocks.add(directory) // claimed before the first await: a concurrent open in this process sees it
  try {
    await createLockFile(directory, path)
  } catch (error) {
    heldLocks.delete(directory)
    throw error
  }
}

async function createLockFile(directory: string, path: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(path, 'wx')
      try {
        await handle.writeFile(`${process.pid}\n`)
        await handle.sync()
      } finally {
        await handle.close()
      }
      await fsyncDirectory(directory)
      return
    } catch (error) {
      if (!isErrno(error, 'EEXIST')) throw error
    }
    let holder = Number.NaN
    try {
      holder = Number.parseInt(await readFile(path, 'utf8'), 10)
    } catch (error) {
      if (!isErrno(error, 'ENOENT')) throw error
      continue // released between our open and our read
    }
    // our own pid here is a leftover of an earlier process with the same id: held locks were checked above
    if (Number.isSafeInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
      throw new StorageLockedError(directory, holder)
    }
    if (attempt >= 2) throw new StorageLockedError(directory, holder)
    await unlinkIfPresent(path) // stale: its process is gone
  }
}
