import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { singleLeaderBackend } from '../src/backends/single-leader.js'
import { MaelstromNode } from '../src/node.js'
import { parseEnvelope } from '../src/protocol/envelope.js'
import { sleep } from './helpers.js'

// stdin is a trust boundary: whatever arrives, the node neither throws nor
// writes anything but well-formed Maelstrom messages.
describe('MaelstromNode under arbitrary input', () => {
  const types = ['init', 'read', 'write', 'cas', 'synod', 'error', 'read_ok', 'txn']
  const body = fc.record(
    {
      type: fc.oneof(fc.constantFrom(...types), fc.jsonValue()),
      msg_id: fc.oneof(fc.nat(), fc.jsonValue()),
      in_reply_to: fc.oneof(fc.nat(), fc.jsonValue()),
      key: fc.jsonValue(),
      value: fc.jsonValue(),
      from: fc.jsonValue(),
      to: fc.jsonValue(),
      create_if_not_exists: fc.jsonValue(),
      node_id: fc.oneof(fc.constantFrom('n0', 'n1'), fc.jsonValue()),
      node_ids: fc.oneof(fc.constant(['n0', 'n1']), fc.jsonValue()),
      payload: fc.jsonValue(),
    },
    { requiredKeys: [] },
  )
  const message = fc.record(
    {
      src: fc.oneof(fc.constantFrom('c1', 'n1', 'n0'), fc.jsonValue()),
      dest: fc.oneof(fc.constant('n0'), fc.jsonValue()),
      body: fc.oneof(body, fc.jsonValue()),
    },
    { requiredKeys: [] },
  )
  const line = fc.oneof(
    fc.string(),
    fc.jsonValue().map((v) => JSON.stringify(v)),
    message.map((m) => JSON.stringify(m)),
  )

  it('never throws, and only writes valid envelopes from n0', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(line, { maxLength: 40 }), async (lines) => {
        const written: string[] = []
        const node = new MaelstromNode({
          backend: singleLeaderBackend(),
          requestTimeoutMs: 20,
          write: (l) => written.push(l),
        })
        node.handleLine(
          '{"src":"c0","dest":"n0","body":{"type":"init","msg_id":1,"node_id":"n0","node_ids":["n0","n1"]}}',
        )
        for (const l of lines) expect(() => node.handleLine(l)).not.toThrow()
        await sleep(1)
        await node.close()
        for (const l of written) {
          const parsed = parseEnvelope(l)
          expect(parsed.ok).toBe(true)
          if (parsed.ok) expect(parsed.envelope.src).toBe('n0')
        }
      }),
      { numRuns: 200 },
    )
  })
})
