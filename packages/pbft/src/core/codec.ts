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
  CommitCertificate,
  PbftMessage,
  PbftMessageKind,
  PreparedCertificate,
  StateTransfer,
  Unsigned,
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

/** What a pre-prepare, a prepare and a commit start with (all a pre-prepare's signature covers). */
interface VoteHeader {
  readonly view: number
  readonly sequence: number
  readonly digest: Uint8Array
  readonly replica: number
}

function writeVoteHeader(w: Writer, m: VoteHeader): void {
  w.u64('view', m.view)
  w.u64('sequence', m.sequence)
  w.raw('digest', m.digest)
  w.u16('replica', m.replica)
}

/** A `u32` count, then each item. */
function writeList<T>(w: Writer, items: readonly T[], writeItem: (w: Writer, item: T) => void): void {
  w.count(items.length)
  for (const item of items) writeItem(w, item)
}

/** A writer that has written `domain` (domain separation for everything signed, hashed or stored). */
function domainWriter(domain: Uint8Array = DOMAIN): Writer {
  const w = new Writer()
  w.append('domain', domain)
  return w
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
      writeList(w, m.proof, (w, hash) => w.raw('proof', hash))
      return
    case 'pre-prepare':
      writeVoteHeader(w, m)
      if (!forSigning) writeList(w, m.batch, writeMessage)
      return
    case 'prepare':
      writeVoteHeader(w, m)
      w.raw('prePrepareSignature', m.prePrepareSignature)
      return
    case 'commit':
      writeVoteHeader(w, m)
      return
    case 'checkpoint':
      w.u64('sequence', m.sequence)
      w.raw('stateDigest', m.stateDigest)
      w.u16('replica', m.replica)
      return
    case 'view-change':
      w.u64('view', m.view)
      w.u64('checkpointSequence', m.checkpointSequence)
      writeList(w, m.checkpointProof, writeMessage)
      writeList(w, m.prepared, writePrepared)
      w.u16('replica', m.replica)
      return
    case 'new-view':
      w.u64('view', m.view)
      writeList(w, m.viewChanges, writeMessage)
      writeList(w, m.prePrepares, writeMessage)
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
        writeList(w, m.checkpoint.proof, writeMessage)
        w.raw('snapshot', m.checkpoint.snapshot)
      }
      writeList(w, m.entries, writeCommitted)
      w.u16('replica', m.replica)
      return
  }
}

function writePrepared(w: Writer, certificate: PreparedCertificate): void {
  writeMessage(w, certificate.prePrepare)
  writeList(w, certificate.prepares, writeMessage)
}

