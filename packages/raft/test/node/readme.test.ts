import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MemoryNetwork } from '@synod/transport'
import { createTcpTransport } from '@synod/transport-tcp'
import { expect, it } from 'vitest'
import {
  encodeKvCommand,
  FileStorage,
  KvStateMachine,
  MemoryStorage,
  type RaftMessage,
  RaftNode,
  raftMessageCodec,
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

it('the README TCP + FileStorage example runs as written (three nodes on 127.0.0.1)', async () => {
  const directory = await mkdtemp(join(tmpdir(), 'synod-raft-readme-'))
  const secret = randomBytes(32)
  const ids = ['a', 'b', 'c']
  // port 0 first, then tell every node where the others listen
  const transports = await Promise.all(
    ids.map((id) =>
      createTcpTransport<RaftMessage>({
        localId: id,
        listen: { host: '127.0.0.1', port: 0 },
        members: ids.map((member) => ({ id: member, host: '127.0.0.1' })),
        codec: raftMessageCodec(),
        secret,
      }),
    ),
  )
  for (const transport of transports)
    for (const [i, other] of transports.entries())
      if (other !== transport) transport.setPeerAddress(ids[i]!, other.address())
  const storages = await Promise.all(ids.map((id) => FileStorage.open(join(directory, id))))
  const kvs = ids.map(() => new KvStateMachine())
  const nodes = await Promise.all(
    ids.map((id, i) =>
      RaftNode.start({
        id,
        members: ids,
        transport: transports[i]!,
        storage: storages[i]!,
        stateMachine: kvs[i]!,
      }),
    ),
  )
  try {
    let leader: RaftNode | undefined
    for (let waited = 0; waited < 10_000 && leader === undefined; waited += 10) {
      leader = nodes.find((n) => n.status().role === 'leader')
      if (leader === undefined) await new Promise((r) => setTimeout(r, 10))
    }
    expect(await leader!.propose(encodeKvCommand({ type: 'put', key: 'x', value: '1' }))).toEqual({
      ok: true,
      previous: null,
    })
    const follower = nodes.find((n) => n !== leader)!
    await follower.read()
    expect(kvs[nodes.indexOf(follower)]!.get('x')).toBe('1')
  } finally {
    await Promise.all(nodes.map((n) => n.stop()))
    await Promise.all(transports.map((t) => t.close()))
    await Promise.all(storages.map((s) => s.close()))
    await rm(directory, { recursive: true, force: true })
  }
})
