import type { NodeId } from '@synod/transport'
import type { Libp2pTransport, Libp2pTransportEvent } from '../src/index.js'

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Polls `predicate` every 5 ms until it holds, or fails after `timeoutMs`. */
export async function until(predicate: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(5)
  }
}

/** Records every message a transport delivers. */
export function inbox<M>(transport: Libp2pTransport<M>): Array<{ from: NodeId; message: M }> {
  const received: Array<{ from: NodeId; message: M }> = []
  transport.onMessage((from, message) => received.push({ from, message }))
  return received
}

/** Records every event a transport reports. */
export function events(transport: Libp2pTransport<unknown>): Libp2pTransportEvent[] {
  const seen: Libp2pTransportEvent[] = []
  transport.onEvent((event) => seen.push(event))
  return seen
}

/** A deterministic 32-byte seed. */
export const seed = (n: number) => new Uint8Array(32).fill(n)
