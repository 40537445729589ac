/**
 * The on-disk format of `FileStorage`'s snapshot file. One file holds both the
 * metadata and the data, so one atomic rename makes both current together:
 *
 * ```
 * offset  size  field
 *      0     8  magic "SYNODSN1"
 *      8     4  metadata length (u32, little-endian)
 *     12     4  CRC-32C of the data
 *     16     8  data length (float64 holding a safe integer)
 *     24     4  zero
 *     28     4  CRC-32C of bytes 0..27 followed by the metadata
 *     32     …  metadata (JSON of SnapshotMeta, UTF-8), then the data
 * ```
 */
import type { FileHandle } from 'node:fs/promises'
import type { SnapshotMeta } from '../core/types.js'
import { crc32c } from './crc32c.js'
import { StorageCorruptionError } from './errors.js'
import { assertSnapshotMeta, copySnapshotMeta } from './validate.js'

export const SNAPSHOT_HEADER_BYTES = 32
/** The largest metadata accepted when reading back (a membership of thousands of nodes fits easily). */
export const MAX_SNAPSHOT_META_BYTES = 16 * 1024 * 1024
const MAGIC = new TextEncoder().encode('SYNODSN1')
const VERIFY_CHUNK_BYTES = 1024 * 1024

/** Encodes the metadata section; its length fixes where the data starts. */
export function encodeSnapshotMeta(meta: SnapshotMeta): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(copySnapshotMeta(meta)))
}

/** Builds the fixed header once the data's CRC is known. */
export function encodeSnapshotHeader(metaBytes: Uint8Array, dataBytes: number, dataCrc: number): Uint8Array {
  const header = new Uint8Array(SNAPSHOT_HEADER_BYTES)
  const view = new DataView(header.buffer)
  header.set(MAGIC, 0)
  view.setUint32(8, metaBytes.length, true)
  view.setUint32(12, dataCrc, true)
  view.setFloat64(16, dataBytes, true)
  view.setUint32(24, 0, true)
  view.setUint32(28, crc32c(metaBytes, crc32c(header, 0, 0, 28)), true)
  return header
}

async function readExactly(handle: FileHandle, length: number, position: number): Promise<Uint8Array> {
  const bytes = new Uint8Array(length)
  let filled = 0
  while (filled < length) {
    const { bytesRead } = await handle.read(bytes, filled, length - filled, position + filled)
    if (bytesRead === 0) break
    filled += bytesRead
  }
  return bytes.subarray(0, filled)
}

/** What `readSnapshotHeader` found. */
export interface SnapshotFileInfo {
  meta: SnapshotMeta
  /** Where the data starts in the file. */
  dataOffset: number
}

/**
 * Reads and checks a snapshot file's header and metadata, and (when `verifyData`)
 * streams the data through the CRC in bounded memory.
 *
 * @throws {StorageCorruptionError} when any check fails
 */
export async function readSnapshotFile(
  handle: FileHandle,
  path: string,
  verifyData: boolean,
): Promise<SnapshotFileInfo> {
  const fail = (offset: number, reason: string) => new StorageCorruptionError(path, offset, reason)
  const { size } = await handle.stat()
  const header = await readExactly(handle, SNAPSHOT_HEADER_BYTES, 0)
  if (header.length < SNAPSHOT_HEADER_BYTES) throw fail(0, `snapshot header is truncated (${size} bytes)`)
  if (!MAGIC.every((byte, i) => header[i] === byte)) throw fail(0, 'bad snapshot magic')
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength)
  const metaLength = view.getUint32(8, true)
  const dataCrc = view.getUint32(12, true)
  const dataBytes = view.getFloat64(16, true)
  if (metaLength > MAX_SNAPSHOT_META_BYTES) {
    throw fail(
      8,
      `snapshot metadata of ${metaLength} bytes exceeds the limit of ${MAX_SNAPSHOT_META_BYTES} bytes`,
    )
  }
  if (!Number.isSafeInteger(dataBytes) || dataBytes < 0) throw fail(16, 'bad snapshot data length')
  const dataOffset = SNAPSHOT_HEADER_BYTES + metaLength
  if (size !== dataOffset + dataBytes) {
    throw fail(0, `snapshot file is ${size} bytes, its header describes ${dataOffset + dataBytes}`)
  }
  const metaBytes = await readExactly(handle, metaLength, SNAPSHOT_HEADER_BYTES)
  if (crc32c(metaBytes, crc32c(header, 0, 0, 28)) !== view.getUint32(28, true)) {
    throw fail(0, 'snapshot header checksum mismatch')
  }
  let meta: SnapshotMeta
  try {
    const parsed: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(metaBytes))
    assertSnapshotMeta('snapshot', parsed)
    meta = copySnapshotMeta(parsed)
  } catch (error) {
    throw fail(SNAPSHOT_HEADER_BYTES, `bad snapshot metadata: ${(error as Error).message}`)
  }
  if (meta.sizeBytes !== dataBytes) {
    throw fail(
      16,
      `snapshot data length ${dataBytes} differs from its metadata's sizeBytes ${meta.sizeBytes}`,
    )
  }
  if (verifyData) {
    let crc = 0
    const buffer = new Uint8Array(Math.min(VERIFY_CHUNK_BYTES, Math.max(1, dataBytes)))
    for (let done = 0; done < dataBytes; ) {
      const want = Math.min(buffer.length, dataBytes - done)
      const { bytesRead } = await handle.read(buffer, 0, want, dataOffset + done)
      if (bytesRead === 0) throw fail(dataOffset + done, 'snapshot data ends early')
      crc = crc32c(buffer, crc, 0, bytesRead)
      done += bytesRead
    }
    if (crc !== dataCrc) throw fail(dataOffset, 'snapshot data checksum mismatch')
  }
  return { meta, dataOffset }
}

/** Reads up to `length` bytes of data at `offset`, fewer at the end. */
export async function readSnapshotData(
  handle: FileHandle,
  info: SnapshotFileInfo,
  offset: number,
  length: number,
): Promise<Uint8Array> {
  const start = Math.min(offset, info.meta.sizeBytes)
  const end = Math.min(offset + length, info.meta.sizeBytes)
  const bytes = await readExactly(handle, end - start, info.dataOffset + start)
  if (bytes.length !== end - start) {
    throw new Error(`snapshot file shrank: read ${bytes.length} of ${end - start} bytes at offset ${start}`)
  }
  return bytes
}
