/** The drivers over MemoryNetwork with a hand-cranked ticker: the promise API, recovery and errors. */
import { MemoryNetwork } from '@synod/transport'
import { describe, expect, it } from 'vitest'
import type { Decision, TwoPhaseMessage, Vote } from '../src/core/types.js'
import { DuplicateTransactionError, TwoPhaseClosedError } from '../src/errors.js'
import type { Ticker } from '../src/node/clock.js'
import { TwoPhaseCoordinator } from '../src/node/coordinator.js'
import { TwoPhaseParticipant } from '../src/node/participant.js'
import { MemoryStorage } from '../src/node/storage.js'

/** A ticker that only moves when told to. */
function manualTicker() {
  const callbacks = new Set<() => void>()
  const ticker: Ticker = {
    every(_ms, callback) {
      callbacks.add(callback)
      return () => callbacks.delete(callback)
    },
  }
  return {
    ticker,
    tick: (n = 1) => {
      for (let i = 0; i < n; i++) for (const c of [...callbacks]) c()
    },
  }
}

function setup(votes: Record<string, Vote | Promise<Vote> | (() => never)> = {}) {
  const network = new MemoryNetwork<TwoPhaseMessage>()
  const clock = manualTicker()
  const finished: string[] = []
  const participants = ['p1', 'p2', 'p3'].map(
    (id) =>
      new TwoPhaseParticipant({
        transport: network.join(id),
        ticker: clock.ticker,
        resource: {
          prepare: () => {
            const vote = votes[id] ?? 'yes'
            return typeof vote === 'function' ? vote() : vote
          },
          finish: (txId: string, decision: Decision) => finished.push(`${id}:${txId}:${decision}`),
        },
      }),
  )
  return { network, clock, finished, participants }
}

