/**
 * Pure checks of signed messages and certificates, and the new-view
 * computation. Each check returns `undefined` when valid, or the reason it is not.
 */
import { encodeBatch, replyLeafBytes, replySigningBytes, signingBytes } from './codec.js'
import { bytesEqual, compareBytes, type Membership } from './membership.js'
import type {
  Checkpoint,
  ClientRequest,
  Commit,
  CommitCertificate,
  PbftMessage,
  PrePrepare,
  Prepare,
  PreparedCertificate,
  Reply,
  Unsigned,
  ViewChange,
} from './messages.js'
import type { PbftCrypto } from './types.js'

/**
 * What the checks need: the membership, crypto, and the watermark window.
 *
 * @example
 * ```ts
 * const context: CertificateContext = { membership, crypto, checkpointInterval: 16, watermarkWindow: 32 }
 * ```
 */
export interface CertificateContext {
  readonly membership: Membership
  readonly crypto: PbftCrypto
  readonly checkpointInterval: number
  readonly watermarkWindow: number
}

/**
 * True when `message.signature` is valid for the replica it names.
 *
 * @example
 * ```ts
 * verifyReplicaSignature(context, commit) // true or false
 * ```
 */
export function verifyReplicaSignature(
  context: CertificateContext,
  message: Extract<PbftMessage, { replica: number }>,
): boolean {
  const key = context.membership.keys[message.replica]
  if (key === undefined) return false
  return safeVerify(context.crypto, message.signature, signingBytes(message), key)
}

/** `crypto.verify` that treats a throw as "invalid". @example `safeVerify(crypto, sig, bytes, key)` */
export function safeVerify(
  crypto: PbftCrypto,
  signature: Uint8Array,
  bytes: Uint8Array,
  key: Uint8Array,
): boolean {
  try {
    return crypto.verify(signature, bytes, key) === true
  } catch {
    return false
  }
}

/**
 * The digest of a batch.
 *
 * @example
 * ```ts
 * batchDigest(crypto, []) // the digest of the null request
 * ```
 */
export function batchDigest(crypto: PbftCrypto, batch: readonly ClientRequest[]): Uint8Array {
  return crypto.digest(encodeBatch(batch))
}

/**
 * Checks a pre-prepare's signature, that it comes from the primary of its
 * view, and that its digest is the digest of its batch.
 *
 * @example
 * ```ts
 * checkPrePrepare(context, prePrepare) // undefined when valid
 * ```
 */
export function checkPrePrepare(context: CertificateContext, prePrepare: PrePrepare): string | undefined {
  if (prePrepare.replica !== context.membership.primaryOf(prePrepare.view))
    return `pre-prepare from replica ${prePrepare.replica}, not the primary of view ${prePrepare.view}`
  if (!verifyReplicaSignature(context, prePrepare)) return 'bad pre-prepare signature'
  if (!bytesEqual(batchDigest(context.crypto, prePrepare.batch), prePrepare.digest))
    return 'pre-prepare digest does not match its batch'
  return undefined
}

/**
 * Checks a checkpoint certificate: 2f+1 checkpoints from distinct replicas,
 * all for `sequence` with one state digest, all validly signed. Returns the
 * certified state digest, or the reason it is invalid.
 *
 * @example
 * ```ts
 * const result = checkCheckpointProof(context, 32, proof)
 * if (typeof result !== 'string') install(result)
 * ```
 */
export function checkCheckpointProof(
  context: CertificateContext,
  sequence: number,
  proof: readonly Checkpoint[],
): Uint8Array | string {
  const { membership } = context
  if (proof.length < membership.quorum || proof.length > membership.n)
    return `checkpoint proof has ${proof.length} messages, expected ${membership.quorum} to ${membership.n}`
  if (sequence % context.checkpointInterval !== 0)
    return `checkpoint sequence ${sequence} is not a multiple of ${context.checkpointInterval}`
  const first = proof[0]!
  const seen = new Set<number>()
  for (const checkpoint of proof) {
    if (checkpoint.sequence !== sequence) return 'checkpoint proof for another sequence'
    if (!bytesEqual(checkpoint.stateDigest, first.stateDigest)) return 'checkpoint proof digests differ'
    if (seen.has(checkpoint.replica)) return `checkpoint proof repeats replica ${checkpoint.replica}`
    seen.add(checkpoint.replica)
    if (!verifyReplicaSignature(context, checkpoint)) return 'bad checkpoint signature in proof'
  }
  return first.stateDigest
}