function writeCommitted(w: Writer, certificate: CommitCertificate): void {
  writeMessage(w, certificate.prePrepare)
  writeList(w, certificate.commits, writeMessage)
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

/** The reader of one nested message of `kind`, for `readList`. */
const nested =
  <K extends PbftMessageKind>(kind: K) =>
  (r: Reader) =>
    readNested(r, kind)

/** A `u32` count (bounded by what the bytes left can hold, each item at least `minItemBytes`), then each item. */
function readList<T>(r: Reader, what: string, minItemBytes: number, readItem: (r: Reader) => T): T[] {
  const count = r.count(what, minItemBytes)
  const items: T[] = []
  for (let i = 0; i < count; i++) items.push(readItem(r))
  return items
}

/** A presence byte: 0 (absent) or 1 (present). */
function readPresence(r: Reader, what: string): boolean {
  const present = r.u8(`${what} presence`)
  if (present > 1) throw new DecodeError(`${what} presence: expected 0 or 1, got ${present}`)
  return present === 1
}

/** Reads `domain` back, byte by byte; `DecodeError(mismatch)` when the input starts otherwise. */
function readDomain(r: Reader, domain: Uint8Array, what: string, mismatch: string): void {
  for (const byte of domain) if (r.u8(what) !== byte) throw new DecodeError(mismatch)
}

const digestBytes = (r: Reader, what: string) => r.raw(what, MAX_KEY_BYTES)

function readVoteHeader(r: Reader): VoteHeader {
  const view = r.u64('view')
  const sequence = r.u64('sequence')
  const digest = digestBytes(r, 'digest')
  const replica = r.u16('replica')
  return { view, sequence, digest, replica }
}

// The fewest bytes of each nested item (tag, fixed fields, empty byte strings and lists, signature length).
const MIN_REQUEST_BYTES = 1 + 2 + 4 + 8 + 1 + 4 + 4
const MIN_PRE_PREPARE_BYTES = 1 + 8 + 8 + 4 + 2 + 4 + 4
const MIN_PREPARE_BYTES = 1 + 8 + 8 + 4 + 2 + 4 + 4
const MIN_COMMIT_BYTES = 1 + 8 + 8 + 4 + 2 + 4
const MIN_CHECKPOINT_BYTES = 1 + 8 + 4 + 2 + 4
const MIN_VIEW_CHANGE_BYTES = 1 + 8 + 8 + 4 + 4 + 2 + 4
/** A prepared or commit certificate: a pre-prepare and a vote count. */
const MIN_CERTIFICATE_BYTES = MIN_PRE_PREPARE_BYTES + 4

function readPrepared(r: Reader): PreparedCertificate {
  const prePrepare = readNested(r, 'pre-prepare')
  return { prePrepare, prepares: readList(r, 'prepares', MIN_PREPARE_BYTES, nested('prepare')) }
}

function readCommitted(r: Reader): CommitCertificate {
  const prePrepare = readNested(r, 'pre-prepare')
  return { prePrepare, commits: readList(r, 'commits', MIN_COMMIT_BYTES, nested('commit')) }
}

function readCheckpoints(r: Reader, what: string): Checkpoint[] {
  return readList(r, what, MIN_CHECKPOINT_BYTES, nested('checkpoint'))
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
      const header = readVoteHeader(r)
      const batch = readList(r, 'batch', MIN_REQUEST_BYTES, nested('request'))
      return { kind, ...header, batch, signature: signature() }
    }
    case 'prepare': {
      const header = readVoteHeader(r)
      const prePrepareSignature = r.raw('prePrepareSignature', MAX_KEY_BYTES)
      return { kind, ...header, prePrepareSignature, signature: signature() }
    }
    case 'commit':
      return { kind, ...readVoteHeader(r), signature: signature() }
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
      const prepared = readList(r, 'prepared', MIN_CERTIFICATE_BYTES, readPrepared)
      const replica = r.u16('replica')
      return { kind, view, checkpointSequence, checkpointProof, prepared, replica, signature: signature() }
    }
    case 'new-view': {
      const view = r.u64('view')
      const viewChanges = readList(r, 'viewChanges', MIN_VIEW_CHANGE_BYTES, nested('view-change'))
      const prePrepares = readList(r, 'prePrepares', MIN_PRE_PREPARE_BYTES, nested('pre-prepare'))
      const replica = r.u16('replica')
      return { kind, view, viewChanges, prePrepares, replica, signature: signature() }
    }
    case 'fetch-state': {
      const fromSequence = r.u64('fromSequence')
      const replica = r.u16('replica')
      return { kind, fromSequence, replica, signature: signature() }
    }
    case 'state': {
      let checkpoint: StateTransfer['checkpoint']
      if (readPresence(r, 'checkpoint')) {
        const proof = readCheckpoints(r, 'checkpoint proof')
        const snapshot = r.raw('snapshot', r.bytes.length)
        checkpoint = { proof, snapshot }
      }
      const entries = readList(r, 'entries', MIN_CERTIFICATE_BYTES, readCommitted)
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
  const w = domainWriter()
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
  const w = domainWriter()
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
  const w = domainWriter()
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
  const w = domainWriter()
  writeList(w, batch, writeMessage)
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
  const w = domainWriter()
  w.raw('application', application)
  const sorted = [...clients].sort((a, b) => (a.client < b.client ? -1 : a.client > b.client ? 1 : 0))
  writeList(w, sorted, (w, entry) => {
    w.str('client', entry.client)
    w.u64('timestamp', entry.timestamp)
    w.raw('result', entry.result)
  })
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
  readDomain(r, DOMAIN, 'snapshot domain', 'bad snapshot domain')
  const application = r.raw('application', bytes.length)
  let previous: string | undefined
  const clients = readList(r, 'clients', 2 + 1 + 8 + 4, (r): ClientTableEntry => {
    const client = r.str('client')
    if (previous !== undefined && !(previous < client)) throw new DecodeError('snapshot clients not sorted')
    previous = client
    return { client, timestamp: r.u64('timestamp'), result: r.raw('result', bytes.length) }
  })
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
  const w = domainWriter(HARD_STATE_DOMAIN)
  w.str('replica', state.replica)
  w.u64('view', state.view)
  w.bool(state.viewChanging)
  writeList(w, state.votes, (w, vote) => {
    w.u8(VOTE_KINDS.indexOf(vote.kind))
    w.u64('vote.view', vote.view)
    w.u64('vote.sequence', vote.sequence)
    w.raw('vote.digest', vote.digest)
  })
  writeList(w, state.prepared, writePrepared)
  writeList(w, state.committed, writeCommitted)
  const stable = state.stableCheckpoint
  if (stable === undefined) w.u8(0)
  else {
    w.u8(1)
    w.u64('stableCheckpoint.sequence', stable.sequence)
    w.raw('stableCheckpoint.stateDigest', stable.stateDigest)
    writeList(w, stable.proof, writeMessage)
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
  readDomain(r, HARD_STATE_DOMAIN, 'hard state domain', 'not a PBFT hard state')
  const replica = r.str('replica')
  const view = r.u64('view')
  const viewChanging = r.bool('viewChanging')
  const votes = readList(r, 'votes', 1 + 8 + 8 + 4, (r): SignedVote => {
    const kind = VOTE_KINDS[r.u8('vote kind')]
    if (kind === undefined) throw new DecodeError('unknown vote kind')
    return {
      kind,
      view: r.u64('vote view'),
      sequence: r.u64('vote sequence'),
      digest: digestBytes(r, 'vote digest'),
    }
  })
  const prepared = readList(r, 'prepared', MIN_CERTIFICATE_BYTES, readPrepared)
  const committed = readList(r, 'committed', MIN_CERTIFICATE_BYTES, readCommitted)
  let stableCheckpoint: StableCheckpoint | undefined
  if (readPresence(r, 'stable checkpoint')) {
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
