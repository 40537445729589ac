import { afterEach, describe, expect, it } from 'vitest'
import { parseRaftForwardMessage, type RaftBackend, raftBackend } from '../src/backends/raft.js'
import { isDefiniteErrorCode } from '../src/errors.js'
import type { MessageBody } from '../src/protocol/envelope.js'
import { LineRouter, sleep, until } from './helpers.js'

let router: LineRouter | undefined
afterEach(async () => {
  await router?.close()
  router = undefined
})

const ids = ['n0', 'n1', 'n2']

async function cluster(requestTimeoutMs = 1000) {
  router = new LineRouter()
  for (const id of ids) router.add(id, raftBackend(), { requestTimeoutMs })
  await router.init()
  const r = router
  let msgId = 1000
  const request = async (node: string, body: Record<string, unknown>, timeoutMs = 5000) => {
    const id = msgId++
    r.send({ src: 'c1', dest: node, body: { msg_id: id, ...body } as MessageBody })
    return r.reply('c1', id, timeoutMs)
  }
  const backend = (id: string) => r.nodes.get(id)!.node.backend as RaftBackend
  const leader = async (among: string[] = ids): Promise<string> => {
    let found: string | undefined
    await until(() => {
      found = among.find((id) => backend(id).raftNode?.status().role === 'leader')
      return found !== undefined
    }, 'a raft leader')
    return found!
  }
  return { router: r, request, backend, leader }
}

const channelOf = (body: MessageBody) => (body as { channel?: string }).channel
const isForward = (body: MessageBody) =>
  channelOf(body) === 'forward' && (body.payload as { kind?: string }).kind === 'propose'
const isOutcome = (body: MessageBody) =>
  channelOf(body) === 'forward' && (body.payload as { kind?: string }).kind === 'outcome'

