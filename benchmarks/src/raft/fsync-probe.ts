/** How long a small write + fdatasync takes on this machine right now (the floor under every durable write). */
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** Median of `count` appends of 64 bytes, each followed by fdatasync, in ms. */
export function fsyncMedianMs(count = 200): number {
  const directory = mkdtempSync(join(tmpdir(), 'synod-fsync-'))
  const fd = openSync(join(directory, 'probe'), 'w')
  const bytes = new Uint8Array(64)
  const times: number[] = []
  try {
    for (let i = 0; i < count; i++) {
      const start = performance.now()
      writeSync(fd, bytes)
      fdatasyncSync(fd)
      times.push(performance.now() - start)
    }
  } finally {
    closeSync(fd)
    rmSync(directory, { recursive: true, force: true })
  }
  times.sort((a, b) => a - b)
  return times[Math.floor(times.length / 2)]!
}
