/**
 * The canonical binary encoding of PBFT messages, with strict decoding: every
 * malformed, truncated, oversized or non-canonical input gives a `DecodeError`,
 * never a half-built message.
 *
 * Layout of a message: `u8 tag | fields in declaration order | signature`.
 * Integers are fixed-width big-endian: `u8`, `u16` (replica indexes), `u64`
 * (views, sequences, timestamps; at most 2^53 - 1). Byte strings are a `u32`
 * length then the bytes; strings are a `u16` length then UTF-8; lists are a
 * `u32` count then the items; booleans are one byte, 0 or 1; an optional value
 * is a `u8` 0 or 1 then the value. Nested messages are written whole (tag and
 * signature included). Fixed widths make the encoding of a value unique, so
 * signatures are over exactly one byte string.
 *
 * What a signature covers (`signingBytes`): the domain tag `synod-pbft/1`,
 * then the encoding of the message without its trailing signature — except a
 * pre-prepare, whose signature covers `tag | view | sequence | digest | replica`
 * (the digest binds the batch).
 */
import { BinaryReader, BinaryWriter, type Codec, DecodeError, FrameTooLargeError } from '@synod/transport'
import type {
  Checkpoint,
  ClientRequest,
  Commit,
  CommitCertificate,
  PbftMessage,
  PbftMessageKind,
  PrePrepare,
  Prepare,
  PreparedCertificate,
  StateTransfer,
  Unsigned,
  ViewChange,
} from './messages.js'
import type { PbftHardState, SignedVote, StableCheckpoint } from './types.js'

/** Limits the decoder enforces. @example `pbftCodec({ maxMessageBytes: 1 << 20 })` */
export interface PbftCodecOptions {
  /** Largest encoded message, in bytes. Default 64 MiB. */
  maxMessageBytes?: number
  /** Largest operation or result, in bytes. Default 16 MiB. */
  maxOperationBytes?: number
}

/** The default largest encoded PBFT message: 64 MiB. @example `DEFAULT_MAX_PBFT_MESSAGE_BYTES // 67108864` */
export const DEFAULT_MAX_PBFT_MESSAGE_BYTES = 64 * 1024 * 1024

const DOMAIN = new TextEncoder().encode('synod-pbft/1')
/** Longest reply proof: a tree of up to 2^32 leaves. */
const MAX_REPLY_PROOF = 32

function checkedU32(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff_ffff)
    throw new RangeError(`${name}: expected an integer in [0, 4294967295], got ${value}`)
  return value
}
const MAX_ID_BYTES = 256
const MAX_KEY_BYTES = 128
const MAX_COUNT = 1_000_000
const TAGS: Record<PbftMessageKind, number> = {
  request: 1,
  reply: 2,
  'pre-prepare': 3,
  prepare: 4,
  commit: 5,
  checkpoint: 6,
  'view-change': 7,
  'new-view': 8,
  'fetch-state': 9,
  state: 10,
}
const KINDS = new Map<number, PbftMessageKind>(
  Object.entries(TAGS).map(([kind, tag]) => [tag, kind as PbftMessageKind]),
)
const textEncoder = new TextEncoder()

class Writer extends BinaryWriter {
  raw(name: string, data: Uint8Array): void {
    if (!(data instanceof Uint8Array)) throw new TypeError(`${name}: expected Uint8Array, got ${typeof data}`)
    this.u32(data.length)
    this.append(name, data)
  }

  str(name: string, value: string): void {
    if (typeof value !== 'string') throw new TypeError(`${name}: expected string, got ${typeof value}`)
    const data = textEncoder.encode(value)
    if (data.length === 0 || data.length > MAX_ID_BYTES)
      throw new RangeError(`${name}: expected 1 to ${MAX_ID_BYTES} UTF-8 bytes, got ${data.length}`)
    this.u16(name, data.length)
    this.append(name, data)
  }

  count(value: number): void {
    this.u32(value)
  }
}

class Reader extends BinaryReader {
  constructor(
    bytes: Uint8Array,
    readonly maxOperationBytes: number,
  ) {
    super(bytes)
  }

