/**
 * @synod/crypto: the node:crypto suite (OpenSSL) against the portable suite, whose
 * arithmetic is @noble/curves and @noble/hashes: the peer column is noble, run
 * through the same interface and the same strict checks, so the ratio is node vs
 * noble. Messages are 200 bytes (a PBFT prepare with its digest); verification
 * cycles over 7 validator keys, as a 7-node ledger would. Each sample repeats the
 * operation until at least 150 ms have passed.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type { VerifyItem } from '@synod/crypto'
import { type BatchVerifier, createBatchVerifier, createNodeCrypto, nodeCrypto } from '@synod/crypto/node'
import { createPortableCrypto, portableCrypto } from '@synod/crypto/portable'
import type { BenchCase, BenchSuite } from '../harness.js'
import { ratePerSecond, ratePerSecondAsync } from '../rate.js'

const MIN_SAMPLE_MS = 150
const VALIDATORS = 7
const MESSAGE_BYTES = 200
const BATCH_ITEMS = 4096

/** The installed version of a noble package, found from @synod/crypto's own resolution of it. */
function installedVersion(entry: string): string {
  const fromCrypto = createRequire(import.meta.resolve('@synod/crypto/portable'))
  const file = join(dirname(fromCrypto.resolve(entry)), 'package.json')
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version
}

/** Operations per second of `run` (which does `perCall` operations), over at least MIN_SAMPLE_MS. */
const rate = (run: () => unknown, perCall = 1) => ratePerSecond(run, { minMs: MIN_SAMPLE_MS, perCall })
const rateAsync = (run: () => Promise<unknown>, perCall: number) =>
  ratePerSecondAsync(run, { minMs: MIN_SAMPLE_MS, perCall })

const message = (i: number) => Uint8Array.from({ length: MESSAGE_BYTES }, (_, j) => (i * 131 + j * 7) & 0xff)
const seeds = Array.from({ length: VALIDATORS }, (_, i) => nodeCrypto.sha256(Uint8Array.of(i)))
const validators = seeds.map((seed) => nodeCrypto.keyPairFromSeed(seed))
const items: VerifyItem[] = Array.from({ length: BATCH_ITEMS }, (_, i) => {
  const validator = validators[i % VALIDATORS]!
  const bytes = message(i)
  return {
    signature: nodeCrypto.sign(bytes, validator.secretKey),
    message: bytes,
    publicKey: validator.publicKey,
  }
})

const verifiers: BatchVerifier[] = []

/** The longest gap, in ms, between 5 ms ticks of the event loop while `verifier` checks one batch. */
async function longestStallMs(verifier: BatchVerifier): Promise<number> {
  let last = performance.now()
  let longest = 0
  const ticker = setInterval(() => {
    const now = performance.now()
    longest = Math.max(longest, now - last)
    last = now
  }, 5)
  await new Promise((resolve) => setTimeout(resolve, 12))
  await verifier.verify(items)
  await new Promise((resolve) => setTimeout(resolve, 12))
  clearInterval(ticker)
  return longest
}

