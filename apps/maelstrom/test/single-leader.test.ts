import { afterEach, describe, expect, it } from 'vitest'
import {
  type SingleLeaderBackend,
  type SingleLeaderOptions,
  singleLeaderBackend,
} from '../src/backends/single-leader.js'
import { isDefiniteErrorCode } from '../src/errors.js'
import type { MessageBody } from '../src/protocol/envelope.js'
import { LineRouter, sleep } from './helpers.js'

let router: LineRouter | undefined
afterEach(async () => {
  await router?.close()
  router = undefined
})

async function cluster(options: SingleLeaderOptions = {}, requestTimeoutMs = 1000) {
  router = new LineRouter()
  for (const id of ['n0', 'n1', 'n2']) router.add(id, singleLeaderBackend(options), { requestTimeoutMs })
  await router.init()
  const r = router
  let msgId = 1000
  const request = async (node: string, body: Record<string, unknown>) => {
    const id = msgId++
    r.send({ src: 'c1', dest: node, body: { msg_id: id, ...body } as MessageBody })
    return r.reply('c1', id)
  }
  const backend = (id: string) => r.nodes.get(id)!.node.backend as SingleLeaderBackend
  return { router: r, request, backend }
}

const isForward = (body: MessageBody) => (body.payload as { kind?: string } | undefined)?.kind === 'forward'
const isResult = (body: MessageBody) => (body.payload as { kind?: string } | undefined)?.kind === 'result'

describe('single-leader backend', () => {
  it('makes n0 the leader; followers forward, so every node sees every write', async () => {
    const c = await cluster()
    expect(c.backend('n0').isLeader).toBe(true)
    expect(c.backend('n1').isLeader).toBe(false)
    expect(c.backend('n1').leaderId).toBe('n0')
    expect((await c.request('n1', { type: 'write', key: 1, value: 10 })).type).toBe('write_ok')
    expect(await c.request('n2', { type: 'read', key: 1 })).toMatchObject({ type: 'read_ok', value: 10 })
    expect(await c.request('n0', { type: 'read', key: 1 })).toMatchObject({ type: 'read_ok', value: 10 })
    expect(await c.request('n2', { type: 'cas', key: 1, from: 9, to: 11 })).toMatchObject({
      type: 'error',
      code: 22,
      text: 'key 1: expected 9, found 10',
    })
    expect(await c.request('n2', { type: 'read', key: 5 })).toMatchObject({
      code: 20,
      text: 'key 5 does not exist',
    })
    expect(
      (await c.request('n1', { type: 'cas', key: 5, from: 0, to: 1, create_if_not_exists: true })).type,
    ).toBe('cas_ok')
    expect(await c.request('n0', { type: 'read', key: 5 })).toMatchObject({ type: 'read_ok', value: 1 })
  })

  it('applies a forwarded operation once even when every message is duplicated', async () => {
    const c = await cluster()
    c.router.duplicate = () => true
    await c.request('n1', { type: 'write', key: 'k', value: 0 })
    for (let i = 0; i < 20; i++) {
      const node = i % 2 === 0 ? 'n1' : 'n2'
      expect((await c.request(node, { type: 'cas', key: 'k', from: i, to: i + 1 })).type).toBe('cas_ok')
    }
    expect(await c.request('n2', { type: 'read', key: 'k' })).toMatchObject({ value: 20 })
    const leader = c.backend('n0')
    expect(leader.stats.appliedForOthers).toBe(22)
    expect(leader.stats.duplicatesAnswered).toBeGreaterThanOrEqual(22)
  })

  it('retries lost forwards and lost results until it gets an answer', async () => {
    const c = await cluster({ retryIntervalMs: 20 })
    let forwardsDropped = 0
    let resultsDropped = 0
    c.router.drop = (_src, _dest, body) => {
      if (isForward(body) && forwardsDropped < 2) return ++forwardsDropped > 0
      if (isResult(body) && resultsDropped < 2) return ++resultsDropped > 0
      return false
    }
    expect((await c.request('n1', { type: 'write', key: 1, value: 'a' })).type).toBe('write_ok')
    expect(c.backend('n1').stats.retries).toBeGreaterThanOrEqual(3)
    expect(c.backend('n0').stats.appliedForOthers).toBe(1)
  })

  it('answers 0 (timeout, indefinite) when the leader is cut off, whether or not it applied the operation', async () => {
    const c = await cluster({ retryIntervalMs: 20 }, 150)
    // forwards never arrive: not applied, but the follower cannot know that
    c.router.drop = (_src, dest) => dest === 'n0'
    const unapplied = await c.request('n1', { type: 'write', key: 1, value: 'lost' })
    expect(unapplied).toMatchObject({ type: 'error', code: 0 })
    expect(unapplied.text).toBe(
      'no outcome within 150 ms: the leader n0 did not confirm it; it may or may not take effect',
    )
    // results never come back: applied, and still only a timeout can be said
    c.router.drop = (src) => src === 'n0'
    const applied = await c.request('n2', { type: 'write', key: 1, value: 'kept' })
    expect(applied).toMatchObject({ type: 'error', code: 0 })
    c.router.drop = () => false
    expect(await c.request('n1', { type: 'read', key: 1 })).toMatchObject({ type: 'read_ok', value: 'kept' })
    for (const reply of [unapplied, applied]) expect(isDefiniteErrorCode(reply.code as number)).toBe(false)
  })

  it('does not apply a delayed duplicate whose result the leader has forgotten', async () => {
    const c = await cluster({ resultsPerOrigin: 1 })
    await c.request('n1', { type: 'write', key: 1, value: 'first' })
    const firstForward = c.router.lines.find(
      (line) => line.includes('"first"') && line.includes('"forward"'),
    )!
    await c.request('n1', { type: 'write', key: 1, value: 'second' })
    await c.request('n1', { type: 'write', key: 2, value: 'third' })
    c.router.deliverLine(firstForward)
    await sleep(20)
    expect(c.backend('n0').stats.appliedForOthers).toBe(3) // the replayed forward was not applied
    expect(await c.request('n0', { type: 'read', key: 1 })).toMatchObject({ value: 'second' })
  })

  it('refuses malformed payloads and ignores results meant for another incarnation', async () => {
    const c = await cluster()
    c.router.send({
      src: 'n1',
      dest: 'n0',
      body: { type: 'synod', payload: { kind: 'forward', origin: 'n1:x', seq: -1 } },
    })
    c.router.send({
      src: 'n0',
      dest: 'n1',
      body: {
        type: 'synod',
        payload: { kind: 'result', origin: 'n1:old', seq: 0, result: { status: 'ok' } },
      },
    })
    await sleep(10)
    expect(c.router.nodes.get('n0')!.logs).toContain(
      'refused a synod message from n1: cannot decode message: seq: expected a non-negative integer',
    )
    expect((await c.request('n1', { type: 'write', key: 1, value: 1 })).type).toBe('write_ok')
  })

  it('refuses new operations with 11 beyond maxPending, and answers 13 for those in flight at close', async () => {
    const c = await cluster({ maxPending: 1 }, 60_000)
    c.router.drop = (_src, dest) => dest === 'n0'
    const follower = c.backend('n1')
    const inFlight = follower.write(1, 1)
    await expect(follower.write(1, 2)).rejects.toThrow(
      'temporarily unavailable: 1 operations already in flight to the leader',
    )
    await follower.close()
    await expect(inFlight).rejects.toMatchObject({ maelstromCode: 13, definite: false })
    await expect(follower.read(1)).rejects.toMatchObject({ maelstromCode: 11, definite: true })
  })
})