  override bool(what: string): boolean {
    const value = this.u8(what)
    if (value > 1) throw new DecodeError(`${what}: expected boolean 0 or 1, got ${value}`)
    return value === 1
  }

  raw(what: string, maxBytes: number): Uint8Array {
    const length = this.u32(`${what} length`)
    if (length > maxBytes)
      throw new DecodeError(`${what} of ${length} bytes exceeds the limit of ${maxBytes}`)
    return this.take(what, length)
  }

  str(what: string): string {
    const length = this.u16(`${what} length`)
    if (length === 0 || length > MAX_ID_BYTES)
      throw new DecodeError(`${what}: expected 1 to ${MAX_ID_BYTES} bytes, got ${length}`)
    return this.utf8(what, length)
  }

  /** A list count, bounded by the bytes left (each item takes at least `minItemBytes`). */
  count(what: string, minItemBytes: number): number {
    const value = this.u32(`${what} count`)
    if (value > MAX_COUNT || value * minItemBytes > this.remaining)
      throw new DecodeError(`${what} count ${value} exceeds what ${this.remaining} remaining bytes can hold`)
    return value
  }
}

// ---------------------------------------------------------------- writers

function writeRequest(w: Writer, m: Unsigned<ClientRequest>): void {
  w.str('client', m.client)
  w.raw('publicKey', m.publicKey)
  w.u64('timestamp', m.timestamp)
  w.bool(m.readOnly)
  w.raw('operation', m.operation)
}

function writePrePrepareHeader(w: Writer, m: Unsigned<PrePrepare>): void {
  w.u64('view', m.view)
  w.u64('sequence', m.sequence)
  w.raw('digest', m.digest)
  w.u16('replica', m.replica)
}

function writeBody(w: Writer, m: Unsigned<PbftMessage>, forSigning: boolean): void {
  w.u8(TAGS[m.kind])
  switch (m.kind) {
    case 'request':
      writeRequest(w, m)
      return
    case 'reply':
      if (forSigning)
        throw new TypeError(
          "reply: a reply is signed over its batch's reply root; use signReplies / replySigningBytes",
        )
      w.u64('view', m.view)
      w.str('client', m.client)
      w.u64('timestamp', m.timestamp)
      w.u16('replica', m.replica)
      w.bool(m.readOnly)
      w.raw('result', m.result)
      w.u32(checkedU32('position', m.position))
      w.u32(checkedU32('leaves', m.leaves))
      if (!Array.isArray(m.proof) || m.proof.length > MAX_REPLY_PROOF)
        throw new RangeError(`proof: expected an array of at most ${MAX_REPLY_PROOF} hashes`)
      w.count(m.proof.length)
      for (const hash of m.proof) w.raw('proof', hash)
      return
    case 'pre-prepare':
      writePrePrepareHeader(w, m)
      if (forSigning) return
      w.count(m.batch.length)
      for (const request of m.batch) writeMessage(w, request)
      return
    case 'prepare':
      w.u64('view', m.view)
      w.u64('sequence', m.sequence)
      w.raw('digest', m.digest)
      w.u16('replica', m.replica)
      w.raw('prePrepareSignature', m.prePrepareSignature)
      return
    case 'commit':
      w.u64('view', m.view)
      w.u64('sequence', m.sequence)
      w.raw('digest', m.digest)
      w.u16('replica', m.replica)
      return
    case 'checkpoint':
      w.u64('sequence', m.sequence)
      w.raw('stateDigest', m.stateDigest)
      w.u16('replica', m.replica)
      return
    case 'view-change':
      w.u64('view', m.view)
      w.u64('checkpointSequence', m.checkpointSequence)
      w.count(m.checkpointProof.length)
      for (const checkpoint of m.checkpointProof) writeMessage(w, checkpoint)
      w.count(m.prepared.length)
      for (const certificate of m.prepared) writePrepared(w, certificate)
      w.u16('replica', m.replica)
      return
    case 'new-view':
      w.u64('view', m.view)
      w.count(m.viewChanges.length)
      for (const viewChange of m.viewChanges) writeMessage(w, viewChange)
      w.count(m.prePrepares.length)
      for (const prePrepare of m.prePrepares) writeMessage(w, prePrepare)
      w.u16('replica', m.replica)
      return
    case 'fetch-state':
      w.u64('fromSequence', m.fromSequence)
      w.u16('replica', m.replica)
      return
    case 'state':
      if (m.checkpoint === undefined) w.u8(0)
      else {
        w.u8(1)
        w.count(m.checkpoint.proof.length)
        for (const checkpoint of m.checkpoint.proof) writeMessage(w, checkpoint)
        w.raw('snapshot', m.checkpoint.snapshot)
      }
      w.count(m.entries.length)
      for (const entry of m.entries) writeCommitted(w, entry)
      w.u16('replica', m.replica)
      return
  }
}