/**
 * What the two certificates over a pre-prepare differ in: the vote kind, how
 * many votes they need, and whether the primary's vote counts (a primary does
 * not prepare, it commits).
 */
interface VotePhase {
  readonly vote: 'prepare' | 'commit'
  readonly certificate: 'prepared' | 'commit'
  readonly needed: number
  readonly primaryVotes: boolean
}

/**
 * Checks a certificate over a pre-prepare: the pre-prepare is valid, and
 * `phase.needed` to n votes for its (view, sequence, digest) come from
 * distinct replicas, each validly signed.
 */
function checkVotesFor(
  context: CertificateContext,
  prePrepare: PrePrepare,
  votes: readonly (Prepare | Commit)[],
  phase: VotePhase,
): string | undefined {
  const reason = checkPrePrepare(context, prePrepare)
  if (reason !== undefined) return reason
  const { vote: kind, needed } = phase
  if (votes.length < needed || votes.length > context.membership.n)
    return `${phase.certificate} certificate has ${votes.length} ${kind}s, expected at least ${needed}`
  const seen = new Set<number>()
  for (const vote of votes) {
    if (vote.view !== prePrepare.view || vote.sequence !== prePrepare.sequence)
      return `${kind} for another (view, sequence) in certificate`
    if (!bytesEqual(vote.digest, prePrepare.digest)) return `${kind} digest differs in certificate`
    if (!phase.primaryVotes && vote.replica === prePrepare.replica)
      return `${kind} from the primary in certificate`
    if (seen.has(vote.replica)) return `certificate repeats replica ${vote.replica}`
    seen.add(vote.replica)
    if (!verifyReplicaSignature(context, vote)) return `bad ${kind} signature in certificate`
  }
  return undefined
}

/**
 * Checks a prepared certificate: a valid pre-prepare and 2f matching prepares
 * from distinct backups of its view.
 *
 * @example
 * ```ts
 * checkPreparedCertificate(context, certificate) // undefined when valid
 * ```
 */
export function checkPreparedCertificate(
  context: CertificateContext,
  certificate: PreparedCertificate,
): string | undefined {
  return checkVotesFor(context, certificate.prePrepare, certificate.prepares, {
    vote: 'prepare',
    certificate: 'prepared',
    needed: 2 * context.membership.f,
    primaryVotes: false,
  })
}

/**
 * Checks a commit certificate: a valid pre-prepare and 2f+1 matching commits
 * from distinct replicas.
 *
 * @example
 * ```ts
 * checkCommitCertificate(context, certificate) // undefined when valid
 * ```
 */
export function checkCommitCertificate(
  context: CertificateContext,
  certificate: CommitCertificate,
): string | undefined {
  return checkVotesFor(context, certificate.prePrepare, certificate.commits, {
    vote: 'commit',
    certificate: 'commit',
    needed: context.membership.quorum,
    primaryVotes: true,
  })
}

/**
 * Checks everything a view-change claims: its signature, its stable
 * checkpoint proof (2f+1 signed checkpoints, or none for checkpoint 0), and
 * each prepared certificate (above the checkpoint, inside the watermark window,
 * from a view below the new one, one per sequence).
 *
 * @example
 * ```ts
 * checkViewChange(context, viewChange) // undefined when valid
 * ```
 */
