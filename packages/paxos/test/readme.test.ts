/** The README's example, run as written (MemoryNetwork, real timers). */
import { MemoryNetwork } from '@synod/transport'
import { expect, it } from 'vitest'
import { NotLeaderError, type PaxosMessage, PaxosNode } from '../src/index.js'

it('README example', async () => {
  const network = new MemoryNetwork<PaxosMessage>()
  const members = ['a', 'b', 'c']
  const balances = new Map<string, number>()

  const nodes = members.map(
    (id) =>
      new PaxosNode({
        id,
        members,
        transport: network.join(id),
        stateMachine: {
          apply(command) {
            if (id !== 'a') return 0
            const [account, amount] = new TextDecoder().decode(command).split(' ')
            const balance = (balances.get(account ?? '') ?? 0) + Number(amount)
            balances.set(account ?? '', balance)
            return balance
          },
        },
      }),
  )

  nodes[0]?.campaign()
  while (nodes[0]?.status().role !== 'leader') await new Promise((resolve) => setTimeout(resolve, 10))

  const leader = nodes[0]
  expect(await leader.propose(new TextEncoder().encode('alice 10'))).toEqual({ index: 1, result: 10 })
  expect(await leader.propose(new TextEncoder().encode('alice -3'))).toEqual({ index: 2, result: 7 })
  await expect(nodes[1]?.propose(new TextEncoder().encode('bob 1'))).rejects.toThrow(new NotLeaderError('a'))

  await Promise.all(nodes.map((node) => node.close()))
  await network.close()
})
