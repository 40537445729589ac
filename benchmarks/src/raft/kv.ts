/**
 * The state machine the raft benchmarks replicate: a map from key to value.
 * A command is `[u8 key length][key][value]`; applying one stores the value.
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

const hex = (bytes: Uint8Array) =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')

/** A key → value map, snapshotted as JSON of hex pairs. */
export class BenchKvStateMachine {
  readonly values = new Map<string, string>()
  appliedCommands = 0

  apply(command: Uint8Array, _index: number): number {
    const keyLength = command[0]
    if (keyLength === undefined || command.length < 1 + keyLength)
      throw new RangeError(`command: expected [u8 key length][key][value], got ${command.length} bytes`)
    this.values.set(hex(command.subarray(1, 1 + keyLength)), hex(command.subarray(1 + keyLength)))
    this.appliedCommands++
    return this.appliedCommands
  }

  snapshot(): Uint8Array {
    return new TextEncoder().encode(JSON.stringify([this.appliedCommands, [...this.values]]))
  }

  restore(data: Uint8Array): void {
    const [applied, pairs] = JSON.parse(new TextDecoder().decode(data)) as [number, [string, string][]]
    this.values.clear()
    for (const [key, value] of pairs) this.values.set(key, value)
    this.appliedCommands = applied
  }
}
