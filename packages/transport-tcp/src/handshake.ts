/**
 * The connection handshake. Every connection starts with it, before any frame:
 *
 * ```
 * dialer → listener  HELLO  = magic "synod/tcp" (9 bytes) · version (u8) · length (u16) · body
 *                     body   = flags (u8, bit 0: authenticated) · dialer nonce (32 bytes)
 *                              · clusterId · from · to   (each: length u8, then UTF-8)
 * listener → dialer  ACCEPT = length (u16) · version (u8) · flags (u8) · listener nonce (32 bytes)
 *                              · [listener proof (32 bytes), when authenticated]
 * dialer → listener  PROOF  = length (u16) · dialer proof (32 bytes)   (only when authenticated)
 * ```
 *
 * A proof is HMAC-SHA256(secret, role label · clusterId · from · to · dialer nonce · listener nonce),
 * the labels differing per direction, so a proof can neither be reflected back nor replayed
 * on a later connection (the other side's nonce is fresh). The listener refuses by closing
 * the connection, without saying why (the reason goes to its own events).
 * @module
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import type { NodeId } from '@synod/transport'
import { HandshakeRefusedError } from './errors.js'
import type { SocketReader } from './socket-reader.js'

/** The bytes every connection starts with. */
export const HANDSHAKE_MAGIC: Uint8Array = new TextEncoder().encode('synod/tcp')
/** The protocol version this package speaks. */
export const PROTOCOL_VERSION = 1
/** The largest handshake message body accepted, in bytes. */
export const MAX_HANDSHAKE_BYTES = 512
/** Bytes in each side's nonce. */
export const NONCE_BYTES = 32
/** Bytes in an HMAC-SHA256 proof. */
export const PROOF_BYTES = 32
const FLAG_AUTHENTICATED = 1
const PREAMBLE_BYTES = HANDSHAKE_MAGIC.length + 1 + 2
const DIALER_LABEL = 'synod/tcp/1 dialer proof'
const LISTENER_LABEL = 'synod/tcp/1 listener proof'

const utf8 = new TextEncoder()
const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

/** What a dialer says in its HELLO. */
export interface Hello {
  authenticated: boolean
  nonce: Uint8Array
  clusterId: string
  from: NodeId
  to: NodeId
}

/** The fields both proofs cover. */
export interface Transcript {
  clusterId: string
  from: NodeId
  to: NodeId
  dialerNonce: Uint8Array
  listenerNonce: Uint8Array
}

/** A fresh random nonce. */
export function newNonce(): Uint8Array {
  return new Uint8Array(randomBytes(NONCE_BYTES))
}

function withLength(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(2 + body.length)
  new DataView(out.buffer).setUint16(0, body.length)
  out.set(body, 2)
  return out
}

function shortString(value: string): Uint8Array {
  const bytes = utf8.encode(value)
  if (bytes.length > 255) throw new RangeError(`handshake field longer than 255 bytes: ${bytes.length}`)
  return Uint8Array.of(bytes.length, ...bytes)
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0))
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}

/**
 * Encodes a HELLO. `version` is a parameter only so tests can speak another one.
 *
 * @example
 * ```ts
 * socket.write(encodeHello({ authenticated: false, nonce: newNonce(), clusterId: 'synod', from: 'a', to: 'b' }))
 * ```
 */
export function encodeHello(hello: Hello, version = PROTOCOL_VERSION): Uint8Array {
  const body = concat([
    Uint8Array.of(hello.authenticated ? FLAG_AUTHENTICATED : 0),
    hello.nonce,
    shortString(hello.clusterId),
    shortString(hello.from),
    shortString(hello.to),
  ])
  return concat([HANDSHAKE_MAGIC, Uint8Array.of(version), withLength(body)])
}

/**
 * Encodes an ACCEPT.
 *
 * @example
 * ```ts
 * socket.write(encodeAccept(newNonce(), undefined))
 * ```
 */
export function encodeAccept(nonce: Uint8Array, proof: Uint8Array | undefined): Uint8Array {
  return withLength(
    concat([
      Uint8Array.of(PROTOCOL_VERSION, proof ? FLAG_AUTHENTICATED : 0),
      nonce,
      proof ?? new Uint8Array(0),
    ]),
  )
}

/**
 * Encodes a PROOF.
 *
 * @example
 * ```ts
 * socket.write(encodeProof(proofOf(secret, 'dialer', transcript)))
 * ```
 */
export function encodeProof(proof: Uint8Array): Uint8Array {
  return withLength(proof)
}