function writePrepared(w: Writer, certificate: PreparedCertificate): void {
  writeMessage(w, certificate.prePrepare)
  w.count(certificate.prepares.length)
  for (const prepare of certificate.prepares) writeMessage(w, prepare)
}

function writeCommitted(w: Writer, certificate: CommitCertificate): void {
  writeMessage(w, certificate.prePrepare)
  w.count(certificate.commits.length)
  for (const commit of certificate.commits) writeMessage(w, commit)
}

function writeMessage(w: Writer, m: PbftMessage): void {
  writeBody(w, m, false)
  w.raw('signature', m.signature)
}

// ---------------------------------------------------------------- readers

function readTag(r: Reader, expected?: PbftMessageKind): PbftMessageKind {
  const tag = r.u8('message tag')
  const kind = KINDS.get(tag)
  if (kind === undefined) throw new DecodeError(`unknown message tag ${tag}`)
  if (expected !== undefined && kind !== expected)
    throw new DecodeError(`expected a nested ${expected} message, got ${kind}`)
  return kind
}

function readNested<K extends PbftMessageKind>(r: Reader, kind: K): Extract<PbftMessage, { kind: K }> {
  readTag(r, kind)
  return readAfterTag(r, kind) as Extract<PbftMessage, { kind: K }>
}

const digestBytes = (r: Reader, what: string) => r.raw(what, MAX_KEY_BYTES)
const MIN_PRE_PREPARE_BYTES = 1 + 8 + 8 + 4 + 2 + 4 + 4
const MIN_PREPARE_BYTES = 1 + 8 + 8 + 4 + 2 + 4 + 4
const MIN_COMMIT_BYTES = 1 + 8 + 8 + 4 + 2 + 4
const MIN_CHECKPOINT_BYTES = 1 + 8 + 4 + 2 + 4

function readPrepared(r: Reader): PreparedCertificate {
  const prePrepare = readNested(r, 'pre-prepare')
  const count = r.count('prepares', MIN_PREPARE_BYTES)
  const prepares: Prepare[] = []
  for (let i = 0; i < count; i++) prepares.push(readNested(r, 'prepare'))
  return { prePrepare, prepares }
}

function readCommitted(r: Reader): CommitCertificate {
  const prePrepare = readNested(r, 'pre-prepare')
  const count = r.count('commits', MIN_COMMIT_BYTES)
  const commits: Commit[] = []
  for (let i = 0; i < count; i++) commits.push(readNested(r, 'commit'))
  return { prePrepare, commits }
}

function readCheckpoints(r: Reader, what: string): Checkpoint[] {
  const count = r.count(what, MIN_CHECKPOINT_BYTES)
  const checkpoints: Checkpoint[] = []
  for (let i = 0; i < count; i++) checkpoints.push(readNested(r, 'checkpoint'))
  return checkpoints
}

