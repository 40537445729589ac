/**
 * Batch verification over worker threads. Small batches run inline on the
 * calling thread; large ones are cut into contiguous chunks, one per worker, so
 * results come back in input order. A worker that dies rejects the batch it held
 * with a `WorkerCrashedError` and is replaced on the next batch: nothing hangs.
 */

import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import { BatchVerifierClosedError, WorkerCrashedError } from './errors.js'
import { assertInteger } from './guards.js'
import { createNodeCrypto } from './node-suite.js'
import { passesStrictChecks } from './strict-encoding.js'
import { assertVerifyItems } from './suite.js'
import type { VerifyItem } from './types.js'
import { verifyWorkerSource } from './verify-worker-source.js'

/**
 * Options of {@link createBatchVerifier}.
 *
 * @example
 * ```ts
 * const options: BatchVerifierOptions = { workers: 2, inlineBelow: 64 }
 * ```
 */
export interface BatchVerifierOptions {
  /** Worker threads, started lazily on the first large batch; default `availableParallelism()`, 0 = always inline. At most 64. */
  workers?: number
  /** Batches with fewer items than this run inline on the calling thread; default 64. */
  inlineBelow?: number
  /** Public keys cached per thread as `KeyObject`s; default 4096. */
  publicKeyCacheSize?: number
  /** Called with each worker thread as it starts, e.g. to log its `threadId` or watch its events. */
  onWorkerStart?: (worker: Worker) => void
}

/**
 * Verifies batches of Ed25519 signatures, spread over worker threads when large.
 *
 * @example
 * ```ts
 * const verifier: BatchVerifier = createBatchVerifier()
 * const results = await verifier.verify(items)
 * await verifier.close()
 * ```
 */
export interface BatchVerifier {
  /** The configured number of worker threads. */
  readonly workers: number
  /**
   * Verifies `items`; result i is for `items[i]`. Same rules and same answers as `CryptoSuite.verify`.
   *
   * @throws TypeError / RangeError (as a rejection) for a malformed item, before any is verified
   * @throws WorkerCrashedError (as a rejection) when a worker died holding part of the batch
   * @throws BatchVerifierClosedError (as a rejection) after `close()`
   */
  verify(items: readonly VerifyItem[]): Promise<boolean[]>
  /** Stops the workers; pending batches reject with `BatchVerifierClosedError`. Idempotent. */
  close(): Promise<void>
}

interface PendingTask {
  resolve(results: Uint8Array): void
  reject(error: Error): void
}

interface Slot {
  worker: Worker
  pending: Map<number, PendingTask>
}

/** Fewest items worth a trip to a worker: below this a chunk joins its neighbour. */
const chunkItemsMin = 16

/**
 * Creates a batch verifier backed by node:crypto.
 *
 * @param options - workers, inline threshold, cache size
 * @returns a verifier; call `close()` when done (idle workers do not keep the process alive)
 * @throws RangeError `workers: expected integer in [0, 64], got 65`
 * @example
 * ```ts
 * import { createBatchVerifier } from '@synod/crypto/node'
 * const verifier = createBatchVerifier({ workers: 2 })
 * const results = await verifier.verify(items) // [true, false, …] in input order
 * await verifier.close()
 * ```
 */