export function checkViewChange(context: CertificateContext, viewChange: ViewChange): string | undefined {
  if (viewChange.replica >= context.membership.n) return `unknown replica ${viewChange.replica}`
  if (!verifyReplicaSignature(context, viewChange)) return 'bad view-change signature'
  const stable = viewChange.checkpointSequence
  if (stable === 0) {
    if (viewChange.checkpointProof.length !== 0) return 'view-change proof for checkpoint 0 must be empty'
  } else {
    const digest = checkCheckpointProof(context, stable, viewChange.checkpointProof)
    if (typeof digest === 'string') return digest
  }
  if (viewChange.prepared.length > context.watermarkWindow)
    return `view-change carries ${viewChange.prepared.length} prepared certificates, more than the window`
  const sequences = new Set<number>()
  for (const certificate of viewChange.prepared) {
    const { sequence, view } = certificate.prePrepare
    if (sequence <= stable || sequence > stable + context.watermarkWindow)
      return `prepared certificate for sequence ${sequence} outside (${stable}, ${stable + context.watermarkWindow}]`
    if (view >= viewChange.view) return `prepared certificate from view ${view}, not below ${viewChange.view}`
    if (sequences.has(sequence)) return `two prepared certificates for sequence ${sequence}`
    sequences.add(sequence)
    const reason = checkPreparedCertificate(context, certificate)
    if (reason !== undefined) return reason
  }
  return undefined
}

/**
 * One re-issued slot of a new view: the digest and batch to pre-prepare at `sequence`.
 *
 * @example
 * ```ts
 * plan.slots.map((slot) => slot.sequence)
 * ```
 */
export interface NewViewSlot {
  readonly sequence: number
  readonly digest: Uint8Array
  readonly batch: readonly ClientRequest[]
}

/**
 * The paper's new-view computation from a set of valid view-changes: min-s is
 * the highest stable checkpoint among them, max-s the highest prepared
 * sequence; every sequence in (min-s, max-s] gets the batch whose prepared
 * certificate has the highest view (ties: the smallest digest), or the null
 * request (an empty batch). `checkpoint` is a view-change carrying min-s.
 *
 * @example
 * ```ts
 * const plan = planNewView(crypto, viewChanges)
 * ```
 */
export function planNewView(
  crypto: PbftCrypto,
  viewChanges: readonly ViewChange[],
): { minSequence: number; maxSequence: number; checkpoint: ViewChange; slots: NewViewSlot[] } {
  let checkpoint = viewChanges[0]!
  for (const viewChange of viewChanges)
    if (viewChange.checkpointSequence > checkpoint.checkpointSequence) checkpoint = viewChange
  const minSequence = checkpoint.checkpointSequence
  const best = new Map<number, PrePrepare>()
  let maxSequence = minSequence
  for (const viewChange of viewChanges) {
    for (const { prePrepare } of viewChange.prepared) {
      if (prePrepare.sequence <= minSequence) continue
      maxSequence = Math.max(maxSequence, prePrepare.sequence)
      const current = best.get(prePrepare.sequence)
      if (
        current === undefined ||
        prePrepare.view > current.view ||
        (prePrepare.view === current.view && compareBytes(prePrepare.digest, current.digest) < 0)
      )
        best.set(prePrepare.sequence, prePrepare)
    }
  }
  const slots: NewViewSlot[] = []
  let nullDigest: Uint8Array | undefined
  for (let sequence = minSequence + 1; sequence <= maxSequence; sequence++) {
    const chosen = best.get(sequence)
    if (chosen !== undefined) slots.push({ sequence, digest: chosen.digest, batch: chosen.batch })
    else {
      nullDigest ??= batchDigest(crypto, [])
      slots.push({ sequence, digest: nullDigest, batch: [] })
    }
  }
  return { minSequence, maxSequence, checkpoint, slots }
}

/** Signs an unsigned message with `crypto`. @example `const commit = signMessage(crypto, unsignedCommit)` */
export function signMessage<M extends PbftMessage>(crypto: PbftCrypto, unsigned: Unsigned<M>): M {
  const signature = crypto.sign(signingBytes(unsigned as Unsigned<PbftMessage>))
  return { ...unsigned, signature } as unknown as M
}

/**
 * One reply to sign: everything but the view, replica, tree and signature.
 *
 * @example
 * ```ts
 * const entry: ReplyEntry = { client: 'alice', timestamp: 3, readOnly: false, result }
 * ```
 */
export interface ReplyEntry {
  readonly client: string
  readonly timestamp: number
  readonly readOnly: boolean
  readonly result: Uint8Array
}

const NODE_PREFIX = Uint8Array.of(1)
const LEAF_PREFIX = Uint8Array.of(0)