const suite: BenchSuite = {
  core: 'crypto',
  samples: 7,
  warmup: 2,
  async cases(): Promise<BenchCase[]> {
    const peer = { name: '@noble/curves', version: installedVersion('@noble/curves/ed25519.js') }
    const hashesPeer = { name: '@noble/hashes', version: installedVersion('@noble/hashes/sha2.js') }
    const nodeSigner = nodeCrypto.createSigner(seeds[0]!)
    const portableSigner = portableCrypto.createSigner(seeds[0]!)
    const signMessage = message(0)
    let next = 0
    const verifyWith = (suite: typeof nodeCrypto) => () => {
      const item = items[next++ % 64]!
      if (!suite.verify(item.signature, item.message, item.publicKey)) throw new Error('verify failed')
    }
    const uncachedNode = createNodeCrypto({ publicKeyCacheSize: 0 })
    const uncachedPortable = createPortableCrypto({ publicKeyCacheSize: 0 })
    const sha64 = new Uint8Array(64).fill(7)
    const sha1MiB = new Uint8Array(1 << 20).fill(7)
    const inline = createBatchVerifier({ workers: 0 })
    const oneWorker = createBatchVerifier({ workers: 1, inlineBelow: 1 })
    const twoWorkers = createBatchVerifier({ workers: 2, inlineBelow: 1 })
    verifiers.push(inline, oneWorker, twoWorkers)
    // start the workers (and fill their key caches) before the first sample
    await oneWorker.verify(items)
    await twoWorkers.verify(items)

    const batchCase = (name: string, verifier: BatchVerifier, note: string): BenchCase => ({
      name,
      unit: 'verify/s',
      run: () =>
        rateAsync(async () => {
          const results = await verifier.verify(items)
          if (!results.every(Boolean)) throw new Error('batch verify failed')
        }, BATCH_ITEMS),
      note,
    })

    return [
      {
        name: `sign ${MESSAGE_BYTES} B (prepared signer)`,
        unit: 'sign/s',
        run: () => rate(() => nodeSigner.sign(signMessage)),
        peer: { ...peer, run: () => rate(() => portableSigner.sign(signMessage)) },
        note: 'Both sign the same bytes to the same signature (Ed25519 is deterministic).',
      },
      {
        name: `sign ${MESSAGE_BYTES} B (secret key per call)`,
        unit: 'sign/s',
        run: () => rate(() => nodeCrypto.sign(signMessage, seeds[0]!)),
        peer: { ...peer, run: () => rate(() => portableCrypto.sign(signMessage, seeds[0]!)) },
        note: 'node:crypto parses the key into a KeyObject on every call: prefer createSigner.',
      },
      {
        name: `verify ${MESSAGE_BYTES} B, ${VALIDATORS} validator keys (cached)`,
        unit: 'verify/s',
        run: () => rate(verifyWith(nodeCrypto)),
        peer: { ...peer, run: () => rate(verifyWith(portableCrypto)) },
      },
      {
        name: `verify ${MESSAGE_BYTES} B, key cache off`,
        unit: 'verify/s',
        run: () => rate(verifyWith(uncachedNode)),
        peer: { ...peer, run: () => rate(verifyWith(uncachedPortable)) },
        note: 'What the KeyObject / decoded-point cache saves.',
      },
      {
        name: 'sha256 64 B',
        unit: 'hash/s',
        run: () => rate(() => nodeCrypto.sha256(sha64)),
        peer: { ...hashesPeer, run: () => rate(() => portableCrypto.sha256(sha64)) },
      },
      {
        name: 'sha256 1 MiB',
        unit: 'MB/s',
        run: () => rate(() => nodeCrypto.sha256(sha1MiB), 1.048576),
        peer: { ...hashesPeer, run: () => rate(() => portableCrypto.sha256(sha1MiB), 1.048576) },
      },
      batchCase(
        `batch verify ${BATCH_ITEMS} × ${MESSAGE_BYTES} B, inline`,
        inline,
        'node:crypto on the calling thread.',
      ),
      batchCase(
        `batch verify ${BATCH_ITEMS} × ${MESSAGE_BYTES} B, 1 worker`,
        oneWorker,
        'Frees the calling thread; on its own adds only the copy and message cost.',
      ),
      batchCase(
        `batch verify ${BATCH_ITEMS} × ${MESSAGE_BYTES} B, 2 workers`,
        twoWorkers,
        'Gains over inline only when the machine has idle cores (2 cores here, shared).',
      ),
      {
        name: `longest event-loop stall, batch of ${BATCH_ITEMS}, inline`,
        unit: 'ms',
        lowerIsBetter: true,
        run: () => longestStallMs(inline),
      },
      {
        name: `longest event-loop stall, batch of ${BATCH_ITEMS}, 2 workers`,
        unit: 'ms',
        lowerIsBetter: true,
        run: () => longestStallMs(twoWorkers),
        note: 'What workers buy even without spare cores: the replica keeps serving while a batch is checked.',
      },
    ]
  },
  async teardown() {
    await Promise.all(verifiers.splice(0).map((verifier) => verifier.close()))
  },
}

export default suite