function readAfterTag(r: Reader, kind: PbftMessageKind): PbftMessage {
  const signature = () => r.raw('signature', MAX_KEY_BYTES)
  switch (kind) {
    case 'request': {
      const client = r.str('client')
      const publicKey = r.raw('publicKey', MAX_KEY_BYTES)
      const timestamp = r.u64('timestamp')
      const readOnly = r.bool('readOnly')
      const operation = r.raw('operation', r.maxOperationBytes)
      return { kind, client, publicKey, timestamp, readOnly, operation, signature: signature() }
    }
    case 'reply': {
      const view = r.u64('view')
      const client = r.str('client')
      const timestamp = r.u64('timestamp')
      const replica = r.u16('replica')
      const readOnly = r.bool('readOnly')
      const result = r.raw('result', r.maxOperationBytes)
      const position = r.u32('position')
      const leaves = r.u32('leaves')
      if (leaves === 0 || position >= leaves)
        throw new DecodeError(`reply position ${position} is not below its ${leaves} leaves`)
      const proofCount = r.count('proof', 4)
      if (proofCount > MAX_REPLY_PROOF)
        throw new DecodeError(`reply proof of ${proofCount} hashes exceeds ${MAX_REPLY_PROOF}`)
      const proof: Uint8Array[] = []
      for (let i = 0; i < proofCount; i++) proof.push(digestBytes(r, 'proof'))
      return {
        kind,
        view,
        client,
        timestamp,
        replica,
        readOnly,
        result,
        position,
        leaves,
        proof,
        signature: signature(),
      }
    }
    case 'pre-prepare': {
      const view = r.u64('view')
      const sequence = r.u64('sequence')
      const digest = digestBytes(r, 'digest')
      const replica = r.u16('replica')
      const count = r.count('batch', 1 + 2 + 4 + 8 + 1 + 4 + 4)
      const batch: ClientRequest[] = []
      for (let i = 0; i < count; i++) batch.push(readNested(r, 'request'))
      return { kind, view, sequence, digest, replica, batch, signature: signature() }
    }
    case 'prepare': {
      const view = r.u64('view')
      const sequence = r.u64('sequence')
      const digest = digestBytes(r, 'digest')
      const replica = r.u16('replica')
      const prePrepareSignature = r.raw('prePrepareSignature', MAX_KEY_BYTES)
      return { kind, view, sequence, digest, replica, prePrepareSignature, signature: signature() }
    }
    case 'commit': {
      const view = r.u64('view')
      const sequence = r.u64('sequence')
      const digest = digestBytes(r, 'digest')
      const replica = r.u16('replica')
      return { kind, view, sequence, digest, replica, signature: signature() }
    }
    case 'checkpoint': {
      const sequence = r.u64('sequence')
      const stateDigest = digestBytes(r, 'stateDigest')
      const replica = r.u16('replica')
      return { kind, sequence, stateDigest, replica, signature: signature() }
    }
    case 'view-change': {
      const view = r.u64('view')
      const checkpointSequence = r.u64('checkpointSequence')
      const checkpointProof = readCheckpoints(r, 'checkpointProof')
      const preparedCount = r.count('prepared', MIN_PRE_PREPARE_BYTES + 4)
      const prepared: PreparedCertificate[] = []
      for (let i = 0; i < preparedCount; i++) prepared.push(readPrepared(r))
      const replica = r.u16('replica')
      return { kind, view, checkpointSequence, checkpointProof, prepared, replica, signature: signature() }
    }
    case 'new-view': {
      const view = r.u64('view')
      const viewChangeCount = r.count('viewChanges', 1 + 8 + 8 + 4 + 4 + 2 + 4)
      const viewChanges: ViewChange[] = []
      for (let i = 0; i < viewChangeCount; i++) viewChanges.push(readNested(r, 'view-change'))
      const prePrepareCount = r.count('prePrepares', 1 + 8 + 8 + 4 + 2 + 4 + 4)
      const prePrepares: PrePrepare[] = []
      for (let i = 0; i < prePrepareCount; i++) prePrepares.push(readNested(r, 'pre-prepare'))
      const replica = r.u16('replica')
      return { kind, view, viewChanges, prePrepares, replica, signature: signature() }
    }
    case 'fetch-state': {
      const fromSequence = r.u64('fromSequence')
      const replica = r.u16('replica')
      return { kind, fromSequence, replica, signature: signature() }
    }
    case 'state': {
      const present = r.u8('checkpoint presence')
      if (present > 1) throw new DecodeError(`checkpoint presence: expected 0 or 1, got ${present}`)
      let checkpoint: StateTransfer['checkpoint']
      if (present === 1) {
        const proof = readCheckpoints(r, 'checkpoint proof')
        const snapshot = r.raw('snapshot', r.bytes.length)
        checkpoint = { proof, snapshot }
      }
      const entryCount = r.count('entries', MIN_PRE_PREPARE_BYTES + 4)
      const entries: CommitCertificate[] = []
      for (let i = 0; i < entryCount; i++) entries.push(readCommitted(r))
      const replica = r.u16('replica')
      return { kind, checkpoint, entries, replica, signature: signature() }
    }
  }
}

