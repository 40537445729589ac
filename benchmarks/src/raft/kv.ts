/**
 * The state machine the raft benchmarks replicate: a map from key to value.
 * A command is `[u8 key length][key][value]`; applying one stores the value.
 *
 * Keys are held as latin1 strings (one char per byte, so distinct byte strings stay
 * distinct) and values as bytes: the benchmark measures Raft, not hex encoding. Each value
 * is the machine's own copy, overwritten in place when a put keeps its size: a put then
 * allocates nothing that outlives it (a view of the entry would keep the whole decoded
 * message alive, and give the garbage collector one more object per put to copy).
 * Snapshots are binary: `[u32 applied][u32 count]` then `[u8 key length][key][u32 value length][value]` per key.
 */

/** Encodes a put of `value` under `key` (at most 255 bytes of key). */
export function encodePut(key: Uint8Array, value: Uint8Array): Uint8Array {
  if (key.length > 255) throw new RangeError(`key: expected at most 255 bytes, got ${key.length}`)
  const command = new Uint8Array(1 + key.length + value.length)
  command[0] = key.length
  command.set(key, 1)
  command.set(value, 1 + key.length)
  return command
}

/** One char per byte; short keys (the common case) without a Buffer allocation. */
function latin1(bytes: Uint8Array, start: number, end: number): string {
  if (end - start <= 32)
    return String.fromCharCode.apply(null, bytes.subarray(start, end) as unknown as number[])
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1', start, end)
}

/** A key → value map with a binary snapshot. */
export class BenchKvStateMachine {
  readonly values = new Map<string, Uint8Array>()
  appliedCommands = 0

  apply(command: Uint8Array, _index: number): number {
    const keyLength = command[0]
    if (keyLength === undefined || command.length < 1 + keyLength)
      throw new RangeError(`command: expected [u8 key length][key][value], got ${command.length} bytes`)
    const key = latin1(command, 1, 1 + keyLength)
    const start = 1 + keyLength
    const length = command.length - start
    const existing = this.values.get(key)
    if (existing !== undefined && existing.length === length) {
      if (length <= 64) for (let i = 0; i < length; i++) existing[i] = command[start + i]!
      else existing.set(command.subarray(start))
    } else this.values.set(key, command.slice(start))
    this.appliedCommands++
    return this.appliedCommands
  }

  snapshot(): Uint8Array {
    let size = 8
    for (const [key, value] of this.values) size += 1 + key.length + 4 + value.length
    const out = Buffer.allocUnsafe(size)
    out.writeUInt32BE(this.appliedCommands >>> 0, 0)
    out.writeUInt32BE(this.values.size, 4)
    let offset = 8
    for (const [key, value] of this.values) {
      out[offset++] = key.length
      for (let i = 0; i < key.length; i++) out[offset++] = key.charCodeAt(i)
      out.writeUInt32BE(value.length, offset)
      out.set(value, offset + 4)
      offset += 4 + value.length
    }
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength)
  }

  restore(data: Uint8Array): void {
    const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength)
    const fail = (what: string): never => {
      throw new RangeError(`snapshot: ${what} (${data.length} bytes)`)
    }
    if (bytes.length < 8) fail('shorter than its header')
    const applied = bytes.readUInt32BE(0)
    const count = bytes.readUInt32BE(4)
    const values = new Map<string, Uint8Array>()
    let offset = 8
    for (let i = 0; i < count; i++) {
      const keyLength = bytes[offset] ?? fail(`truncated in key ${i}`)
      if (offset + 1 + keyLength + 4 > bytes.length) fail(`truncated in key ${i}`)
      const key = latin1(data, offset + 1, offset + 1 + keyLength)
      offset += 1 + keyLength
      const valueLength = bytes.readUInt32BE(offset)
      if (offset + 4 + valueLength > bytes.length) fail(`truncated in value ${i}`)
      values.set(key, data.slice(offset + 4, offset + 4 + valueLength))
      offset += 4 + valueLength
    }
    if (offset !== bytes.length) fail(`${bytes.length - offset} bytes after the last key`)
    this.values.clear()
    for (const [key, value] of values) this.values.set(key, value)
    this.appliedCommands = applied
  }
}
