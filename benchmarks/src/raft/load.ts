/**
 * The raft benchmarks' load: fixed-size puts over a bounded key space, and the open-loop
 * schedule that both the parent's client (`ProcessCluster.openLoop`) and the in-leader
 * client (`host.ts`, request `load`) run.
 */

/** Bytes per command: 1 (key length) + 8 (key) + 7 (value). */
export const COMMAND_BYTES = 16
/**
 * Puts cycle over this many keys, so the state machine (and each snapshot the
 * driver takes every 10,000 entries) stays the same size however long the run.
 */
export const KEY_SPACE = 10_000

/** Makes puts of `COMMAND_BYTES` on the next keys of the key space, end to end in one buffer. */
export function putCommands(): { next(count: number): Uint8Array } {
  let nextKey = 0
  return {
    next(count) {
      const commands = new Uint8Array(count * COMMAND_BYTES).fill(0x2a)
      const view = new DataView(commands.buffer)
      for (let i = 0; i < count; i++) {
        commands[i * COMMAND_BYTES] = 8
        view.setFloat64(i * COMMAND_BYTES + 1, nextKey++ % KEY_SPACE)
      }
      return commands
    },
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/**
 * Open loop: writes are due at a fixed `ratePerSecond` for `durationMs`; every
 * millisecond or so the writes now due go out as one batch (`write(count)`). A write's
 * latency runs from the moment it was due (not when it was sent) to its acknowledgement,
 * so a stalled cluster cannot hide behind a slowed client. Returns the latencies in ms, sorted.
 */
export async function openLoop(
  ratePerSecond: number,
  durationMs: number,
  write: (count: number) => Promise<unknown>,
): Promise<Float64Array> {
  const total = Math.floor((ratePerSecond * durationMs) / 1000)
  const latencies = new Float64Array(total)
  const inFlight: Promise<void>[] = []
  const start = performance.now()
  let sent = 0
  while (sent < total) {
    // write k is due at start + k / rate: those due by now are 0 … floor(elapsed × rate)
    const due = Math.min(total, Math.floor(((performance.now() - start) * ratePerSecond) / 1000) + 1)
    if (due > sent) {
      const first = sent
      const count = due - sent
      sent = due
      inFlight.push(
        write(count).then(() => {
          const now = performance.now()
          for (let k = first; k < first + count; k++)
            latencies[k] = now - (start + (k * 1000) / ratePerSecond)
        }),
      )
    }
    await sleep(1)
  }
  await Promise.all(inFlight)
  return latencies.sort()
}