// ---------------------------------------------------------------- public API

/**
 * Encodes a message canonically.
 *
 * @throws {TypeError} when a byte or string field has the wrong type
 * @throws {RangeError} when a number is out of range or an id is empty or too long
 * @example
 * ```ts
 * const bytes = encodePbftMessage(commit)
 * decodePbftMessage(bytes) // deep-equals commit
 * ```
 */
export function encodePbftMessage(message: PbftMessage): Uint8Array {
  const w = new Writer()
  writeMessage(w, message)
  return w.finish()
}

/**
 * Decodes one message; the input must be exactly one message.
 *
 * @throws {DecodeError} for anything that is not exactly one valid encoding
 * @example
 * ```ts
 * decodePbftMessage(encodePbftMessage(prepare)).kind // 'prepare'
 * ```
 */
export function decodePbftMessage(bytes: Uint8Array, options: PbftCodecOptions = {}): PbftMessage {
  if (!(bytes instanceof Uint8Array)) throw new DecodeError(`expected Uint8Array, got ${typeof bytes}`)
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_PBFT_MESSAGE_BYTES
  if (bytes.length > maxMessageBytes)
    throw new DecodeError(`${bytes.length} bytes exceeds the limit of ${maxMessageBytes}`)
  const r = new Reader(bytes, options.maxOperationBytes ?? 16 * 1024 * 1024)
  const kind = readTag(r)
  const message = readAfterTag(r, kind)
  if (r.remaining !== 0) throw new DecodeError(`${r.remaining} trailing bytes after a ${kind} message`)
  return message
}

/**
 * The bytes a message's signature covers (domain-separated). Not for replies,
 * which are signed per batch over a Merkle root (`signReplies`).
 *
 * @throws {TypeError} for a reply
 * @example
 * ```ts
 * const signature = crypto.sign(signingBytes(unsignedCommit))
 * ```
 */
export function signingBytes(message: Unsigned<PbftMessage>): Uint8Array {
  const w = new Writer()
  for (const byte of DOMAIN) w.u8(byte)
  writeBody(w, message, true)
  return w.finish()
}

/**
 * The bytes a reply's Merkle leaf hashes: what the client checks (its id and
 * timestamp, read-only or not, the result), domain-separated.
 *
 * @example
 * ```ts
 * const leaf = crypto.digest(replyLeafBytes(reply))
 * ```
 */
export function replyLeafBytes(reply: {
  readonly client: string
  readonly timestamp: number
  readonly readOnly: boolean
  readonly result: Uint8Array
}): Uint8Array {
  const w = new Writer()
  for (const byte of DOMAIN) w.u8(byte)
  w.u8(0) // leaf
  w.str('client', reply.client)
  w.u64('timestamp', reply.timestamp)
  w.bool(reply.readOnly)
  w.raw('result', reply.result)
  return w.finish()
}

/**
 * The bytes a replica signs for a tree of replies: `(view, replica, leaves, root)`.
 *
 * @example
 * ```ts
 * const signature = crypto.sign(replySigningBytes(view, replica, leaves, root))
 * ```
 */