describe('raft backend', () => {
  it('elects a leader; writes through any node are read on every node; 20 and 22 as lin-kv says', async () => {
    const c = await cluster()
    const leader = await c.leader()
    const follower = ids.find((id) => id !== leader)!
    expect((await c.request(follower, { type: 'write', key: 1, value: 10 })).type).toBe('write_ok')
    for (const id of ids) expect(await c.request(id, { type: 'read', key: 1 })).toMatchObject({ value: 10 })
    expect(await c.request(follower, { type: 'cas', key: 1, from: 9, to: 11 })).toMatchObject({
      type: 'error',
      code: 22,
      text: 'key 1: expected 9, found 10',
    })
    expect(await c.request(leader, { type: 'cas', key: 5, from: 0, to: 1 })).toMatchObject({
      type: 'error',
      code: 20,
      text: 'key 5 does not exist',
    })
    expect(await c.request(follower, { type: 'read', key: 5 })).toMatchObject({ code: 20 })
    expect(
      (await c.request(follower, { type: 'cas', key: 5, from: 0, to: 1, create_if_not_exists: true })).type,
    ).toBe('cas_ok')
    expect(
      (await c.request(leader, { type: 'cas', key: 5, from: 1, to: 2, create_if_not_exists: true })).type,
    ).toBe('cas_ok')
    expect(await c.request(follower, { type: 'read', key: 5 })).toMatchObject({ value: 2 })
    // keys are JSON: 1 and "1" are different keys; values compare as JSON
    expect((await c.request(leader, { type: 'write', key: '1', value: { b: 1, a: [2] } })).type).toBe(
      'write_ok',
    )
    expect(await c.request(follower, { type: 'read', key: 1 })).toMatchObject({ value: 10 })
    expect(
      (await c.request(follower, { type: 'cas', key: '1', from: { a: [2], b: 1 }, to: null })).type,
    ).toBe('cas_ok')
    expect(await c.request(leader, { type: 'read', key: '1' })).toMatchObject({
      type: 'read_ok',
      value: null,
    })
    expect(c.backend(follower).stats.forwardsSent).toBeGreaterThan(0)
    expect(c.backend(leader).stats.forwardsServed).toBeGreaterThan(0)
  })

  it('applies a forwarded cas chain once each even when every message is duplicated', async () => {
    const c = await cluster()
    const leader = await c.leader()
    const followers = ids.filter((id) => id !== leader)
    c.router.duplicate = () => true
    await c.request(followers[0]!, { type: 'write', key: 'k', value: 0 })
    for (let i = 0; i < 20; i++) {
      const reply = await c.request(followers[i % 2]!, { type: 'cas', key: 'k', from: i, to: i + 1 })
      expect(reply.type).toBe('cas_ok')
    }
    expect(await c.request(leader, { type: 'read', key: 'k' })).toMatchObject({ value: 20 })
  })

  it('retries lost forwards and lost outcomes with the same session: applied once', async () => {
    const c = await cluster()
    const leader = await c.leader()
    const follower = ids.find((id) => id !== leader)!
    await c.request(follower, { type: 'write', key: 'k', value: 0 })
    let forwardsDropped = 0
    let outcomesDropped = 0
    c.router.drop = (_src, _dest, body) => {
      if (isForward(body) && forwardsDropped < 1) return ++forwardsDropped > 0
      if (isOutcome(body) && outcomesDropped < 1) return ++outcomesDropped > 0
      return false
    }
    // the first copy is lost; the second is applied but its outcome is lost; the third gets the cached result
    expect((await c.request(follower, { type: 'cas', key: 'k', from: 0, to: 1 })).type).toBe('cas_ok')
    expect(forwardsDropped).toBe(1)
    expect(outcomesDropped).toBe(1)
    expect(await c.request(leader, { type: 'read', key: 'k' })).toMatchObject({ value: 1 })
    expect(c.backend(follower).stats.forwardsSent).toBeGreaterThanOrEqual(4)
  })

  it('answers 0, never a definite code, when a forward was sent and no outcome came back', async () => {
    const c = await cluster(300)
    const leader = await c.leader()
    const follower = ids.find((id) => id !== leader)!
    // the leader gets every forward (and applies it) but every outcome is lost
    c.router.drop = (_src, _dest, body) => isOutcome(body)
    const reply = await c.request(follower, { type: 'write', key: 'w', value: 7 })
    expect(reply).toMatchObject({ type: 'error', code: 0 })
    expect(isDefiniteErrorCode(reply.code as number)).toBe(false)
    c.router.drop = () => false
    expect(await c.request(leader, { type: 'read', key: 'w' })).toMatchObject({ value: 7 })
    // and when the forwards themselves are lost: still 0 (the forwarder cannot know)
    c.router.drop = (_src, _dest, body) => isForward(body)
    expect(await c.request(follower, { type: 'write', key: 'w', value: 8 })).toMatchObject({ code: 0 })
  })

  it('answers 11 when no leader is known and nothing was proposed; reads that cannot be served fail with 11', async () => {
    const c = await cluster(200)
    const leader = await c.leader()
    // isolate everyone from everyone: no leader anywhere after check-quorum and pre-vote
    c.router.drop = () => true
    await until(
      () => ids.every((id) => c.backend(id).raftNode?.status().leader === null),
      'every node to forget the leader',
    )
    for (const id of ids) {
      expect(await c.request(id, { type: 'write', key: 1, value: 1 })).toMatchObject({ code: 11 })
      expect(await c.request(id, { type: 'read', key: 1 })).toMatchObject({ code: 11 })
    }
    expect(c.backend(leader).stats.notAppended).toBeGreaterThan(0)
  })

  it('a minority leader answers 0 for its own proposals; the majority elects a new leader and serves', async () => {
    const c = await cluster(400)
    const old = await c.leader()
    await c.request(old, { type: 'write', key: 'p', value: 1 })
    const others = ids.filter((id) => id !== old)
    c.router.drop = (src, dest) => src === old || dest === old
    // proposed right away, before check-quorum deposes it: appended, never acknowledged
    const stranded = c.request(old, { type: 'write', key: 'p', value: 2 })
    const fresh = await c.leader(others)
    expect(await c.request(fresh, { type: 'write', key: 'p', value: 3 })).toMatchObject({ type: 'write_ok' })
    expect(await stranded).toMatchObject({ type: 'error', code: 0 })
    c.router.drop = () => false
    await sleep(300)
    expect(await c.request(old, { type: 'read', key: 'p' })).toMatchObject({ value: 3 })
  })

  it('a follower that missed megabytes of large values catches up (appends fit in Maelstrom lines)', async () => {
    const c = await cluster(3000)
    const leader = await c.leader()
    const lagging = ids.find((id) => id !== leader)!
    c.router.drop = (src, dest) => src === lagging || dest === lagging
    const big = (i: number) => `${i}:${'x'.repeat(200 * 1024)}`
    // 8 × 200 KiB: with appends of up to 1 MiB of entries, a catch-up message would be a
    // 1.4 MB base64 line, over Maelstrom's 1 MiB, and dropped every time
    for (let i = 0; i < 8; i++)
      expect(await c.request(leader, { type: 'write', key: 'big', value: big(i) })).toMatchObject({
        type: 'write_ok',
      })
    c.router.drop = () => false
    expect(await c.request(lagging, { type: 'read', key: 'big' }, 10_000)).toMatchObject({
      type: 'read_ok',
      value: big(7),
    })
  })

  it('refuses bad forward payloads with exact messages', () => {
    expect(() => parseRaftForwardMessage(null)).toThrow('message: expected an object')
    expect(() => parseRaftForwardMessage({ kind: 'propose', origin: '', id: 1 })).toThrow(
      'origin: expected a non-empty string of at most 512 characters',
    )
    expect(() => parseRaftForwardMessage({ kind: 'propose', origin: 'n1:x', id: -1 })).toThrow(
      'id: expected a non-negative integer',
    )
    expect(() =>
      parseRaftForwardMessage({ kind: 'propose', origin: 'n1:x', id: 1, command: '%%', timeoutMs: 5 }),
    ).toThrow('command: not base64')
    expect(() =>
      parseRaftForwardMessage({ kind: 'propose', origin: 'n1:x', id: 1, command: 'AAAA', timeoutMs: 5 }),
    ).toThrow()
    expect(() =>
      parseRaftForwardMessage({ kind: 'outcome', origin: 'n1:x', id: 1, outcome: { status: 'applied' } }),
    ).toThrow('outcome.result: expected an object')
    expect(() =>
      parseRaftForwardMessage({
        kind: 'outcome',
        origin: 'n1:x',
        id: 1,
        outcome: { status: 'applied', result: { ok: false, reason: 'maybe' } },
      }),
    ).toThrow('outcome.result.reason: unknown "maybe"')
    expect(() => parseRaftForwardMessage({ kind: 'hello', origin: 'n1:x', id: 1 })).toThrow(
      'kind: expected propose or outcome, got "hello"',
    )
    expect(
      parseRaftForwardMessage({
        kind: 'outcome',
        origin: 'n1:x',
        id: 1,
        outcome: { status: 'not-leader', leaderHint: 'n2' },
      }),
    ).toEqual({ kind: 'outcome', origin: 'n1:x', id: 1, outcome: { status: 'not-leader', leaderHint: 'n2' } })
  })
})
