import { describe, expect, it } from 'vitest'
import { localUnsafeBackend } from '../src/backends/local-unsafe.js'
import type { BackendFactory, KvBackend } from '../src/backends/types.js'
import { OperationTimeoutError, PreconditionFailedError } from '../src/errors.js'
import { MaelstromNode } from '../src/node.js'
import { until } from './helpers.js'

function harness(
  backend: BackendFactory = localUnsafeBackend(),
  options: { maxInFlight?: number; answerDeadlineMs?: number } = {},
) {
  const out: Array<{ src: string; dest: string; body: Record<string, unknown> }> = []
  const logs: string[] = []
  const node = new MaelstromNode({
    backend,
    write: (line) => out.push(JSON.parse(line)),
    log: (text) => logs.push(text),
    ...options,
  })
  let msgId = 100
  const send = (body: Record<string, unknown>, src = 'c1') => {
    const id = msgId++
    node.handleLine(JSON.stringify({ src, dest: 'n1', body: { msg_id: id, ...body } }))
    return id
  }
  const reply = async (id: number) => {
    await until(() => out.some((m) => m.body.in_reply_to === id), `reply to ${id}`)
    return out.find((m) => m.body.in_reply_to === id)!
  }
  const init = async () => {
    node.handleLine(
      JSON.stringify({
        src: 'c0',
        dest: 'n1',
        body: { type: 'init', msg_id: 1, node_id: 'n1', node_ids: ['n1', 'n2'] },
      }),
    )
    await until(() => out.some((m) => m.body.type === 'init_ok'), 'init_ok')
  }
  return { node, out, logs, send, reply, init }
}