/**
 * HMAC-SHA256 over the role label, the cluster id, both ids and both nonces.
 *
 * @example
 * ```ts
 * const proof = proofOf(secret, 'listener', { clusterId, from, to, dialerNonce, listenerNonce })
 * ```
 */
export function proofOf(secret: Uint8Array, role: 'dialer' | 'listener', transcript: Transcript): Uint8Array {
  const hmac = createHmac('sha256', secret)
  hmac.update(shortString(role === 'dialer' ? DIALER_LABEL : LISTENER_LABEL))
  hmac.update(shortString(transcript.clusterId))
  hmac.update(shortString(transcript.from))
  hmac.update(shortString(transcript.to))
  hmac.update(transcript.dialerNonce)
  hmac.update(transcript.listenerNonce)
  return new Uint8Array(hmac.digest())
}

function sameProof(expected: Uint8Array, actual: Uint8Array): boolean {
  return expected.length === actual.length && timingSafeEqual(expected, actual)
}

/** Parses a HELLO body; throws `malformed` for anything that is not exactly one. */
export function parseHelloBody(body: Uint8Array): Hello {
  let offset = 0
  const malformed = (what: string) => new HandshakeRefusedError('malformed', what)
  const byte = (): number => {
    if (offset >= body.length) throw malformed('the hello ends early')
    return body[offset++] as number
  }
  const bytes = (count: number): Uint8Array => {
    if (offset + count > body.length) throw malformed('the hello ends early')
    const out = body.slice(offset, offset + count)
    offset += count
    return out
  }
  const text = (name: string): string => {
    const length = byte()
    if (length === 0) throw malformed(`empty ${name}`)
    try {
      return strictUtf8.decode(bytes(length))
    } catch (error) {
      if (HandshakeRefusedError.isInstance(error)) throw error
      throw malformed(`${name} is not valid UTF-8`)
    }
  }
  const flags = byte()
  if ((flags & ~FLAG_AUTHENTICATED) !== 0) throw malformed(`unknown flags ${flags}`)
  const nonce = bytes(NONCE_BYTES)
  const clusterId = text('cluster id')
  const from = text('dialer id')
  const to = text('target id')
  if (offset !== body.length) throw malformed(`${body.length - offset} bytes after the hello`)
  return { authenticated: (flags & FLAG_AUTHENTICATED) !== 0, nonce, clusterId, from, to }
}

async function readMessage(reader: SocketReader, what: string): Promise<Uint8Array> {
  const header = await reader.read(2)
  const length = new DataView(header.buffer, header.byteOffset, 2).getUint16(0)
  if (length > MAX_HANDSHAKE_BYTES) {
    throw new HandshakeRefusedError('oversize', `${what} of ${length} bytes exceeds ${MAX_HANDSHAKE_BYTES}`)
  }
  return reader.read(length)
}

/** What the listener side of a handshake needs to know. */
export interface ListenerContext {
  localId: NodeId
  clusterId: string
  secret: Uint8Array | undefined
  isMember(id: NodeId): boolean
  write(bytes: Uint8Array): void
}

/**
 * Runs the listener's side. Resolves with the dialer's id once it is accepted (and, with
 * a secret, proved); `attempt.claimedId` holds the claimed id as soon as it is known.
 *
 * @throws {HandshakeRefusedError} (rejects) with the reason of the refusal
 * @example
 * ```ts
 * const peer = await acceptHandshake(reader, context, attempt)
 * ```
 */
