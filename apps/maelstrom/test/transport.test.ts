import { type Transport, UnknownPeerError } from '@synod/transport'
import {
  type ComplianceMessage,
  complianceCodec,
  transportCompliance,
  validateComplianceMessage,
} from '@synod/transport/compliance'
import { describe, expect, it } from 'vitest'
import { createLocalUnsafeBackend } from '../src/backends/local-unsafe.js'
import type { BackendTransportOptions } from '../src/backends/types.js'
import { LineSplitter } from '../src/protocol/line-splitter.js'
import { MaelstromTransport } from '../src/transport.js'
import { LineRouter, until } from './helpers.js'

/**
 * Real `MaelstromNode`s joined by an in-process line router: each transport is
 * the one a backend gets from `createTransport`, so messages go through the
 * whole path (send → stdout line → router → stdin line → node → transport).
 */
function maelstromSetup(options: BackendTransportOptions<ComplianceMessage>) {
  return async (ids: string[]) => {
    const router = new LineRouter()
    const transports = new Map<string, Transport<ComplianceMessage>>()
    for (const id of ids)
      router.add(id, (context) => {
        transports.set(id, context.createTransport(options))
        return createLocalUnsafeBackend()
      })
    await router.init()
    const splitters = new Map<string, LineSplitter>()
    return {
      transports: ids.map((id) => transports.get(id)!),
      teardown: () => router.close(),
      // the wire is lines on stdin: raw bytes go through the same splitter as the binary's stdin
      injectRaw(_from: string, to: string, bytes: Uint8Array) {
        let splitter = splitters.get(to)
        if (!splitter) {
          const node = router.nodes.get(to)!.node
          splitter = new LineSplitter({
            onLine: (line) => node.handleLine(line),
            onInvalidLine: (reason) => node.refuseLine(reason),
            onOversizedLine: (n) => node.refuseLine(`line of ${n} bytes`),
          })
          splitters.set(to, splitter)
        }
        splitter.push(bytes)
        splitter.push(Uint8Array.of(0x0a))
      },
    }
  }
}

transportCompliance({
  name: 'MaelstromTransport (JSON payloads, validated)',
  setup: maelstromSetup({ validate: validateComplianceMessage }),
  wire: true,
})

transportCompliance({
  name: 'MaelstromTransport (binary codec, base64 payloads)',
  setup: maelstromSetup({ codec: complianceCodec }),
  wire: true,
})

describe('MaelstromTransport', () => {
  it('runs several channels on one node, each with its own transport and handlers', async () => {
    const router = new LineRouter()
    const received: string[] = []
    const transports = new Map<string, { main: Transport<string>; forward: Transport<string> }>()
    for (const id of ['n0', 'n1'])
      router.add(id, (context) => {
        const main = context.createTransport<string>()
        const forward = context.createTransport<string>({ channel: 'forward' })
        expect(() => context.createTransport({ channel: 'forward' })).toThrow(
          'createTransport: this node already has a transport on channel "forward"',
        )
        main.onMessage((from, m) => received.push(`${context.nodeId} main ${from} ${m}`))
        forward.onMessage((from, m) => received.push(`${context.nodeId} forward ${from} ${m}`))
        transports.set(id, { main, forward })
        return createLocalUnsafeBackend()
      })
    await router.init()
    transports.get('n0')!.main.send('n1', 'a')
    transports.get('n0')!.forward.send('n1', 'b')
    await until(() => received.length === 2, 'both messages')
    expect(received).toEqual(['n1 main n0 a', 'n1 forward n0 b'])
    expect(router.lines.slice(-2)).toEqual([
      '{"src":"n0","dest":"n1","body":{"type":"synod","payload":"a"}}',
      '{"src":"n0","dest":"n1","body":{"type":"synod","channel":"forward","payload":"b"}}',
    ])
    router.send({ src: 'n0', dest: 'n1', body: { type: 'synod', channel: 'raft', payload: 'c' } })
    router.send({ src: 'n0', dest: 'n1', body: { type: 'synod', channel: 7, payload: 'd' } })
    await until(() => router.nodes.get('n1')!.logs.length >= 3, 'the refusals')
    expect(router.nodes.get('n1')!.logs).toEqual(
      expect.arrayContaining([
        'refused a line: synod message from n0 on channel "raft", which has no transport',
        'refused a line: synod message from n0: channel: expected a string',
      ]),
    )
    expect(() => new MaelstromTransport({ localId: 'n1', write: () => {}, channel: 'Bad Channel' })).toThrow(
      'channel: expected 1 to 64 lowercase letters, digits or dashes, got "Bad Channel"',
    )
    await router.close()
  })

  it('writes exactly one Maelstrom line per message: {src, dest, body: {type: "synod", payload}}', () => {
    const lines: string[] = []
    const transport = new MaelstromTransport<{ n: number }>({
      localId: 'n1',
      members: ['n1', 'n2'],
      write: (l) => lines.push(l),
    })
    transport.send('n2', { n: 1 })
    expect(lines).toEqual(['{"src":"n1","dest":"n2","body":{"type":"synod","payload":{"n":1}}}'])
    expect(() => transport.send('n3', { n: 1 })).toThrow(UnknownPeerError)
  })

  it('puts codec bytes in the payload as base64', () => {
    const lines: string[] = []
    const transport = new MaelstromTransport({
      localId: 'n1',
      codec: complianceCodec,
      write: (l) => lines.push(l),
    })
    transport.send('n2', { kind: 'compliance', seq: 1, body: 'x' })
    const payload = JSON.parse(lines[0]!).body.payload as string
    expect(complianceCodec.decode(new Uint8Array(Buffer.from(payload, 'base64')))).toEqual({
      kind: 'compliance',
      seq: 1,
      body: 'x',
    })
  })

  it('refuses a message whose line would be too long, before writing anything', () => {
    const lines: string[] = []
    const transport = new MaelstromTransport<string>({
      localId: 'n1',
      write: (l) => lines.push(l),
      maxLineBytes: 100,
    })
    expect(() => transport.send('n2', 'x'.repeat(100))).toThrow(/bytes exceeds the limit of 100 bytes/)
    expect(lines).toEqual([])
  })

  it('refuses payloads that do not decode, reporting them and delivering nothing', () => {
    const refused: string[] = []
    const received: unknown[] = []
    const json = new MaelstromTransport<ComplianceMessage>({
      localId: 'n1',
      write: () => {},
      validate: validateComplianceMessage,
      onRefused: (from, reason) => refused.push(`${from}: ${reason}`),
    })
    json.onMessage((_, m) => received.push(m))
    expect(json.deliver('n2', { kind: 'other' })).toBe(false)
    expect(json.deliver('n2', undefined)).toBe(false)
    const binary = new MaelstromTransport({
      localId: 'n1',
      write: () => {},
      codec: complianceCodec,
      onRefused: (from, reason) => refused.push(`${from}: ${reason}`),
    })
    binary.onMessage((_, m) => received.push(m))
    expect(binary.deliver('n2', 42)).toBe(false)
    expect(binary.deliver('n2', 'not base64!')).toBe(false)
    expect(binary.deliver('n2', Buffer.from('{"kind":').toString('base64'))).toBe(false)
    expect(received).toEqual([])
    expect(refused).toEqual([
      'n2: cannot decode message: not a compliance message',
      'n2: cannot decode message: payload: missing',
      'n2: cannot decode message: payload: expected a base64 string',
      'n2: cannot decode message: payload: not base64',
      expect.stringMatching(/^n2: cannot decode message: invalid JSON/),
    ])
  })
})
