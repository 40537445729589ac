import { describe, expect, it } from 'vitest'
import { SlotArray } from '../../src/core/slot-array.js'
import { StateFold } from '../../src/core/types.js'

/** Park–Miller, for reproducible operation sequences. */
function seeded(seed: number): () => number {
  let state = seed
  return () => {
    state = (state * 16807) % 2147483647
    return (state - 1) / 2147483646
  }
}

describe('SlotArray', () => {
  it('behaves like a Map keyed by slot under random set, delete and dropUpTo', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const random = seeded(seed)
      const start = 1 + Math.floor(random() * 3000)
      const array = new SlotArray<number>()
      const map = new Map<number, number>()
      let floor = start - 1 // dropUpTo(floor) done
      for (let step = 0; step < 3000; step++) {
        const r = random()
        const far = random() < 0.01 ? Math.floor(random() * 2 ** 40) : Math.floor(random() * 5000)
        const slot = floor + 1 + (random() < 0.05 ? -Math.floor(random() * 50) : far)
        if (r < 0.55) {
          if (slot <= floor) continue // a map below its compaction is never written in the core
          array.set(slot, step)
          map.set(slot, step)
        } else if (r < 0.9) {
          array.delete(slot)
          map.delete(slot)
        } else if (r < 0.97) {
          const front = floor + 1 + Math.floor(random() * 2000)
          array.dropUpTo(front)
          for (const key of [...map.keys()]) if (key <= front) map.delete(key)
          floor = front
        } else {
          // a front slot below the first (growFront)
          const low = Math.max(1, array.first - 1 - Math.floor(random() * 3000))
          if (low <= floor) continue
          array.set(low, step)
          map.set(low, step)
        }
        if (array.size !== map.size) expect(array.size).toBe(map.size)
        if (step % 100 === 0)
          for (const [key, value] of map) if (array.get(key) !== value) expect(array.get(key)).toBe(value)
        for (let probe = 0; probe < 5; probe++) {
          const key = floor - 10 + Math.floor(random() * 6000)
          if (array.get(key) !== map.get(key)) expect(array.get(key)).toBe(map.get(key))
        }
      }
    }
  })

  it('iterates the slots it holds from first to end', () => {
    const array = new SlotArray<string>()
    array.set(7, 'a')
    array.set(2500, 'b')
    array.delete(7)
    const seen: number[] = []
    for (let slot = array.first; slot < array.end; slot++) if (array.has(slot)) seen.push(slot)
    expect(seen).toEqual([2500])
    expect(array.first).toBe(2500)
  })
})

describe('StateFold', () => {
  it('keeps its own copy of command bytes and the latest value per slot across compaction', () => {
    const fold = new StateFold()
    const data = new Uint8Array([1, 2, 3])
    const ballot = { round: 1, nodeId: 'a' }
    fold.add({ type: 'accept', entries: [{ slot: 3000, ballot, value: { kind: 'command', data } }] })
    data[0] = 9 // the caller reuses its buffer
    fold.add({ type: 'accept', entries: [{ slot: 1, ballot, value: { kind: 'noop' } }] })
    fold.add({
      type: 'accept',
      entries: [{ slot: 1, ballot: { round: 0, nodeId: 'z' }, value: { kind: 'command', data } }],
    }) // a lower ballot: ignored
    const big = new Uint8Array(20_000).fill(7)
    fold.add({ type: 'accept', entries: [{ slot: 1025, ballot, value: { kind: 'command', data: big } }] })
    big[0] = 0
    let state = fold.state()
    expect(state.accepted.map((e) => e.slot)).toEqual([1, 1025, 3000])
    expect(state.accepted[0]?.value).toEqual({ kind: 'noop' })
    expect(state.accepted[1]?.value.kind === 'command' && state.accepted[1].value.data[0]).toBe(7)
    expect(state.accepted[2]?.value).toEqual({ kind: 'command', data: new Uint8Array([1, 2, 3]) })
    fold.compact(1025)
    state = fold.state()
    expect(state.compactedSlot).toBe(1025)
    expect(state.accepted.map((e) => e.slot)).toEqual([3000])
    fold.add({ type: 'accept', entries: [{ slot: 1024, ballot, value: { kind: 'noop' } }] }) // compacted: dropped
    expect(fold.state().accepted.map((e) => e.slot)).toEqual([3000])
  })
})
