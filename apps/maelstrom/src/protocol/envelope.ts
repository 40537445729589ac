/**
 * Maelstrom's message envelope `{src, dest, body}` and its parsing. Parsing is a
 * trust boundary: it never throws, and says what was wrong and, when the
 * request can be identified, whom to answer.
 */
import { isJsonObject, type JsonValue } from '../json.js'

/**
 * A message body: `type` is mandatory; `msg_id` and `in_reply_to` are optional
 * non-negative integers; other members depend on the type.
 *
 * @example
 * ```ts
 * const body: MessageBody = { type: 'cas', msg_id: 3, key: 1, from: 2, to: 3 }
 * ```
 */
export interface MessageBody {
  type: string
  msg_id?: number
  in_reply_to?: number
  [member: string]: JsonValue | undefined
}

/**
 * One Maelstrom message.
 *
 * @example
 * ```ts
 * const message: Envelope = { src: 'c1', dest: 'n1', body: { type: 'read', msg_id: 1, key: 3 } }
 * ```
 */
export interface Envelope {
  src: string
  dest: string
  body: MessageBody
}

/**
 * The result of `parseEnvelope`: the message, or the reason it was refused and,
 * when the sender and its `msg_id` could be read, where to send an error reply.
 *
 * @example
 * ```ts
 * const parsed: ParsedEnvelope = parseEnvelope(line)
 * if (!parsed.ok) console.error(parsed.reason)
 * ```
 */
export type ParsedEnvelope =
  | { ok: true; envelope: Envelope }
  | { ok: false; reason: string; replyTo?: { src: string; msgId: number; dest?: string } }

/**
 * The longest node id accepted in `src` and `dest`.
 *
 * @example
 * ```ts
 * parseEnvelope(JSON.stringify({ src: 'c'.repeat(MAX_ENVELOPE_ID_LENGTH + 1), dest: 'n1', body: { type: 'read' } })).ok // false
 * ```
 */
export const MAX_ENVELOPE_ID_LENGTH = 256

function isMessageId(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return typeof value
}

function checkId(name: string, value: unknown): string | undefined {
  if (typeof value !== 'string') return `${name}: expected a string, got ${describe(value)}`
  if (value.length === 0) return `${name}: expected a non-empty string`
  if (value.length > MAX_ENVELOPE_ID_LENGTH)
    return `${name}: expected at most ${MAX_ENVELOPE_ID_LENGTH} characters, got length=${value.length}`
  return undefined
}

/**
 * Parses one line of Maelstrom's protocol. Never throws.
 *
 * @param line - one line, without its newline
 * @returns the envelope, or why it was refused (`replyTo` set when a
 *   `malformed-request` reply can be addressed; its `dest` is the node the
 *   message was for, when readable)
 * @example
 * ```ts
 * parseEnvelope('{"src":"c1","dest":"n1","body":{"type":"read","msg_id":1,"key":3}}')
 * // { ok: true, envelope: { src: 'c1', dest: 'n1', body: { type: 'read', msg_id: 1, key: 3 } } }
 * parseEnvelope('{"src":"c1"') // { ok: false, reason: 'invalid JSON: …' }
 * ```
 */
export function parseEnvelope(line: string): ParsedEnvelope {
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch (error) {
    return { ok: false, reason: `invalid JSON: ${(error as Error).message}` }
  }
  if (!isJsonObject(value))
    return { ok: false, reason: `message: expected an object, got ${describe(value)}` }
  const srcProblem = checkId('src', value.src)
  if (srcProblem) return { ok: false, reason: srcProblem }
  const src = value.src as string
  const body = value.body
  const msgId = isJsonObject(body) && isMessageId(body.msg_id) ? body.msg_id : undefined
  const destProblem = checkId('dest', value.dest)
  const dest = destProblem ? undefined : (value.dest as string)
  const refuse = (reason: string): ParsedEnvelope => {
    if (msgId === undefined) return { ok: false, reason }
    return { ok: false, reason, replyTo: dest === undefined ? { src, msgId } : { src, msgId, dest } }
  }
  if (destProblem) return refuse(destProblem)
  if (!isJsonObject(body)) return refuse(`body: expected an object, got ${describe(body)}`)
  if (typeof body.type !== 'string' || body.type.length === 0)
    return refuse(`body.type: expected a non-empty string, got ${describe(body.type)}`)
  if (body.msg_id !== undefined && !isMessageId(body.msg_id))
    return refuse(`body.msg_id: expected a non-negative integer, got ${JSON.stringify(body.msg_id)}`)
  if (body.in_reply_to !== undefined && !isMessageId(body.in_reply_to))
    return refuse(
      `body.in_reply_to: expected a non-negative integer, got ${JSON.stringify(body.in_reply_to)}`,
    )
  return { ok: true, envelope: { src, dest: value.dest as string, body: body as MessageBody } }
}
