/**
 * The code each verification worker runs, as a string started with
 * `new Worker(source, { eval: true })`. Kept as a string on purpose: it needs no
 * file path, so it works the same from the built package, from the TypeScript
 * sources under vitest, and inside a bundled application. It loads built-ins with
 * `process.getBuiltinModule` (Node >= 20.16), which works whether the eval'd code
 * runs as CommonJS or, under an inherited `--input-type=module`, as an ES module.
 * It uses only `node:crypto` and trusts its input: the main thread has already checked every
 * item's shape and applied the strict rules.
 *
 * A task holds `count` items packed in transferable buffers: `signatures`
 * (count × 64 bytes), `publicKeys` (count × 32), `messages` (all concatenated)
 * and `offsets` (count + 1 entries into `messages`). The reply carries one byte
 * per item, 1 for valid.
 */
export function verifyWorkerSource(publicKeyCacheSize: number): string {
  return `'use strict'
const { parentPort } = process.getBuiltinModule('node:worker_threads')
const { createPublicKey, verify } = process.getBuiltinModule('node:crypto')
const cacheSizeMax = ${publicKeyCacheSize}
const keys = new Map()
function keyOf(publicKeys, index) {
  const id = Buffer.from(publicKeys.buffer, publicKeys.byteOffset + index * 32, 32).toString('base64url')
  let key = keys.get(id)
  if (key !== undefined) {
    keys.delete(id)
  } else {
    try {
      key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: id }, format: 'jwk' })
    } catch {
      key = null
    }
  }
  keys.set(id, key)
  if (keys.size > cacheSizeMax) keys.delete(keys.keys().next().value)
  return key
}
parentPort.on('message', (task) => {
  const { id, count, signatures, publicKeys, messages, offsets } = task
  const results = new Uint8Array(count)
  for (let i = 0; i < count; i++) {
    const message = messages.subarray(offsets[i], offsets[i + 1])
    const signature = signatures.subarray(i * 64, i * 64 + 64)
    const key = keyOf(publicKeys, i)
    results[i] = key !== null && verify(null, message, key, signature) ? 1 : 0
  }
  parentPort.postMessage({ id, results }, [results.buffer])
})
`
}
