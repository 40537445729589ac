import { connect, type Socket } from 'node:net'
import type { NodeId } from '@synod/transport'
import { dialHandshake } from '../src/handshake.js'
import type { TcpTransport, TcpTransportEvent } from '../src/index.js'
import { SocketReader } from '../src/socket-reader.js'

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Polls `predicate` every 5 ms until it holds, or fails after `timeoutMs`. */
export async function until(predicate: () => boolean, what: string, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(5)
  }
}

/** Records every message a transport delivers. */
export function inbox<M>(transport: TcpTransport<M>): Array<{ from: NodeId; message: M }> {
  const received: Array<{ from: NodeId; message: M }> = []
  transport.onMessage((from, message) => received.push({ from, message }))
  return received
}

/** Records every event a transport reports. */
export function events<M>(transport: TcpTransport<M>): TcpTransportEvent[] {
  const seen: TcpTransportEvent[] = []
  transport.onEvent((event) => seen.push(event))
  return seen
}

/** The refusals among `seen`. */
export function refusals(seen: TcpTransportEvent[]) {
  return seen.flatMap((e) => (e.type === 'peer-refused' ? [e] : []))
}

/** A raw socket to `to`, not yet handshaken. Closed by `closeAll`. */
export function rawSocket(to: TcpTransport<unknown>): Promise<Socket> {
  const { host, port } = to.address()
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port })
    opened.add(socket)
    socket.once('connect', () => resolve(socket))
    socket.once('error', reject)
    socket.on('error', () => undefined)
  })
}

const opened = new Set<Socket>()

/** Destroys every raw socket the helpers opened. */
export function closeRawSockets(): void {
  for (const socket of opened) socket.destroy()
  opened.clear()
}

/** Resolves once `socket` has closed. */
export function closed(socket: Socket): Promise<void> {
  if (socket.closed) return Promise.resolve()
  return new Promise((resolve) => socket.once('close', () => resolve()))
}

/**
 * A raw socket to `to` that has completed a valid dialer handshake as `from`: whatever is
 * written on it next is read as frames from `from`.
 */
export async function handshakenSocket(
  to: TcpTransport<unknown>,
  from: NodeId,
  options: { clusterId?: string; secret?: Uint8Array } = {},
): Promise<Socket> {
  const socket = await rawSocket(to)
  const reader = new SocketReader(socket, 64 * 1024)
  await dialHandshake(reader, {
    localId: from,
    peer: to.localId,
    clusterId: options.clusterId ?? to.clusterId,
    secret: options.secret,
    write: (bytes) => socket.write(bytes),
  })
  reader.detach()
  return socket
}

/** Writes `bytes` after a valid handshake, ends the connection, and waits until it is closed. */
export async function injectRaw(
  from: NodeId,
  to: TcpTransport<unknown>,
  bytes: Uint8Array,
  options: { secret?: Uint8Array } = {},
): Promise<void> {
  const socket = await handshakenSocket(to, from, options)
  socket.write(bytes)
  socket.end()
  await closed(socket)
}

/** Prefixes `payload` with its 4-byte length. */
export function frame(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + payload.length)
  new DataView(out.buffer).setUint32(0, payload.length)
  out.set(payload, 4)
  return out
}
