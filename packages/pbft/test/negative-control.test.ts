import { describe, expect, it } from 'vitest'
import { batchDigest, type PbftMessage, type PrePrepare } from '../src/index.js'
import { type ByzantineHook, Cluster, makeRequest } from './helpers.js'

/**
 * A primary (r0) that sends r3 a different batch, with accomplices that vote
 * for whatever each victim was shown. Honest r2 and r3 cannot hear each other.
 */
function colludingCluster(accomplices: number[]) {
  let alternative: PrePrepare | undefined
  const cluster: Cluster = new Cluster({
    clients: 2,
    byzantine: new Map<number, ByzantineHook>([
      [
        0,
        (to, message, tools) => {
          if (to === 'r3' && message.kind === 'pre-prepare') {
            const batch = [makeRequest(cluster.clientIdentities[1]!, 'evil', 1)]
            alternative = tools.sign<PrePrepare>({
              kind: 'pre-prepare',
              view: message.view,
              sequence: message.sequence,
              digest: batchDigest(tools.crypto, batch),
              replica: 0,
              batch,
            })
            return [{ to, message: alternative }]
          }
          if (to === 'r3' && message.kind === 'commit' && alternative)
            return [{ to, message: tools.sign({ ...message, digest: alternative.digest }) as PbftMessage }]
          return [{ to, message }]
        },
      ],
      ...accomplices.map(
        (index) =>
          [
            index,
            ((to, message, tools) => {
              if (to === 'r3' && alternative && (message.kind === 'prepare' || message.kind === 'commit'))
                return [
                  {
                    to,
                    message: tools.sign({
                      ...message,
                      digest: alternative.digest,
                      ...(message.kind === 'prepare' ? { prePrepareSignature: alternative.signature } : {}),
                    }) as PbftMessage,
                  },
                ]
              return [{ to, message }]
            }) satisfies ByzantineHook,
          ] as const,
      ),
    ]),
  })
  cluster.block(2, 3)
  return cluster
}

describe('the safety checker', () => {
  it('detects a violation when f+1 replicas collude (negative control: the checker can fail)', () => {
    const cluster = colludingCluster([1])
    // the colluders' cores must not see r3's votes (they would detect their own equivocation)
    cluster.blocked.add('r3>r0')
    cluster.blocked.add('r3>r1')
    cluster.submit(0, 'honest')
    cluster.run(20)
    expect(cluster.replica(2).lastExecuted).toBe(1)
    expect(cluster.replica(3).lastExecuted).toBe(1)
    expect(cluster.checkSafety()).toBe('replicas 2 and 3 executed different batches at sequence 1')
  })

  it('finds no violation with the same attack by f replicas, and the cluster recovers', () => {
    const cluster = colludingCluster([])
    cluster.submit(0, 'honest')
    cluster.run(100)
    expect(cluster.checkSafety()).toBeUndefined()
    expect(cluster.eventsOf('equivocation-detect', 3).length).toBeGreaterThan(0)
    cluster.blocked.clear()
    cluster.submit(1, 'later')
    expect(
      cluster.runUntil(() => cluster.clients.every((client) => client.outstanding === undefined), 3000),
    ).toBe(true)
    cluster.run(200)
    expect(cluster.checkSafety()).toBeUndefined()
    expect(cluster.apps[3]!.entries).toEqual(cluster.apps[2]!.entries)
  })
})