describe('TwoPhaseCoordinator and TwoPhaseParticipant', () => {
  it('commits with yes votes (sync and async), aborts on a no or a throwing prepare', async () => {
    const { network, clock, finished } = setup({ p2: Promise.resolve('yes' as const) })
    const coordinator = new TwoPhaseCoordinator({ transport: network.join('c'), ticker: clock.ticker })
    expect(await coordinator.run('t1', ['p1', 'p2', 'p3'])).toEqual({ txId: 't1', decision: 'commit' })
    await new Promise((resolve) => setTimeout(resolve, 5))
    expect(finished.sort()).toEqual(['p1:t1:commit', 'p2:t1:commit', 'p3:t1:commit'])
    expect(coordinator.inFlight).toBe(0)
    const failing = setup({
      p3: () => {
        throw new Error('disk full')
      },
    })
    const c2 = new TwoPhaseCoordinator({ transport: failing.network.join('c'), ticker: failing.clock.ticker })
    expect(await c2.run('t2', ['p1', 'p2', 'p3'])).toEqual({ txId: 't2', decision: 'abort' })
  })

  it('aborts on a vote timeout, and rejects bad calls and calls after close', async () => {
    const { network, clock } = setup({ p2: new Promise<Vote>(() => {}) })
    const coordinator = new TwoPhaseCoordinator({
      transport: network.join('c'),
      ticker: clock.ticker,
      voteTimeoutTicks: 3,
    })
    const pending = coordinator.run('t1', ['p1', 'p2'])
    await expect(coordinator.run('t1', ['p1'])).rejects.toThrow(DuplicateTransactionError)
    await expect(coordinator.run('', ['p1'])).rejects.toThrow(
      new RangeError('txId: expected 1 to 128 UTF-8 bytes, got 0'),
    )
    clock.tick(3)
    expect(await pending).toEqual({ txId: 't1', decision: 'abort' })
    const stuck = coordinator.run('t2', ['p1', 'p2'])
    await coordinator.close()
    await expect(stuck).rejects.toThrow(new TwoPhaseClosedError('coordinator'))
    await expect(coordinator.run('t3', ['p1'])).rejects.toThrow('coordinator is closed')
    expect(() => new TwoPhaseCoordinator({ transport: {} as never })).toThrow(
      new TypeError('transport: expected a Transport'),
    )
    expect(
      () =>
        new TwoPhaseParticipant({
          transport: network.join('x'),
          resource: { prepare: () => 'yes' } as never,
        }),
    ).toThrow(new TypeError('resource.finish: expected a function, got undefined'))
  })

  it('a restarted coordinator finishes a commit from its storage', async () => {
    const { network, clock, finished } = setup()
    const storage = new MemoryStorage()
    const transport = network.join('c')
    // the first incarnation decides and writes, but its decisions are lost on the way
    const lossy = {
      localId: transport.localId,
      send: (to: string, message: TwoPhaseMessage) => {
        if (message.kind !== 'decision') transport.send(to, message)
      },
      onMessage: transport.onMessage.bind(transport),
      close: () => transport.close(),
    }
    const first = new TwoPhaseCoordinator({ transport: lossy, ticker: clock.ticker, storage })
    const run = first.run('t1', ['p1', 'p2'])
    expect(await run).toEqual({ txId: 't1', decision: 'commit' })
    await first.close()
    expect(storage.load()).toEqual([{ kind: 'committing', txId: 't1', participants: ['p1', 'p2'] }])
    const second = new TwoPhaseCoordinator({ transport, ticker: clock.ticker, storage })
    await new Promise((resolve) => setTimeout(resolve, 5))
    expect(finished.sort()).toEqual(['p1:t1:commit', 'p2:t1:commit'])
    expect(second.inFlight).toBe(0)
    expect(storage.load().at(-1)).toEqual({ kind: 'ended', txId: 't1' })
  })

  it('a participant restarted from its storage is uncertain, then learns the decision', async () => {
    const network = new MemoryNetwork<TwoPhaseMessage>()
    const clock = manualTicker()
    const storage = new MemoryStorage()
    storage.append([
      { kind: 'started' },
      { kind: 'prepared', txId: 't1', coordinator: 'c', participants: ['p1'] },
    ])
    const coordinatorStorage = new MemoryStorage()
    coordinatorStorage.append([{ kind: 'committing', txId: 't1', participants: ['p1'] }])
    const finished: string[] = []
    const p1 = new TwoPhaseParticipant({
      transport: network.join('p1'),
      ticker: clock.ticker,
      storage,
      resource: { prepare: () => 'yes', finish: (txId, decision) => finished.push(`${txId}:${decision}`) },
    })
    expect(p1.inDoubt()).toEqual(['t1'])
    new TwoPhaseCoordinator({
      transport: network.join('c'),
      ticker: clock.ticker,
      storage: coordinatorStorage,
    })
    await new Promise((resolve) => setTimeout(resolve, 5))
    expect(finished).toEqual(['t1:commit'])
    expect(p1.inDoubt()).toEqual([])
  })

  it('stops (fail-stop) when its storage fails, sending nothing it could not persist', async () => {
    const network = new MemoryNetwork<TwoPhaseMessage>()
    const clock = manualTicker()
    const errors: unknown[] = []
    const sent: TwoPhaseMessage[] = []
    network.join('c').onMessage((_, message) => sent.push(message))
    const participant = new TwoPhaseParticipant({
      transport: network.join('p1'),
      ticker: clock.ticker,
      storage: {
        load: () => [{ kind: 'started' }],
        append: () => {
          throw new Error('EIO')
        },
      },
      resource: { prepare: () => 'yes', finish: () => {} },
      onError: (error) => errors.push(error),
    })
    const c = network.join('c2')
    c.send('p1', { kind: 'prepare', txId: 't1', participants: ['p1'], payload: new Uint8Array() })
    await new Promise((resolve) => setTimeout(resolve, 5))
    expect(errors).toEqual([new Error('EIO')])
    expect(sent).toEqual([])
    await participant.close()
  })
})
