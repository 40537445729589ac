import { describe, expect, it } from 'vitest'
import { BenchKvStateMachine, encodePut } from '../src/raft/kv.js'

const bytes = (...values: number[]) => Uint8Array.from(values)

describe('the raft benchmark state machine', () => {
  it('keeps distinct byte keys apart and survives a snapshot round trip', () => {
    const machine = new BenchKvStateMachine()
    const command = encodePut(bytes(0xff, 0x00), bytes(1, 2, 3))
    machine.apply(command, 1)
    machine.apply(encodePut(bytes(0xfe, 0x00), bytes(4)), 2)
    expect(machine.values.size).toBe(2)
    const restored = new BenchKvStateMachine()
    restored.restore(machine.snapshot())
    expect(restored.appliedCommands).toBe(2)
    expect([...restored.values].map(([key, value]) => [key, [...value]])).toEqual([
      ['\xff\x00', [1, 2, 3]],
      ['\xfe\x00', [4]],
    ])
  })

  it('refuses a truncated or padded snapshot and keeps its state', () => {
    const machine = new BenchKvStateMachine()
    machine.apply(encodePut(bytes(1), bytes(2, 3)), 1)
    const snapshot = machine.snapshot()
    const target = new BenchKvStateMachine()
    target.apply(encodePut(bytes(7), bytes(7)), 1)
    expect(() => target.restore(snapshot.subarray(0, snapshot.length - 1))).toThrow(
      `snapshot: truncated in value 0 (${snapshot.length - 1} bytes)`,
    )
    expect(() => target.restore(Uint8Array.of(...snapshot, 0))).toThrow(
      `snapshot: 1 bytes after the last key (${snapshot.length + 1} bytes)`,
    )
    expect(() => target.restore(bytes(0, 0))).toThrow('snapshot: shorter than its header (2 bytes)')
    expect([...target.values.keys()]).toEqual(['\x07'])
  })

  it('stores its own copy of a value, overwritten in place when the size is the same', () => {
    const machine = new BenchKvStateMachine()
    const first = encodePut(bytes(1), bytes(1, 2))
    machine.apply(first, 1)
    const stored = machine.values.get('\x01')!
    // the command's bytes may be reused by whoever decoded them: the value must not alias them
    first.fill(9)
    expect([...stored]).toEqual([1, 2])
    machine.apply(encodePut(bytes(1), bytes(3, 4)), 2)
    expect(machine.values.get('\x01')).toBe(stored)
    expect([...stored]).toEqual([3, 4])
    machine.apply(encodePut(bytes(1), bytes(5, 6, 7)), 3)
    expect([...machine.values.get('\x01')!]).toEqual([5, 6, 7])
    expect([...stored]).toEqual([3, 4])
  })
})