function hashNode(crypto: PbftCrypto, left: Uint8Array, right: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(1 + left.length + right.length)
  bytes.set(NODE_PREFIX)
  bytes.set(left, 1)
  bytes.set(right, 1 + left.length)
  return crypto.digest(bytes)
}

function hashLeaf(crypto: PbftCrypto, entry: ReplyEntry): Uint8Array {
  const leaf = replyLeafBytes(entry)
  const bytes = new Uint8Array(1 + leaf.length)
  bytes.set(LEAF_PREFIX)
  bytes.set(leaf, 1)
  return crypto.digest(bytes)
}

/**
 * Signs a batch's replies with one signature: the replies are the leaves of
 * a Merkle tree shaped as RFC 9162's (split at the largest power of two
 * below the size), the signature covers `(view, replica, leaves, root)`, and
 * every reply carries its inclusion proof. n leaves cost n + (n − 1) hashes
 * and one signature, instead of n signatures.
 *
 * @throws {RangeError} when `entries` is empty
 * @example
 * ```ts
 * const [reply] = signReplies(crypto, view, replicaIndex, [{ client, timestamp, readOnly: false, result }])
 * ```
 */
export function signReplies(
  crypto: PbftCrypto,
  view: number,
  replica: number,
  entries: readonly ReplyEntry[],
): Reply[] {
  if (entries.length === 0) throw new RangeError('entries: expected at least one reply to sign')
  const proofs: Uint8Array[][] = entries.map(() => [])
  const build = (low: number, high: number): Uint8Array => {
    if (high - low === 1) return hashLeaf(crypto, entries[low]!)
    let split = 1
    while (split * 2 < high - low) split *= 2
    const left = build(low, low + split)
    const right = build(low + split, high)
    for (let i = low; i < low + split; i++) proofs[i]!.push(right)
    for (let i = low + split; i < high; i++) proofs[i]!.push(left)
    return hashNode(crypto, left, right)
  }
  const root = build(0, entries.length)
  const signature = crypto.sign(replySigningBytes(view, replica, entries.length, root))
  return entries.map((entry, position) => ({
    kind: 'reply',
    view,
    client: entry.client,
    timestamp: entry.timestamp,
    replica,
    readOnly: entry.readOnly,
    result: entry.result,
    position,
    leaves: entries.length,
    proof: proofs[position]!,
    signature,
  }))
}

/**
 * The root a reply's proof leads to (RFC 9162 §2.1.3.2), or `undefined` when
 * the proof cannot belong to a tree of `reply.leaves` leaves.
 *
 * @example
 * ```ts
 * replyRoot(crypto, reply) // Uint8Array or undefined
 * ```
 */
export function replyRoot(crypto: PbftCrypto, reply: Reply): Uint8Array | undefined {
  if (!Number.isInteger(reply.leaves) || reply.leaves < 1) return undefined
  if (!Number.isInteger(reply.position) || reply.position < 0 || reply.position >= reply.leaves)
    return undefined
  let index = reply.position
  let last = reply.leaves - 1
  let hash = hashLeaf(crypto, reply)
  for (const sibling of reply.proof) {
    if (last === 0) return undefined
    if (index % 2 === 1 || index === last) {
      hash = hashNode(crypto, sibling, hash)
      if (index % 2 === 0)
        while (index % 2 === 0 && index !== 0) {
          index = Math.floor(index / 2)
          last = Math.floor(last / 2)
        }
    } else hash = hashNode(crypto, hash, sibling)
    index = Math.floor(index / 2)
    last = Math.floor(last / 2)
  }
  return last === 0 ? hash : undefined
}

/**
 * True when `reply` is signed by the holder of `publicKey`: its proof leads to
 * a root, and the signature covers `(view, replica, leaves, root)`.
 *
 * @example
 * ```ts
 * verifyReply(crypto, membership.keys[reply.replica]!, reply) // true or false
 * ```
 */
export function verifyReply(crypto: PbftCrypto, publicKey: Uint8Array, reply: Reply): boolean {
  const root = replyRoot(crypto, reply)
  if (root === undefined) return false
  let bytes: Uint8Array
  try {
    bytes = replySigningBytes(reply.view, reply.replica, reply.leaves, root)
  } catch {
    return false
  }
  return safeVerify(crypto, reply.signature, bytes, publicKey)
}
