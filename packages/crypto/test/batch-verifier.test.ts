import type { Worker } from 'node:worker_threads'
import { ed25519 } from '@noble/curves/ed25519.js'
import { numberToBytesLE } from '@noble/curves/utils.js'
import { afterEach, describe, expect, it } from 'vitest'
import {
  type BatchVerifier,
  BatchVerifierClosedError,
  CryptoError,
  createBatchVerifier,
  nodeCrypto,
  WorkerCrashedError,
} from '../src/node.js'
import type { VerifyItem } from '../src/types.js'
import { utf8 } from './suites.js'

const signers = Array.from({ length: 7 }, (_, i) =>
  nodeCrypto.createSigner(nodeCrypto.sha256(utf8(`validator ${i}`))),
)

/** 32 bytes that pass the byte-level rules but are not a point on the curve. */
const offCurveKey = (() => {
  let y = 2n
  while (ed25519.utils.isValidPublicKey(numberToBytesLE(y, 32))) y++
  return numberToBytesLE(y, 32)
})()

/** n items from 7 validators; every 5th is tampered, every 11th has a small-order key, every 13th one off the curve. */
function batch(n: number): { items: VerifyItem[]; expected: boolean[] } {
  const items: VerifyItem[] = []
  const expected: boolean[] = []
  for (let i = 0; i < n; i++) {
    const signer = signers[i % signers.length]!
    const message = utf8(`prepare view=1 seq=${i} digest=${i * 7919}`)
    const signature = signer.sign(message)
    if (i % 5 === 4) {
      signature[40]! ^= 0x10
      items.push({ signature, message, publicKey: signer.publicKey })
      expected.push(false)
    } else if (i % 13 === 12) {
      items.push({ signature, message, publicKey: offCurveKey })
      expected.push(false)
    } else if (i % 11 === 10) {
      items.push({ signature, message, publicKey: Uint8Array.of(1, ...new Array(31).fill(0)) })
      expected.push(false)
    } else {
      items.push({ signature, message, publicKey: signer.publicKey })
      expected.push(true)
    }
  }
  return { items, expected }
}

let verifier: BatchVerifier | undefined
afterEach(async () => {
  await verifier?.close()
  verifier = undefined
})

describe('createBatchVerifier', () => {
  it('gives the same answers as verify, in input order, inline and over 1 and 2 workers', async () => {
    const { items, expected } = batch(600)
    expect(nodeCrypto.verifyBatch(items)).toEqual(expected)
    for (const workers of [0, 1, 2]) {
      const started: Worker[] = []
      verifier = createBatchVerifier({
        workers,
        inlineBelow: 64,
        onWorkerStart: (worker) => started.push(worker),
      })
      expect(await verifier.verify(items)).toEqual(expected)
      expect(await verifier.verify(items.slice(0, 10))).toEqual(expected.slice(0, 10)) // inline
      expect(started.length).toBe(workers)
      await verifier.close()
    }
  })

  it('runs small batches inline without starting a worker', async () => {
    const started: Worker[] = []
    verifier = createBatchVerifier({
      workers: 2,
      inlineBelow: 100,
      onWorkerStart: (worker) => started.push(worker),
    })
    const { items, expected } = batch(99)
    expect(await verifier.verify(items)).toEqual(expected)
    expect(await verifier.verify([])).toEqual([])
    expect(started).toEqual([])
  })

  it('handles concurrent batches on the same workers', async () => {
    verifier = createBatchVerifier({ workers: 2, inlineBelow: 1 })
    const batches = [batch(50), batch(200), batch(17), batch(130)]
    const results = await Promise.all(batches.map(({ items }) => verifier!.verify(items)))
    expect(results).toEqual(batches.map(({ expected }) => expected))
  })

  it('rejects a malformed item with the exact error before verifying anything', async () => {
    verifier = createBatchVerifier({ workers: 1, inlineBelow: 1 })
    const { items } = batch(100)
    const bad = [...items.slice(0, 50), { ...items[50]!, signature: new Uint8Array(63) }]
    await expect(verifier.verify(bad)).rejects.toThrow(
      new RangeError('items[50].signature: expected Uint8Array of length 64, got length=63'),
    )
    await expect(verifier.verify('x' as never)).rejects.toThrow(
      new TypeError('items: expected Array, got type=string'),
    )
  })

  it('a worker that dies mid-batch rejects the batch with WorkerCrashedError, and the next batch works', async () => {
    const started: Worker[] = []
    verifier = createBatchVerifier({
      workers: 1,
      inlineBelow: 1,
      onWorkerStart: (worker) => started.push(worker),
    })
    const { items, expected } = batch(3000)
    expect(await verifier.verify(items.slice(0, 100))).toEqual(expected.slice(0, 100)) // the worker is up
    const pending = verifier.verify(items)
    expect(started.length).toBe(1)
    const threadId = started[0]!.threadId
    void started[0]!.terminate()
    const error = await pending.catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(WorkerCrashedError)
    expect(WorkerCrashedError.isInstance(error)).toBe(true)
    expect(CryptoError.isInstance(error)).toBe(true)
    // terminate() ends a running worker with exit code 1
    expect(error).toMatchObject({ code: 'ERR_WORKER_CRASHED', threadId, exitCode: 1 })
    expect((error as Error).message).toBe(
      `verification worker ${threadId} exited with code 1 with a batch pending`,
    )
    // replaced on the next batch
    expect(await verifier.verify(items.slice(0, 200))).toEqual(expected.slice(0, 200))
    expect(started.length).toBe(2)
  })

  it('close() rejects pending batches and every later call with BatchVerifierClosedError', async () => {
    verifier = createBatchVerifier({ workers: 2, inlineBelow: 1 })
    const { items } = batch(2000)
    const outcome = verifier.verify(items).catch((caught: unknown) => caught)
    await verifier.close()
    expect(await outcome).toBeInstanceOf(BatchVerifierClosedError)
    await expect(verifier.verify(items.slice(0, 2))).rejects.toMatchObject({
      code: 'ERR_BATCH_VERIFIER_CLOSED',
    })
    await verifier.close() // idempotent
  })

  it.each([
    [{ workers: 65 }, RangeError, 'workers: expected integer in [0, 64], got 65'],
    [{ workers: -1 }, RangeError, 'workers: expected integer in [0, 64], got -1'],
    [{ workers: '2' }, TypeError, 'workers: expected integer, got type=string'],
    [
      { inlineBelow: 0.5 },
      RangeError,
      `inlineBelow: expected integer in [0, ${Number.MAX_SAFE_INTEGER}], got 0.5`,
    ],
    [{ onWorkerStart: 3 }, TypeError, 'onWorkerStart: expected function, got type=number'],
  ] as const)('rejects options %j', (options, error, message) => {
    expect(() => createBatchVerifier(options as never)).toThrow(error)
    expect(() => createBatchVerifier(options as never)).toThrow(message)
  })
})
