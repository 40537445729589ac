/** The README's example, run as written (MemoryNetwork, real timers). */
import { MemoryNetwork } from '@synod/transport'
import { expect, it } from 'vitest'
import { TwoPhaseCoordinator, type TwoPhaseMessage, TwoPhaseParticipant } from '../src/index.js'

it('README example', async () => {
  const network = new MemoryNetwork<TwoPhaseMessage>()
  const stock = new Map([['apple', 3]])
  const held = new Map<string, number>()

  const stockParticipant = new TwoPhaseParticipant({
    transport: network.join('stock'),
    resource: {
      prepare(txId, payload) {
        const wanted = payload[0] ?? 0
        if ((stock.get('apple') ?? 0) < wanted) return 'no'
        held.set(txId, wanted)
        return 'yes'
      },
      finish(txId, decision) {
        if (decision === 'commit') stock.set('apple', (stock.get('apple') ?? 0) - (held.get(txId) ?? 0))
        held.delete(txId)
      },
    },
  })
  const audit = new TwoPhaseParticipant({
    transport: network.join('audit'),
    resource: { prepare: () => 'read-only', finish: () => {} },
  })

  const coordinator = new TwoPhaseCoordinator({ transport: network.join('shop') })
  expect(await coordinator.run('order-1', ['stock', 'audit'], { stock: Uint8Array.of(2) })).toEqual({
    txId: 'order-1',
    decision: 'commit',
  })
  expect(await coordinator.run('order-2', ['stock', 'audit'], { stock: Uint8Array.of(2) })).toEqual({
    txId: 'order-2',
    decision: 'abort',
  })
  expect(stock.get('apple')).toBe(1)
  await Promise.all([coordinator.close(), stockParticipant.close(), audit.close()])
  await network.close()
})
