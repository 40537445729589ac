import { MemoryNetwork } from '@synod/transport'
import { expect, it } from 'vitest'
import {
  encodeKvCommand,
  KvStateMachine,
  MemoryStorage,
  type RaftMessage,
  RaftNode,
} from '../../src/index.js'

it('the README example runs as written', async () => {
  const ids = ['a', 'b', 'c']
  const network = new MemoryNetwork<RaftMessage>()
  const kvs = ids.map(() => new KvStateMachine())
  const nodes = await Promise.all(
    ids.map((id, i) =>
      RaftNode.start({
        id,
        members: ids,
        transport: network.join(id),
        storage: new MemoryStorage(),
        stateMachine: kvs[i]!,
      }),
    ),
  )
  let leader: RaftNode | undefined
  // biome-ignore lint/suspicious/noAssignInExpressions: as in the README
  while (!(leader = nodes.find((n) => n.status().role === 'leader')))
    await new Promise((r) => setTimeout(r, 10))
  expect(await leader.propose(encodeKvCommand({ type: 'put', key: 'x', value: '1' }))).toEqual({
    ok: true,
    previous: null,
  })
  await nodes[1]!.read()
  expect(kvs[1]!.get('x')).toBe('1')
  await Promise.all(nodes.map((n) => n.stop()))
  await network.close()
})