export function replySigningBytes(
  view: number,
  replica: number,
  leaves: number,
  root: Uint8Array,
): Uint8Array {
  const w = new Writer()
  for (const byte of DOMAIN) w.u8(byte)
  w.u8(TAGS.reply)
  w.u64('view', view)
  w.u16('replica', replica)
  w.u32(checkedU32('leaves', leaves))
  w.raw('root', root)
  return w.finish()
}

/**
 * The bytes a batch digest is computed over: the count and every request, signatures included.
 *
 * @example
 * ```ts
 * const digest = crypto.digest(encodeBatch(batch))
 * ```
 */
export function encodeBatch(batch: readonly ClientRequest[]): Uint8Array {
  const w = new Writer()
  for (const byte of DOMAIN) w.u8(byte)
  w.count(batch.length)
  for (const request of batch) writeMessage(w, request)
  return w.finish()
}

/** One client's entry in the replicated reply table. @example `{ client: 'alice', timestamp: 3, result }` */
export interface ClientTableEntry {
  readonly client: string
  readonly timestamp: number
  readonly result: Uint8Array
}

/**
 * Encodes a replica's checkpoint state: the application snapshot and the
 * client reply table (sorted by client), whose digest is the checkpoint digest.
 *
 * @example
 * ```ts
 * const bytes = encodeStateSnapshot(app.snapshot(), table)
 * ```
 */
export function encodeStateSnapshot(
  application: Uint8Array,
  clients: readonly ClientTableEntry[],
): Uint8Array {
  const w = new Writer()
  for (const byte of DOMAIN) w.u8(byte)
  w.raw('application', application)
  const sorted = [...clients].sort((a, b) => (a.client < b.client ? -1 : a.client > b.client ? 1 : 0))
  w.count(sorted.length)
  for (const entry of sorted) {
    w.str('client', entry.client)
    w.u64('timestamp', entry.timestamp)
    w.raw('result', entry.result)
  }
  return w.finish()
}

/**
 * Decodes `encodeStateSnapshot` output.
 *
 * @throws {DecodeError} for anything else
 * @example
 * ```ts
 * const { application, clients } = decodeStateSnapshot(bytes)
 * ```
 */
export function decodeStateSnapshot(bytes: Uint8Array): {
  application: Uint8Array
  clients: ClientTableEntry[]
} {
  const r = new Reader(bytes, bytes.length)
  for (const byte of DOMAIN)
    if (r.u8('snapshot domain') !== byte) throw new DecodeError('bad snapshot domain')
  const application = r.raw('application', bytes.length)
  const count = r.count('clients', 2 + 1 + 8 + 4)
  const clients: ClientTableEntry[] = []
  let previous: string | undefined
  for (let i = 0; i < count; i++) {
    const client = r.str('client')
    if (previous !== undefined && !(previous < client)) throw new DecodeError('snapshot clients not sorted')
    previous = client
    clients.push({ client, timestamp: r.u64('timestamp'), result: r.raw('result', bytes.length) })
  }
  if (r.remaining !== 0) throw new DecodeError(`${r.remaining} trailing bytes after a snapshot`)
  return { application, clients }
}

const HARD_STATE_DOMAIN = new TextEncoder().encode('synod-pbft-hard-state/1')
const VOTE_KINDS = ['pre-prepare', 'prepare', 'commit'] as const

/**
 * Encodes a replica's hard state for a disk (canonical, strict to decode).
 *
 * @example
 * ```ts
 * disk.write('pbft-hard-state', encodeHardState(hardState))
 * ```
 */
export function encodeHardState(state: PbftHardState): Uint8Array {
  const w = new Writer()
  for (const byte of HARD_STATE_DOMAIN) w.u8(byte)
  w.str('replica', state.replica)
  w.u64('view', state.view)
  w.bool(state.viewChanging)
  w.count(state.votes.length)
  for (const vote of state.votes) {
    w.u8(VOTE_KINDS.indexOf(vote.kind))
    w.u64('vote.view', vote.view)
    w.u64('vote.sequence', vote.sequence)
    w.raw('vote.digest', vote.digest)
  }
  w.count(state.prepared.length)
  for (const certificate of state.prepared) writePrepared(w, certificate)
  w.count(state.committed.length)
  for (const certificate of state.committed) writeCommitted(w, certificate)
  const stable = state.stableCheckpoint
  if (stable === undefined) w.u8(0)
  else {
    w.u8(1)
    w.u64('stableCheckpoint.sequence', stable.sequence)
    w.raw('stableCheckpoint.stateDigest', stable.stateDigest)
    w.count(stable.proof.length)
    for (const checkpoint of stable.proof) writeMessage(w, checkpoint)
    w.raw('stableCheckpoint.snapshot', stable.snapshot)
  }
  return w.finish()
}

