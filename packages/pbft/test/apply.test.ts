import { describe, expect, it } from 'vitest'
import {
  applyPersist,
  type Checkpoint,
  type PbftHardState,
  type PbftMessage,
  PbftReplica,
} from '../src/index.js'
import { Harness, testReplicaOptions } from './helpers.js'

/** A backup driven by hand, whose application commands we carry out ourselves. */
function manual() {
  const h = new Harness(1)
  const replica = new PbftReplica(testReplicaOptions(h.identities[1]!, h.replicaInfos))
  return { h, replica }
}

describe('the application boundary (data in, data out)', () => {
  it('hands over one batch at a time, in order, and replies only once the results come back', () => {
    const { h, replica } = manual()
    const pp1 = h.prePrepare(0, 1, [h.request('a', 1)])
    const pp2 = h.prePrepare(0, 2, [h.request('b', 2)])
    for (const pp of [pp1, pp2]) {
      replica.step('r0', pp)
      for (const r of [2, 3]) replica.step(`r${r}`, h.prepare(r, pp))
      for (const r of [0, 2, 3]) replica.step(`r${r}`, h.commit(r, pp))
    }
    let ready = replica.ready()
    replica.advance()
    expect(ready.apply).toEqual([
      {
        kind: 'execute',
        sequence: 1,
        requests: [expect.objectContaining({ timestamp: 1 })],
        checkpoint: false,
      },
    ])
    expect(ready.messages.some((m) => m.message.kind === 'reply')).toBe(false)
    expect(replica.lastExecuted).toBe(0)
    replica.applied(1, [new TextEncoder().encode('A')])
    ready = replica.ready()
    replica.advance()
    expect(replica.lastExecuted).toBe(1)
    expect(ready.messages.filter((m) => m.message.kind === 'reply').map((m) => m.to)).toEqual([h.client.id])
    expect(ready.executed.map((e) => e.sequence)).toEqual([1])
    expect(ready.apply.map((c) => c.kind === 'execute' && c.sequence)).toEqual([2])
  })

  it('validates what the application reports, with exact errors, and ignores stale reports', () => {
    const { h, replica } = manual()
    for (let sequence = 1; sequence <= 4; sequence++) {
      const pp = h.prePrepare(0, sequence, [h.request(`op${sequence}`, sequence)])
      replica.step('r0', pp)
      for (const r of [2, 3]) replica.step(`r${r}`, h.prepare(r, pp))
      for (const r of [0, 2, 3]) replica.step(`r${r}`, h.commit(r, pp))
    }
    expect(() => replica.applied(1, [])).toThrow(
      new RangeError('results: expected 1 results for sequence 1, got 0'),
    )
    replica.applied(7, []) // not awaited: ignored
    for (let sequence = 1; sequence <= 3; sequence++) replica.applied(sequence, [Uint8Array.of(sequence)])
    expect(() => replica.applied(4, [Uint8Array.of(4)])).toThrow(
      new TypeError('snapshot: expected the application snapshot after checkpoint sequence 4'),
    )
    replica.applied(4, [Uint8Array.of(4)], Uint8Array.of(9))
    expect(replica.lastExecuted).toBe(4)
    expect(replica.ready().messages.some((m) => m.message.kind === 'checkpoint')).toBe(true)
  })

  it('keeps output produced between ready() and advance()', () => {
    const { h, replica } = manual()
    const pp = h.prePrepare(0, 1, [h.request('a', 1)])
    replica.step('r0', pp)
    const first = replica.ready()
    replica.step('r2', h.prepare(2, pp)) // arrives before advance(): commits go out next time
    replica.advance()
    expect(first.messages.every((m) => m.message.kind === 'prepare')).toBe(true)
    const second = replica.ready()
    expect(second.messages.filter((m) => m.message.kind === 'commit')).toHaveLength(3)
    expect(second.persist?.votes.map((v) => v.kind)).toEqual(['commit'])
    expect(second.persist?.prepared).toHaveLength(1)
  })

  it('a restart restores the checkpoint snapshot, then replays the later persisted batches', () => {
    const { h, replica } = manual()
    let hardState: PbftHardState | undefined
    const sent: PbftMessage[] = []
    const drain = (
      r: PbftReplica,
      onApply: (c: ReturnType<PbftReplica['ready']>['apply'][number]) => void,
    ) => {
      while (r.hasReady()) {
        const ready = r.ready()
        if (ready.persist) hardState = applyPersist('r1', hardState, ready.persist)
        sent.push(...ready.messages.map((m) => m.message))
        r.advance()
        for (const command of ready.apply) onApply(command)
      }
    }
    const log: string[] = []
    const app = (r: PbftReplica) => (command: ReturnType<PbftReplica['ready']>['apply'][number]) => {
      if (command.kind === 'execute') {
        for (const request of command.requests) log.push(new TextDecoder().decode(request.operation))
        r.applied(
          command.sequence,
          command.requests.map(() => new Uint8Array(0)),
          command.checkpoint ? new TextEncoder().encode(JSON.stringify(log)) : undefined,
        )
      } else if (command.kind === 'restore') {
        log.length = 0
        log.push(...(JSON.parse(new TextDecoder().decode(command.snapshot)) as string[]))
      }
    }
    for (let sequence = 1; sequence <= 6; sequence++) {
      const pp = h.prePrepare(0, sequence, [h.request(`op${sequence}`, sequence)])
      replica.step('r0', pp)
      for (const r of [2, 3]) replica.step(`r${r}`, h.prepare(r, pp))
      for (const r of [0, 2, 3]) replica.step(`r${r}`, h.commit(r, pp))
      drain(replica, app(replica))
      if (sequence === 4) {
        // the others vouch for the same state: checkpoint 4 becomes stable
        const own = sent.find((m) => m.kind === 'checkpoint')
        if (own?.kind !== 'checkpoint') throw new Error('no checkpoint sent')
        for (const r of [0, 2, 3])
          replica.step(
            `r${r}`,
            h.sign<Checkpoint>(r, {
              kind: 'checkpoint',
              sequence: 4,
              stateDigest: own.stateDigest,
              replica: r,
            }),
          )
        drain(replica, app(replica))
        expect(replica.lowWatermark).toBe(4)
      }
    }
    expect(log).toEqual(['op1', 'op2', 'op3', 'op4', 'op5', 'op6'])
    // restart: a fresh application, replayed from the persisted state
    log.length = 0
    const restarted = new PbftReplica({
      ...testReplicaOptions(h.identities[1]!, h.replicaInfos),
      restore: hardState!,
    })
    const commands: string[] = []
    drain(restarted, (command) => {
      commands.push(command.kind === 'execute' ? `execute ${command.sequence}` : command.kind)
      app(restarted)(command)
    })
    expect(commands).toEqual(['restore', 'execute 5', 'execute 6'])
    expect(log).toEqual(['op1', 'op2', 'op3', 'op4', 'op5', 'op6'])
    expect(restarted.lastExecuted).toBe(6)
  })
})
