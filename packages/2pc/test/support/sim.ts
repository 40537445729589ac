/** Glue between @synod/sim and the 2pc drivers, for tests. */
import type { NodeContext, SimDisk } from '@synod/sim'
import { recordCodec } from '../../src/codec.js'
import type { TwoPhaseRecord } from '../../src/core/types.js'
import type { Ticker } from '../../src/node/clock.js'
import type { TwoPhaseStorage } from '../../src/node/storage.js'

const codec = recordCodec()

/** A simulated node's ticker: its timers stop with a crash and wait out a pause. */
export function nodeTicker<M>(ctx: NodeContext<M>): Ticker {
  return {
    every(intervalMs, callback) {
      const timer = ctx.every(intervalMs, callback)
      return () => void timer.cancel()
    },
  }
}

/**
 * Records on a simulated disk: each a 4-byte big-endian length and the record's
 * binary encoding, synced before `append` returns (what a crash keeps).
 */
export function diskStorage(disk: SimDisk, path = '2pc.log'): TwoPhaseStorage {
  return {
    load() {
      if (!disk.exists(path)) return []
      const bytes = disk.read(path)
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
      const records: TwoPhaseRecord[] = []
      for (let at = 0; at < bytes.length; ) {
        const length = view.getUint32(at)
        records.push(codec.decode(bytes.subarray(at + 4, at + 4 + length)))
        at += 4 + length
      }
      return records
    },
    append(records) {
      const parts = records.map((record) => codec.encode(record))
      const frame = new Uint8Array(parts.reduce((sum, part) => sum + 4 + part.length, 0))
      const view = new DataView(frame.buffer)
      let at = 0
      for (const part of parts) {
        view.setUint32(at, part.length)
        frame.set(part, at + 4)
        at += 4 + part.length
      }
      const created = !disk.exists(path)
      disk.append(path, frame)
      disk.sync(path)
      if (created) disk.syncDirectory()
    },
  }
}
