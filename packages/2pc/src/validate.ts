/** Input guards with exact messages: `TypeError` for a wrong type, `RangeError` for a wrong value. */
import { assertNodeId, type NodeId, describeValue as show, utf8Length } from '@synod/transport'
import { DEFAULT_LIMITS, type Limits, type Vote } from './core/types.js'

/** Checks a core's options object and its id; returns the id and the limits. */
export function coreBasics(options: unknown): { id: NodeId; limits: Limits } {
  assertIs('options', options, 'object')
  const { id } = options as { id?: unknown }
  assertNodeId('id', id)
  return { id, limits: limitsOf(options as Partial<Limits>, DEFAULT_LIMITS) }
}

export function integerOption(
  name: string,
  value: unknown,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number') throw new TypeError(`${name}: expected an integer, got ${typeof value}`)
  if (!Number.isSafeInteger(value) || value < min || value > max)
    throw new RangeError(`${name}: expected an integer from ${min} to ${max}, got ${show(value)}`)
  return value
}

export function booleanOption(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback
  if (typeof value !== 'boolean') throw new TypeError(`${name}: expected a boolean, got ${show(value)}`)
  return value
}

/** Checks that `value` is a plain object (`'object'`) or a function (`'function'`). */
export function assertIs(name: string, value: unknown, kind: 'object' | 'function'): void {
  const ok =
    kind === 'function'
      ? typeof value === 'function'
      : typeof value === 'object' && value !== null && !Array.isArray(value)
  if (!ok)
    throw new TypeError(
      `${name}: expected ${kind === 'object' ? 'an object' : 'a function'}, got ${show(value)}`,
    )
}

/** A transaction id: a non-empty string of at most `maxBytes` UTF-8 bytes. */
export function assertTransactionId(value: unknown, maxBytes: number): string {
  if (typeof value !== 'string') throw new TypeError(`txId: expected a string, got ${show(value)}`)
  const bytes = utf8Length(value)
  if (bytes === 0 || bytes > maxBytes)
    throw new RangeError(`txId: expected 1 to ${maxBytes} UTF-8 bytes, got ${bytes}`)
  return value
}

export function assertVote(value: unknown): Vote {
  if (typeof value !== 'string') throw new TypeError(`vote: expected a string, got ${show(value)}`)
  if (value !== 'yes' && value !== 'no' && value !== 'read-only')
    throw new RangeError(`vote: expected "yes", "no" or "read-only", got ${show(value)}`)
  return value
}

/** A participant list: 1 to `maxParticipants` distinct node ids, none of them `self`. */
export function assertParticipants(value: unknown, self: NodeId, limits: Limits): readonly NodeId[] {
  if (!Array.isArray(value)) throw new TypeError(`participants: expected an array, got ${show(value)}`)
  if (value.length === 0 || value.length > limits.maxParticipants)
    throw new RangeError(
      `participants: expected 1 to ${limits.maxParticipants} node ids, got ${value.length}`,
    )
  const seen = new Set<string>()
  value.forEach((id: unknown, index) => {
    assertNodeId(`participants[${index}]`, id)
    if (seen.has(id)) throw new RangeError(`participants[${index}]: ${show(id)} is listed twice`)
    if (id === self)
      throw new RangeError(`participants[${index}]: the coordinator ${show(id)} cannot be a participant`)
    seen.add(id)
  })
  return [...(value as NodeId[])]
}

/** Per-participant payloads: an object whose keys are participants and values `Uint8Array`s. */
export function assertPayloads(
  value: unknown,
  participants: readonly NodeId[],
  limits: Limits,
): ReadonlyMap<NodeId, Uint8Array> {
  const payloads = new Map<NodeId, Uint8Array>()
  if (value === undefined) return payloads
  assertIs('payloads', value, 'object')
  for (const [id, payload] of Object.entries(value as Record<string, unknown>)) {
    if (!participants.includes(id)) throw new RangeError(`payloads: ${show(id)} is not a participant`)
    if (!(payload instanceof Uint8Array))
      throw new TypeError(`payloads[${show(id)}]: expected a Uint8Array, got ${show(payload)}`)
    if (payload.length > limits.maxPayloadBytes)
      throw new RangeError(
        `payloads[${show(id)}]: expected at most ${limits.maxPayloadBytes} bytes, got ${payload.length}`,
      )
    payloads.set(id, payload)
  }
  return payloads
}

/** Reads and checks the shared limits of an options object. */
export function limitsOf(
  options: {
    maxParticipants?: number
    maxTransactionIdBytes?: number
    maxPayloadBytes?: number
  },
  defaults: Limits,
): Limits {
  return {
    maxParticipants: integerOption(
      'maxParticipants',
      options.maxParticipants,
      defaults.maxParticipants,
      1,
      4_096,
    ),
    maxTransactionIdBytes: integerOption(
      'maxTransactionIdBytes',
      options.maxTransactionIdBytes,
      defaults.maxTransactionIdBytes,
      1,
      65_536,
    ),
    maxPayloadBytes: integerOption(
      'maxPayloadBytes',
      options.maxPayloadBytes,
      defaults.maxPayloadBytes,
      0,
      2 ** 30,
    ),
  }
}