export function createBatchVerifier(options: BatchVerifierOptions = {}): BatchVerifier {
  const workers = options.workers ?? availableParallelism()
  const inlineBelow = options.inlineBelow ?? 64
  const publicKeyCacheSize = options.publicKeyCacheSize ?? 4096
  assertInteger(workers, 'workers', 0, 64)
  assertInteger(inlineBelow, 'inlineBelow', 0, Number.MAX_SAFE_INTEGER)
  assertInteger(publicKeyCacheSize, 'publicKeyCacheSize', 0, 1 << 20)
  const onWorkerStart = options.onWorkerStart
  if (onWorkerStart !== undefined && typeof onWorkerStart !== 'function') {
    throw new TypeError(`onWorkerStart: expected function, got type=${typeof onWorkerStart}`)
  }

  const inline = createNodeCrypto({ publicKeyCacheSize })
  const source = verifyWorkerSource(publicKeyCacheSize)
  const slots: (Slot | undefined)[] = new Array(workers).fill(undefined)
  let nextSlot = 0
  let nextTaskId = 0
  let closed = false

  function failSlot(index: number, slot: Slot, error: Error): void {
    if (slots[index] === slot) slots[index] = undefined
    const pending = [...slot.pending.values()]
    slot.pending.clear()
    for (const task of pending) task.reject(error)
  }

  function slotAt(index: number): Slot {
    const existing = slots[index]
    if (existing !== undefined) return existing
    const worker = new Worker(source, { eval: true })
    const slot: Slot = { worker, pending: new Map() }
    slots[index] = slot
    worker.unref()
    worker.on('message', (reply: { id: number; results: Uint8Array }) => {
      const task = slot.pending.get(reply.id)
      if (task === undefined) return
      slot.pending.delete(reply.id)
      if (slot.pending.size === 0) worker.unref()
      task.resolve(reply.results)
    })
    const threadId = worker.threadId
    worker.on('error', (error) => failSlot(index, slot, new WorkerCrashedError(threadId, undefined, error)))
    // a reply that cannot be deserialized would leave its batch pending forever: treat it as a crash
    worker.on('messageerror', (error) => {
      failSlot(index, slot, new WorkerCrashedError(threadId, undefined, error))
      void worker.terminate()
    })
    worker.on('exit', (code) => {
      failSlot(index, slot, closed ? new BatchVerifierClosedError() : new WorkerCrashedError(threadId, code))
    })
    onWorkerStart?.(worker)
    return slot
  }

  /** Packs the `chosen` items (those that passed the strict checks) and sends them to the worker of slot `index`. */
  function runChunk(index: number, items: readonly VerifyItem[], chosen: number[]): Promise<Uint8Array> {
    const count = chosen.length
    const signatures = new Uint8Array(count * 64)
    const publicKeys = new Uint8Array(count * 32)
    const offsets = new Uint32Array(count + 1)
    let messageBytes = 0
    for (let i = 0; i < count; i++) {
      messageBytes += items[chosen[i]!]!.message.length
      offsets[i + 1] = messageBytes
    }
    const messages = new Uint8Array(messageBytes)
    for (let i = 0; i < count; i++) {
      const item = items[chosen[i]!]!
      signatures.set(item.signature, i * 64)
      publicKeys.set(item.publicKey, i * 32)
      messages.set(item.message, offsets[i]!)
    }
    const slot = slotAt(index)
    const id = nextTaskId++
    return new Promise<Uint8Array>((resolve, reject) => {
      slot.pending.set(id, { resolve, reject })
      slot.worker.ref()
      slot.worker.postMessage({ id, count, signatures, publicKeys, messages, offsets }, [
        signatures.buffer,
        publicKeys.buffer,
        messages.buffer,
        offsets.buffer,
      ])
    })
  }

  async function verify(items: readonly VerifyItem[]): Promise<boolean[]> {
    if (closed) throw new BatchVerifierClosedError()
    assertVerifyItems(items)
    if (workers === 0 || items.length < inlineBelow) return inline.verifyBatch(items)

    const results: boolean[] = new Array(items.length).fill(false)
    const chunkCount = Math.max(1, Math.min(workers, Math.floor(items.length / chunkItemsMin)))
    const chunkSize = Math.ceil(items.length / chunkCount)
    const sent: Promise<void>[] = []
    for (let chunk = 0; chunk < chunkCount; chunk++) {
      const start = chunk * chunkSize
      const end = Math.min(items.length, start + chunkSize)
      const chosen: number[] = []
      for (let i = start; i < end; i++) {
        const item = items[i]!
        if (passesStrictChecks(item.signature, item.publicKey)) chosen.push(i)
      }
      if (chosen.length === 0) continue
      const slotIndex = nextSlot
      nextSlot = (nextSlot + 1) % workers
      sent.push(
        runChunk(slotIndex, items, chosen).then((verdicts) => {
          for (let i = 0; i < chosen.length; i++) results[chosen[i]!] = verdicts[i] === 1
        }),
      )
    }
    await Promise.all(sent)
    return results
  }

  async function close(): Promise<void> {
    if (closed) return
    closed = true
    const running = slots.filter((slot): slot is Slot => slot !== undefined)
    slots.fill(undefined)
    for (const slot of running) failSlot(-1, slot, new BatchVerifierClosedError())
    await Promise.all(running.map((slot) => slot.worker.terminate()))
  }

  return Object.freeze({ workers, verify, close })
}