describe('MaelstromNode', () => {
  it('answers init with init_ok addressed from its node_id, with its own monotonic msg_id', async () => {
    const h = harness()
    await h.init()
    expect(h.out[0]).toEqual({ src: 'n1', dest: 'c0', body: { type: 'init_ok', msg_id: 1, in_reply_to: 1 } })
    expect(h.node.nodeId).toBe('n1')
    expect(h.node.nodeIds).toEqual(['n1', 'n2'])
    for (let i = 0; i < 5; i++) h.send({ type: 'write', key: i, value: i })
    await until(() => h.out.length === 6, 'five replies')
    expect(h.out.map((m) => m.body.msg_id)).toEqual([1, 2, 3, 4, 5, 6])
    expect(new Set(h.out.map((m) => m.src))).toEqual(new Set(['n1']))
  })

  it('serves read, write and cas with lin-kv semantics and codes 20 and 22', async () => {
    const h = harness()
    await h.init()
    expect((await h.reply(h.send({ type: 'read', key: 1 }))).body).toMatchObject({ type: 'error', code: 20 })
    expect((await h.reply(h.send({ type: 'cas', key: 1, from: 1, to: 2 }))).body).toMatchObject({
      type: 'error',
      code: 20,
    })
    expect((await h.reply(h.send({ type: 'write', key: 1, value: { a: [1] } }))).body).toMatchObject({
      type: 'write_ok',
    })
    const mismatch = (await h.reply(h.send({ type: 'cas', key: 1, from: 3, to: 4 }))).body
    expect(mismatch).toMatchObject({ type: 'error', code: 22, text: 'key 1: expected 3, found {"a":[1]}' })
    // values compare as JSON, member order and all
    expect((await h.reply(h.send({ type: 'cas', key: 1, from: { a: [1] }, to: 'x' }))).body).toMatchObject({
      type: 'cas_ok',
    })
    expect((await h.reply(h.send({ type: 'read', key: 1 }))).body).toMatchObject({
      type: 'read_ok',
      value: 'x',
    })
    // keys are any JSON: 1 and "1" are different keys
    expect((await h.reply(h.send({ type: 'read', key: '1' }))).body).toMatchObject({ code: 20 })
    // create_if_not_exists creates a missing key with `to`
    const created = await h.reply(h.send({ type: 'cas', key: 9, from: 0, to: 5, create_if_not_exists: true }))
    expect(created.body).toMatchObject({ type: 'cas_ok' })
    expect((await h.reply(h.send({ type: 'read', key: 9 }))).body).toMatchObject({
      type: 'read_ok',
      value: 5,
    })
    // null is a value
    await h.reply(h.send({ type: 'write', key: 2, value: null }))
    expect((await h.reply(h.send({ type: 'read', key: 2 }))).body).toEqual({
      type: 'read_ok',
      value: null,
      msg_id: expect.any(Number),
      in_reply_to: expect.any(Number),
    })
  })

  it('answers 11 (definite) to requests before init, and 10 to unknown types', async () => {
    const h = harness()
    const early = await h.reply(h.send({ type: 'read', key: 1 }))
    expect(early).toMatchObject({ src: 'n1', dest: 'c1', body: { type: 'error', code: 11 } })
    expect(early.body.text).toBe('temporarily unavailable: the node has not received init yet')
    await h.init()
    expect((await h.reply(h.send({ type: 'txn', txn: [] }))).body).toMatchObject({
      type: 'error',
      code: 10,
      text: 'request type "txn" is not supported',
    })
  })

  const malformed: Array<[Record<string, unknown>, string]> = [
    [{ type: 'read' }, 'malformed request: read: missing field "key"'],
    [{ type: 'write', key: 1 }, 'malformed request: write: missing field "value"'],
    [{ type: 'cas', key: 1, to: 2 }, 'malformed request: cas: missing field "from"'],
    [{ type: 'cas', key: 1, from: 2 }, 'malformed request: cas: missing field "to"'],
    [
      { type: 'cas', key: 1, from: 1, to: 2, create_if_not_exists: 'yes' },
      'malformed request: cas: create_if_not_exists: expected a boolean, got "yes"',
    ],
  ]
  it.each(malformed)('answers 12 to %j', async (body, text) => {
    const h = harness()
    await h.init()
    expect((await h.reply(h.send(body))).body).toMatchObject({ type: 'error', code: 12, text })
  })

  it('never crashes on bad lines: logs them, and answers 12 when the sender and msg_id can be read', async () => {
    const h = harness()
    await h.init()
    for (const line of [
      '',
      'garbage',
      '{"src":',
      '[]',
      '"str"',
      '{"src":"c1"}',
      '{"src":"c1","dest":"n1","body":{"type":"read"}}',
    ])
      h.node.handleLine(line)
    h.node.handleLine('{"src":"c1","dest":"n1","body":{"msg_id":7}}')
    expect((await h.reply(7)).body).toMatchObject({
      type: 'error',
      code: 12,
      text: 'malformed request: body.type: expected a non-empty string, got undefined',
    })
    expect(h.logs.some((l) => l.startsWith('refused a line: invalid JSON'))).toBe(true)
    expect(h.logs).toContain('refused a line: request of type "read" from c1 has no msg_id')
    // still serving
    expect((await h.reply(h.send({ type: 'write', key: 1, value: 1 }))).body.type).toBe('write_ok')
  })

  it('answers a malformed request before init from the node it was addressed to', async () => {
    const h = harness()
    h.node.handleLine('{"src":"c1","dest":"n1","body":{"msg_id":9,"type":""}}')
    expect(await h.reply(9)).toMatchObject({ src: 'n1', dest: 'c1', body: { type: 'error', code: 12 } })
  })

  it('refuses keys and values nested deeper than 64 levels with 12, and survives 100,000 levels', async () => {
    const h = harness()
    await h.init()
    const deep = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`
    for (const [field, text] of [
      ['"key":', 'malformed request: write: key nests deeper than 64 levels'],
      ['"key":1,"value":', 'malformed request: write: value nests deeper than 64 levels'],
    ] as const) {
      h.node.handleLine(
        `{"src":"c1","dest":"n1","body":{"type":"write","msg_id":50,${field}${deep(100_000)}${field.includes('value') ? '' : ',"value":1'}}}`,
      )
      expect((await h.reply(50)).body).toMatchObject({ code: 12, text })
      h.out.length = 0
    }
    expect((await h.reply(h.send({ type: 'write', key: 1, value: JSON.parse(deep(64)) }))).body.type).toBe(
      'write_ok',
    )
    expect((await h.reply(h.send({ type: 'read', key: 1 }))).body).toMatchObject({
      type: 'read_ok',
      value: JSON.parse(deep(64)),
    })
  })

  it('drops messages addressed to another node', async () => {
    const h = harness()
    await h.init()
    h.node.handleLine('{"src":"c1","dest":"n7","body":{"type":"read","key":1,"msg_id":3}}')
    expect(h.logs).toContain('refused a line: message for n7 arrived at n1')
  })

  const badInits: Array<[Record<string, unknown>, string]> = [
    [{ node_ids: ['n1'] }, 'init: node_id: expected a non-empty string of at most 256 characters'],
    [{ node_id: 'n1' }, 'init: node_ids: expected an array of 1 to 1024 node ids'],
    [{ node_id: 'n1', node_ids: [] }, 'init: node_ids: expected an array of 1 to 1024 node ids'],
    [
      { node_id: 'n1', node_ids: ['n1', 3] },
      'init: node_ids[1]: expected a non-empty string of at most 256 characters',
    ],
    [{ node_id: 'n1', node_ids: ['n1', 'n1'] }, 'init: node_ids: "n1" appears twice'],
    [{ node_id: 'n1', node_ids: ['n2'] }, 'init: node_ids does not include node_id "n1"'],
  ]
  it.each(badInits)('answers 12 to a bad init %j and stays uninitialized', async (fields, text) => {
    const h = harness()
    h.node.handleLine(JSON.stringify({ src: 'c0', dest: 'n1', body: { type: 'init', msg_id: 1, ...fields } }))
    expect((await h.reply(1)).body).toMatchObject({
      type: 'error',
      code: 12,
      text: `malformed request: ${text}`,
    })
    expect(h.node.nodeId).toBeUndefined()
  })

  it('answers a bad init from the node it reached, never from the node_id it names', async () => {
    const h = harness()
    h.node.handleLine(
      '{"src":"c0","dest":"n1","body":{"type":"init","msg_id":1,"node_id":"","node_ids":["n1"]}}',
    )
    expect(await h.reply(1)).toMatchObject({ src: 'n1', body: { code: 12 } })
    await h.init()
    h.node.handleLine('{"src":"c1","dest":"n1","body":{"type":"init","msg_id":7,"node_id":""}}')
    expect(await h.reply(7)).toMatchObject({ src: 'n1', dest: 'c1', body: { code: 12 } })
  })

  it('answers a repeated identical init again, and refuses a different one', async () => {
    const h = harness()
    await h.init()
    h.node.handleLine(
      JSON.stringify({
        src: 'c0',
        dest: 'n1',
        body: { type: 'init', msg_id: 2, node_id: 'n1', node_ids: ['n1', 'n2'] },
      }),
    )
    expect((await h.reply(2)).body.type).toBe('init_ok')
    h.node.handleLine(
      JSON.stringify({
        src: 'c0',
        dest: 'n1',
        body: { type: 'init', msg_id: 3, node_id: 'n1', node_ids: ['n1'] },
      }),
    )
    expect((await h.reply(3)).body).toMatchObject({
      code: 12,
      text: 'malformed request: already initialized as n1 of n1,n2',
    })
  })

  it('maps backend rejections: typed errors keep their code, anything else is 13 (indefinite), never a definite code', async () => {
    const rejections: unknown[] = [
      new OperationTimeoutError(50),
      new PreconditionFailedError(1, 2, 3),
      new Error('boom'),
      'a string',
    ]
    let next = 0
    const backend: KvBackend = {
      read: () => Promise.reject(rejections[next++]),
      write: () => {
        throw new Error('thrown synchronously')
      },
      cas: () => Promise.resolve(),
      close: async () => {},
    }
    const h = harness(() => backend)
    await h.init()
    const codes = []
    for (let i = 0; i < rejections.length; i++)
      codes.push((await h.reply(h.send({ type: 'read', key: 1 }))).body.code)
    expect(codes).toEqual([0, 22, 13, 13])
    expect((await h.reply(h.send({ type: 'write', key: 1, value: 1 }))).body).toMatchObject({
      code: 13,
      text: 'internal error, outcome unknown: thrown synchronously',
    })
  })

  it('answers 11 when too many requests are in progress, and when the backend failed to start', async () => {
    const never: KvBackend = {
      read: () => new Promise(() => {}),
      write: () => new Promise(() => {}),
      cas: () => new Promise(() => {}),
      close: async () => {},
    }
    const h = harness(() => never, { maxInFlight: 2 })
    await h.init()
    h.send({ type: 'read', key: 1 })
    h.send({ type: 'read', key: 1 })
    expect((await h.reply(h.send({ type: 'read', key: 1 }))).body).toMatchObject({
      code: 11,
      text: 'temporarily unavailable: 2 requests already in progress',
    })
    const broken = harness(() => {
      throw new Error('no disk')
    })
    await broken.init()
    expect((await broken.reply(broken.send({ type: 'read', key: 1 }))).body).toMatchObject({
      code: 11,
      text: 'temporarily unavailable: the backend failed to start: no disk',
    })
  })

  it('answers 0 itself when the backend never settles, and ignores a late outcome', async () => {
    let settle: (() => void) | undefined
    const stuck: KvBackend = {
      read: () => new Promise(() => {}),
      write: () =>
        new Promise<void>((resolve) => {
          settle = resolve
        }),
      cas: () => Promise.resolve(),
      close: async () => {},
    }
    const h = harness(() => stuck, { answerDeadlineMs: 30, maxInFlight: 1 })
    await h.init()
    expect((await h.reply(h.send({ type: 'write', key: 1, value: 1 }))).body).toMatchObject({
      type: 'error',
      code: 0,
      text: 'no outcome within 30 ms: the backend did not settle it',
    })
    settle?.()
    // the slot is free again (maxInFlight 1), and the late outcome wrote nothing
    expect((await h.reply(h.send({ type: 'cas', key: 1, from: 1, to: 2 }))).body.type).toBe('cas_ok')
    expect(h.out.filter((m) => m.body.type === 'write_ok')).toEqual([])
  })

  it('refuses synod messages before init or without a transport, and from non-members', async () => {
    const h = harness()
    h.node.handleLine('{"src":"n2","dest":"n1","body":{"type":"synod","payload":1}}')
    expect(h.logs).toContain('refused a line: synod message from n2 before init')
    await h.init()
    h.node.handleLine('{"src":"n2","dest":"n1","body":{"type":"synod","payload":1}}')
    expect(h.logs).toContain('refused a line: synod message from n2, but the backend has no transport')
    const received: unknown[] = []
    const withTransport = harness((context) => {
      context.createTransport<unknown>().onMessage((from, message) => received.push([from, message]))
      expect(() => context.createTransport()).toThrow('createTransport: this node already has a transport')
      return localUnsafeBackend()(context)
    })
    await withTransport.init()
    withTransport.node.handleLine('{"src":"n9","dest":"n1","body":{"type":"synod","payload":1}}')
    withTransport.node.handleLine('{"src":"n2","dest":"n1","body":{"type":"synod","payload":{"x":1}}}')
    expect(withTransport.logs).toContain('refused a synod message from n9: sender "n9" is not a member')
    expect(received).toEqual([['n2', { x: 1 }]])
  })
})