export async function acceptHandshake(
  reader: SocketReader,
  context: ListenerContext,
  attempt: { claimedId: NodeId | undefined },
): Promise<NodeId> {
  const preamble = await reader.read(PREAMBLE_BYTES)
  for (let i = 0; i < HANDSHAKE_MAGIC.length; i++) {
    if (preamble[i] !== HANDSHAKE_MAGIC[i])
      throw new HandshakeRefusedError('bad-magic', 'the connection does not start with "synod/tcp"')
  }
  const version = preamble[HANDSHAKE_MAGIC.length] as number
  if (version !== PROTOCOL_VERSION) {
    throw new HandshakeRefusedError(
      'unsupported-version',
      `expected version ${PROTOCOL_VERSION}, got ${version}`,
    )
  }
  const length = new DataView(preamble.buffer, preamble.byteOffset).getUint16(PREAMBLE_BYTES - 2)
  if (length > MAX_HANDSHAKE_BYTES) {
    throw new HandshakeRefusedError('oversize', `hello of ${length} bytes exceeds ${MAX_HANDSHAKE_BYTES}`)
  }
  const hello = parseHelloBody(await reader.read(length))
  attempt.claimedId = hello.from
  if (hello.clusterId !== context.clusterId) {
    throw new HandshakeRefusedError(
      'wrong-cluster',
      `expected cluster ${JSON.stringify(context.clusterId)}, got ${JSON.stringify(hello.clusterId)}`,
    )
  }
  if (hello.from === context.localId || !context.isMember(hello.from)) {
    throw new HandshakeRefusedError('unknown-peer', `peer ${JSON.stringify(hello.from)} is not a member`)
  }
  if (hello.to !== context.localId) {
    throw new HandshakeRefusedError(
      'wrong-target',
      `this is ${JSON.stringify(context.localId)}, the dialer meant ${JSON.stringify(hello.to)}`,
    )
  }
  const secret = context.secret
  if (secret !== undefined && !hello.authenticated)
    throw new HandshakeRefusedError('auth-required', 'this cluster requires the pre-shared secret')
  if (secret === undefined && hello.authenticated)
    throw new HandshakeRefusedError(
      'auth-unexpected',
      'the dialer wants authentication, this node has no secret',
    )
  const listenerNonce = newNonce()
  if (secret === undefined) {
    context.write(encodeAccept(listenerNonce, undefined))
    return hello.from
  }
  const transcript: Transcript = {
    clusterId: hello.clusterId,
    from: hello.from,
    to: hello.to,
    dialerNonce: hello.nonce,
    listenerNonce,
  }
  context.write(encodeAccept(listenerNonce, proofOf(secret, 'listener', transcript)))
  const proof = await readMessage(reader, 'proof')
  if (!sameProof(proofOf(secret, 'dialer', transcript), proof))
    throw new HandshakeRefusedError('bad-proof', `the proof of ${JSON.stringify(hello.from)} does not match`)
  return hello.from
}

/** What the dialer side of a handshake needs to know. */
export interface DialerContext {
  localId: NodeId
  peer: NodeId
  clusterId: string
  secret: Uint8Array | undefined
  write(bytes: Uint8Array): void
}

/**
 * Runs the dialer's side: sends HELLO, checks the ACCEPT (and the listener's proof), sends
 * its own proof. Resolves once frames may follow.
 *
 * @throws {HandshakeRefusedError} (rejects) when the listener's answer is bad or the connection ends
 * @example
 * ```ts
 * await dialHandshake(reader, { localId: 'a', peer: 'b', clusterId, secret, write: (b) => socket.write(b) })
 * ```
 */
export async function dialHandshake(reader: SocketReader, context: DialerContext): Promise<void> {
  const secret = context.secret
  const dialerNonce = newNonce()
  context.write(
    encodeHello({
      authenticated: secret !== undefined,
      nonce: dialerNonce,
      clusterId: context.clusterId,
      from: context.localId,
      to: context.peer,
    }),
  )
  const accept = await readMessage(reader, 'accept')
  if (accept.length < 2) throw new HandshakeRefusedError('malformed', 'the accept ends early')
  if (accept[0] !== PROTOCOL_VERSION) {
    throw new HandshakeRefusedError(
      'unsupported-version',
      `expected version ${PROTOCOL_VERSION}, got ${accept[0] as number}`,
    )
  }
  const authenticated = accept[1] === FLAG_AUTHENTICATED
  if (accept[1] !== 0 && !authenticated)
    throw new HandshakeRefusedError('malformed', `unknown flags ${accept[1] as number}`)
  if (secret !== undefined && !authenticated)
    throw new HandshakeRefusedError('auth-required', `${JSON.stringify(context.peer)} offered no proof`)
  if (secret === undefined && authenticated)
    throw new HandshakeRefusedError('auth-unexpected', `${JSON.stringify(context.peer)} wants authentication`)
  const expectedLength = 2 + NONCE_BYTES + (authenticated ? PROOF_BYTES : 0)
  if (accept.length !== expectedLength) {
    throw new HandshakeRefusedError(
      'malformed',
      `expected an accept of ${expectedLength} bytes, got ${accept.length}`,
    )
  }
  if (secret === undefined) return
  const transcript: Transcript = {
    clusterId: context.clusterId,
    from: context.localId,
    to: context.peer,
    dialerNonce,
    listenerNonce: accept.slice(2, 2 + NONCE_BYTES),
  }
  const listenerProof = accept.slice(2 + NONCE_BYTES)
  if (!sameProof(proofOf(secret, 'listener', transcript), listenerProof))
    throw new HandshakeRefusedError(
      'bad-proof',
      `the proof of ${JSON.stringify(context.peer)} does not match`,
    )
  context.write(encodeProof(proofOf(secret, 'dialer', transcript)))
}
