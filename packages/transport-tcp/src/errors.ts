import { SynodError } from '@synod/transport'

/**
 * Why a handshake was refused.
 *
 * - `bad-magic`: the connection does not start with the protocol's magic bytes.
 * - `unsupported-version`: another version of the protocol.
 * - `oversize`: a handshake message longer than the limit (checked before buffering it).
 * - `malformed`: a handshake message that does not parse.
 * - `wrong-cluster`: another cluster id.
 * - `unknown-peer`: the dialer claims an id outside the membership (or this node's own).
 * - `wrong-target`: the dialer meant to reach another node.
 * - `auth-required`: this node has a secret, the other side offered no proof.
 * - `auth-unexpected`: the other side wants to authenticate, this node has no secret.
 * - `bad-proof`: the HMAC proof does not match (a wrong secret, or a replayed handshake).
 * - `timeout`: the handshake did not complete within `handshakeTimeoutMs`.
 * - `incomplete`: the connection ended during the handshake.
 * - `overloaded`: too many connections are handshaking at once.
 *
 * @example
 * ```ts
 * const reason: HandshakeRefusalReason = 'wrong-cluster'
 * ```
 */
export type HandshakeRefusalReason =
  | 'bad-magic'
  | 'unsupported-version'
  | 'oversize'
  | 'malformed'
  | 'wrong-cluster'
  | 'unknown-peer'
  | 'wrong-target'
  | 'auth-required'
  | 'auth-unexpected'
  | 'bad-proof'
  | 'timeout'
  | 'incomplete'
  | 'overloaded'

/**
 * A connection whose handshake was refused. Reported in `peer-refused` events (by the side
 * that refused) and as the error of `dial-failed` events; never thrown to callers of `send`.
 *
 * @example
 * ```ts
 * transport.onEvent((event) => {
 *   if (event.type === 'peer-refused') console.warn(event.error.reason, event.error.message)
 * })
 * ```
 */
export class HandshakeRefusedError extends SynodError {
  /** Why, as a stable kebab-case reason. */
  readonly reason: HandshakeRefusalReason
  constructor(reason: HandshakeRefusalReason, detail: string) {
    super('ERR_HANDSHAKE_REFUSED', `handshake refused (${reason}): ${detail}`)
    this.reason = reason
  }
  /** True for any `HandshakeRefusedError`, even one thrown by another copy of the package. */
  static override isInstance(error: unknown): error is HandshakeRefusedError {
    return SynodError.isInstance(error) && error.code === 'ERR_HANDSHAKE_REFUSED'
  }
}
