/**
 * Pure checks of signed messages and certificates, and the new-view
 * computation. Each check returns `undefined` when valid, or the reason it is not.
 */
import { encodeBatch, signingBytes } from './codec.js'
import { bytesEqual, compareBytes, type Membership } from './membership.js'
import type {
  Checkpoint,
  ClientRequest,
  CommitCertificate,
  PbftMessage,
  PrePrepare,
  PreparedCertificate,
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
  const { prePrepare, prepares } = certificate
  const reason = checkPrePrepare(context, prePrepare)
  if (reason !== undefined) return reason
  const needed = 2 * context.membership.f
  if (prepares.length < needed || prepares.length > context.membership.n)
    return `prepared certificate has ${prepares.length} prepares, expected at least ${needed}`
  const seen = new Set<number>()
  for (const prepare of prepares) {
    if (prepare.view !== prePrepare.view || prepare.sequence !== prePrepare.sequence)
      return 'prepare for another (view, sequence) in certificate'
    if (!bytesEqual(prepare.digest, prePrepare.digest)) return 'prepare digest differs in certificate'
    if (prepare.replica === prePrepare.replica) return 'prepare from the primary in certificate'
    if (seen.has(prepare.replica)) return `certificate repeats replica ${prepare.replica}`
    seen.add(prepare.replica)
    if (!verifyReplicaSignature(context, prepare)) return 'bad prepare signature in certificate'
  }
  return undefined
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
  const { prePrepare, commits } = certificate
  const reason = checkPrePrepare(context, prePrepare)
  if (reason !== undefined) return reason
  const { membership } = context
  if (commits.length < membership.quorum || commits.length > membership.n)
    return `commit certificate has ${commits.length} commits, expected at least ${membership.quorum}`
  const seen = new Set<number>()
  for (const commit of commits) {
    if (commit.view !== prePrepare.view || commit.sequence !== prePrepare.sequence)
      return 'commit for another (view, sequence) in certificate'
    if (!bytesEqual(commit.digest, prePrepare.digest)) return 'commit digest differs in certificate'
    if (seen.has(commit.replica)) return `certificate repeats replica ${commit.replica}`
    seen.add(commit.replica)
    if (!verifyReplicaSignature(context, commit)) return 'bad commit signature in certificate'
  }
  return undefined
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