/**
 * Decodes `encodeHardState` output.
 *
 * @throws {DecodeError} for anything else (a torn or corrupted file included)
 * @example
 * ```ts
 * const restore = decodeHardState(disk.read('pbft-hard-state'))
 * ```
 */
export function decodeHardState(bytes: Uint8Array): PbftHardState {
  if (!(bytes instanceof Uint8Array)) throw new DecodeError(`expected Uint8Array, got ${typeof bytes}`)
  const r = new Reader(bytes, bytes.length)
  for (const byte of HARD_STATE_DOMAIN)
    if (r.u8('hard state domain') !== byte) throw new DecodeError('not a PBFT hard state')
  const replica = r.str('replica')
  const view = r.u64('view')
  const viewChanging = r.bool('viewChanging')
  const voteCount = r.count('votes', 1 + 8 + 8 + 4)
  const votes: SignedVote[] = []
  for (let i = 0; i < voteCount; i++) {
    const kind = VOTE_KINDS[r.u8('vote kind')]
    if (kind === undefined) throw new DecodeError('unknown vote kind')
    votes.push({
      kind,
      view: r.u64('vote view'),
      sequence: r.u64('vote sequence'),
      digest: digestBytes(r, 'vote digest'),
    })
  }
  const preparedCount = r.count('prepared', MIN_PRE_PREPARE_BYTES + 4)
  const prepared: PreparedCertificate[] = []
  for (let i = 0; i < preparedCount; i++) prepared.push(readPrepared(r))
  const committedCount = r.count('committed', MIN_PRE_PREPARE_BYTES + 4)
  const committed: CommitCertificate[] = []
  for (let i = 0; i < committedCount; i++) committed.push(readCommitted(r))
  const present = r.u8('stable checkpoint presence')
  if (present > 1) throw new DecodeError(`stable checkpoint presence: expected 0 or 1, got ${present}`)
  let stableCheckpoint: StableCheckpoint | undefined
  if (present === 1) {
    const sequence = r.u64('stable checkpoint sequence')
    const stateDigest = digestBytes(r, 'stable checkpoint digest')
    const proof = readCheckpoints(r, 'stable checkpoint proof')
    stableCheckpoint = { sequence, stateDigest, proof, snapshot: r.raw('snapshot', bytes.length) }
  }
  if (r.remaining !== 0) throw new DecodeError(`${r.remaining} trailing bytes after a hard state`)
  return { replica, view, viewChanging, votes, prepared, committed, stableCheckpoint }
}

/**
 * A `Codec` for transports: `encodePbftMessage` with a size check, `decodePbftMessage` with limits.
 *
 * @example
 * ```ts
 * const codec = pbftCodec({ maxMessageBytes: 8 << 20 })
 * codec.decode(codec.encode(message))
 * ```
 */
export function pbftCodec(options: PbftCodecOptions = {}): Codec<PbftMessage> {
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_PBFT_MESSAGE_BYTES
  if (!Number.isSafeInteger(maxMessageBytes) || maxMessageBytes <= 0)
    throw new RangeError(`maxMessageBytes: expected a positive integer, got ${String(maxMessageBytes)}`)
  return {
    encode(message) {
      const bytes = encodePbftMessage(message)
      if (bytes.length > maxMessageBytes) throw new FrameTooLargeError(bytes.length, maxMessageBytes)
      return bytes
    },
    decode(bytes) {
      return decodePbftMessage(bytes, options)
    },
  }
}
