/**
 * `FileHardStateStore` on a real temporary directory (real writes, real
 * fsync): restart from disk without a conflicting signature, torn tails,
 * corruption, group commit and compaction under a running cluster.
 */
import {
  appendFileSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MemoryNetwork, type Transport } from '@synod/transport'
import { afterEach, describe, expect, it } from 'vitest'
import {
  batchDigest,
  type ClientRequest,
  type Commit,
  encodeHardState,
  FileHardStateStore,
  PbftClient,
  type PbftEvent,
  type PbftMessage,
  PbftNode,
  PbftStorageClosedError,
  PbftStorageCorruptionError,
  type PrePrepare,
  type Prepare,
  signMessage,
  toHex,
} from '../src/index.js'
import { LogApplication, makeIdentity, makeRequest } from './helpers.js'

const MAGIC_BYTES = 'synod-pbft-log/1\n'.length
const directories: string[] = []
function temporaryDirectory(): string {
  const directory = mkdtempSync(join(tmpdir(), 'synod-pbft-store-'))
  directories.push(directory)
  return directory
}
afterEach(() => {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true })
})

const identities = ['r0', 'r1', 'r2', 'r3'].map((id) => makeIdentity(id, 'ed25519'))
const replicas = identities.map(({ id, publicKey }) => ({ id, publicKey }))
const clientBase = makeIdentity('store-client', 'ed25519')
const client = { ...clientBase, id: toHex(clientBase.publicKey) }

/** A transport the test drives by hand: it records sends and delivers on demand. */
function handTransport(id: string) {
  const sent: { to: string; message: PbftMessage }[] = []
  let handler: ((from: string, message: PbftMessage) => void) | undefined
  const transport: Transport<PbftMessage> = {
    localId: id,
    send: (to, message) => void sent.push({ to, message }),
    onMessage: (h) => {
      handler = h
      return () => {
        handler = undefined
      }
    },
    close: async () => {},
  }
  return { transport, sent, deliver: (from: string, message: PbftMessage) => handler!(from, message) }
}

/** Replica r1 (a backup) as a PbftNode on a hand transport and a file store. */
function startBackup(directory: string) {
  const store = FileHardStateStore.open(directory)
  const hand = handTransport('r1')
  const events: PbftEvent[] = []
  const node = new PbftNode({
    id: 'r1',
    replicas,
    crypto: identities[1]!.crypto,
    clients: { kind: 'any-key' },
    checkpointInterval: 4,
    application: new LogApplication(),
    transport: hand.transport,
    store,
    every: () => () => {},
    onEvent: (event) => events.push(event),
  })
  return { store, node, events, ...hand }
}

function prePrepare(sequence: number, batch: ClientRequest[]): PrePrepare {
  return signMessage<PrePrepare>(identities[0]!.crypto, {
    kind: 'pre-prepare',
    view: 0,
    sequence,
    digest: batchDigest(identities[0]!.crypto, batch),
    replica: 0,
    batch,
  })
}

function votesFor(voter: number, proposal: PrePrepare): [Prepare, Commit] {
  const { view, sequence, digest } = proposal
  const crypto = identities[voter]!.crypto
  return [
    signMessage<Prepare>(crypto, {
      kind: 'prepare',
      view,
      sequence,
      digest,
      replica: voter,
      prePrepareSignature: proposal.signature,
    }),
    signMessage<Commit>(crypto, { kind: 'commit', view, sequence, digest, replica: voter }),
  ]
}

const prepares = (sent: { message: PbftMessage }[]) =>
  sent.map(({ message }) => message).filter((message): message is Prepare => message.kind === 'prepare')

describe('FileHardStateStore', () => {
  it('restarts from disk and never signs a conflicting prepare for a (view, sequence) it voted on', () => {
    const directory = temporaryDirectory()
    const first = startBackup(directory)
    const proposalA = prePrepare(1, [makeRequest(client, 'a', 1)])
    first.deliver('r0', proposalA)
    expect(prepares(first.sent).map((p) => toHex(p.digest))).toEqual(
      new Array(3).fill(toHex(proposalA.digest)),
    )
    expect(first.store.stats.syncs).toBe(1)
    // a crash: no close, nothing but what was fsynced survives (the process keeps no state)
    first.node.close()

    const second = startBackup(directory)
    expect(second.store.recovery).toEqual({ records: 1, tornBytes: 0 })
    // the (equivocating) primary offers another batch at the same (view, sequence)
    const proposalB = prePrepare(1, [makeRequest(client, 'b', 2)])
    second.deliver('r0', proposalB)
    expect(prepares(second.sent)).toEqual([])
    expect(second.events).toContainEqual({ type: 'vote-refuse', view: 0, sequence: 1 })
    // the batch it voted for still goes through, and the cluster continues
    second.deliver('r0', proposalA)
    expect(prepares(second.sent).map((p) => toHex(p.digest))).toEqual(
      new Array(3).fill(toHex(proposalA.digest)),
    )
    for (const voter of [2, 3]) second.deliver(identities[voter]!.id, votesFor(voter, proposalA)[0])
    for (const voter of [0, 2, 3]) second.deliver(identities[voter]!.id, votesFor(voter, proposalA)[1])
    expect(second.node.replica.lastExecuted).toBe(1)
    const proposal2 = prePrepare(2, [makeRequest(client, 'c', 3)])
    second.deliver('r0', proposal2)
    for (const voter of [2, 3]) second.deliver(identities[voter]!.id, votesFor(voter, proposal2)[0])
    for (const voter of [0, 2, 3]) second.deliver(identities[voter]!.id, votesFor(voter, proposal2)[1])
    expect(second.node.replica.lastExecuted).toBe(2)
    second.node.close()
    second.store.close()

    // and a third start replays both committed batches from disk
    const third = startBackup(directory)
    expect(third.node.replica.lastExecuted).toBe(2)
    third.deliver('r0', proposalB)
    expect(prepares(third.sent)).toEqual([])
    third.node.close()
    third.store.close()
  })

  it('cuts a torn tail, keeps every whole record, and appends after it', () => {
    const directory = temporaryDirectory()
    const first = startBackup(directory)
    const path = first.store.path
    first.deliver('r0', prePrepare(1, [makeRequest(client, 'a', 1)]))
    const afterFirst = statSync(path).size
    const stateAfterFirst = encodeHardState(first.store.load()!)
    first.deliver('r0', prePrepare(2, [makeRequest(client, 'b', 2)]))
    const afterSecond = statSync(path).size
    expect(afterSecond).toBeGreaterThan(afterFirst)
    first.node.close()
    // the crash hit the second write half way
    const torn = afterFirst + Math.floor((afterSecond - afterFirst) / 2)
    truncateSync(path, torn)

    const second = startBackup(directory)
    expect(second.store.recovery).toEqual({ records: 1, tornBytes: torn - afterFirst })
    expect(statSync(path).size).toBe(afterFirst)
    expect(encodeHardState(second.store.load()!)).toEqual(stateAfterFirst)
    // sequence 2 was never acknowledged (its prepare was never sent), so voting again is fine
    second.deliver('r0', prePrepare(2, [makeRequest(client, 'c', 3)]))
    expect(prepares(second.sent)).toHaveLength(3)
    second.node.close()
    second.store.close()

    // garbage at the end (a length that runs past the end of the file) is a torn tail too
    appendFileSync(path, Uint8Array.of(0, 0, 1, 0, 9, 9))
    const third = startBackup(directory)
    expect(third.store.recovery).toEqual({ records: 2, tornBytes: 6 })
    expect(third.store.load()!.votes.map((vote) => vote.sequence)).toEqual([1, 2])
    third.node.close()
    third.store.close()
  })

  it('a torn last record with a whole header (bad checksum at the very end) is a torn tail', () => {
    const directory = temporaryDirectory()
    const first = startBackup(directory)
    first.deliver('r0', prePrepare(1, [makeRequest(client, 'a', 1)]))
    const size = statSync(first.store.path).size
    first.node.close()
    first.store.close()
    const bytes = readFileSync(first.store.path)
    bytes[size - 1] = bytes[size - 1]! ^ 0xff // the fsync reached the length but not the last byte
    writeFileSync(first.store.path, bytes)
    const store = FileHardStateStore.open(directory)
    expect(store.recovery).toEqual({ records: 0, tornBytes: size - MAGIC_BYTES })
    expect(store.load()).toBeUndefined()
    store.close()
  })

  it('refuses corruption before the tail with an exact typed error', () => {
    const directory = temporaryDirectory()
    const first = startBackup(directory)
    first.deliver('r0', prePrepare(1, [makeRequest(client, 'a', 1)]))
    const afterFirst = statSync(first.store.path).size
    first.deliver('r0', prePrepare(2, [makeRequest(client, 'b', 2)]))
    first.node.close()
    first.store.close()
    const path = first.store.path
    const bytes = readFileSync(path)
    bytes[MAGIC_BYTES + 20] = bytes[MAGIC_BYTES + 20]! ^ 0x01
    writeFileSync(path, bytes)
    const after = bytes.length - afterFirst
    let error: unknown
    try {
      FileHardStateStore.open(directory)
    } catch (caught) {
      error = caught
    }
    expect(PbftStorageCorruptionError.isInstance(error)).toBe(true)
    expect((error as PbftStorageCorruptionError).offset).toBe(MAGIC_BYTES)
    expect((error as Error).message).toBe(
      `corrupt PBFT hard-state log ${path} at byte ${MAGIC_BYTES}: checksum mismatch with ${after} bytes after the record`,
    )
    // the file is left as it was: nothing is repaired behind the operator's back
    expect(readFileSync(path)).toEqual(bytes)

    writeFileSync(path, 'not a log at all')
    expect(() => FileHardStateStore.open(directory)).toThrow(
      `corrupt PBFT hard-state log ${path} at byte 0: not a PBFT hard-state log`,
    )
  })

  it('refuses writes after close', () => {
    const store = FileHardStateStore.open(temporaryDirectory())
    store.close()
    const state = { replica: 'r0', view: 0, viewChanging: false, votes: [], prepared: [], committed: [] }
    expect(() =>
      store.save({ ...state, stableCheckpoint: undefined }, { ...state, stableCheckpoint: undefined }),
    ).toThrow(PbftStorageClosedError)
    expect(() => FileHardStateStore.open(temporaryDirectory(), { compactAboveBytes: 0 })).toThrow(
      'compactAboveBytes: expected a positive integer, got 0',
    )
  })

  it('runs a cluster with group commit and compaction, restarts a replica from disk, and continues', async () => {
    const root = temporaryDirectory()
    const network = new MemoryNetwork<PbftMessage>()
    const executed = new Map<string, Map<number, string>>()
    const stores = new Map<string, FileHardStateStore>()
    const nodes = new Map<string, PbftNode>()
    const transports = new Map<string, Transport<PbftMessage>>()
    const start = (id: string) => {
      const index = replicas.findIndex((replica) => replica.id === id)
      const store = FileHardStateStore.open(join(root, id), { compactAboveBytes: 16 * 1024 })
      stores.set(id, store)
      const log = executed.get(id) ?? new Map<number, string>()
      executed.set(id, log)
      const transport = network.join(id)
      transports.set(id, transport)
      nodes.set(
        id,
        new PbftNode({
          id,
          replicas,
          crypto: identities[index]!.crypto,
          clients: { kind: 'any-key' },
          checkpointInterval: 4,
          application: new LogApplication(),
          transport,
          store,
          groupCommit: (flush) => setImmediate(flush),
          every: (ms, callback) => {
            const timer = setInterval(callback, ms)
            return () => clearInterval(timer)
          },
          tickMs: 5,
          onExecuted: (batch) => log.set(batch.sequence, toHex(batch.certificate.prePrepare.digest)),
        }),
      )
    }
    for (const { id } of replicas) start(id)
    // four clients with a request each in flight, so Readies pile up between fsyncs
    const clientIdentities = [0, 1, 2, 3].map((i) => {
      const base = makeIdentity(`store-cluster-client${i}`, 'ed25519')
      return { ...base, id: toHex(base.publicKey) }
    })
    let completed = 0
    const clients = clientIdentities.map((identity) => {
      const pbftClient = new PbftClient({
        id: identity.id,
        publicKey: identity.publicKey,
        crypto: identity.crypto,
        replicas,
      })
      const transport = network.join(identity.id)
      const pump = () => {
        if (!pbftClient.hasReady()) return
        const ready = pbftClient.ready()
        for (const { to, message } of ready.messages) transport.send(to, message)
        completed += ready.results.length
        pbftClient.advance()
      }
      transport.onMessage((from, message) => {
        pbftClient.step(from, message)
        pump()
      })
      return { pbftClient, pump }
    })
    const clientTimer = setInterval(() => {
      for (const { pbftClient, pump } of clients) {
        pbftClient.tick()
        pump()
      }
    }, 5)
    const runUntil = async (target: number) => {
      const deadline = Date.now() + 20_000
      while (completed < target) {
        if (Date.now() > deadline) throw new Error(`only ${completed}/${target} requests completed`)
        for (const { pbftClient, pump } of clients)
          if (pbftClient.outstanding === undefined) {
            pbftClient.request(new TextEncoder().encode(`op${completed}`))
            pump()
          }
        await new Promise((resolve) => setTimeout(resolve, 1))
      }
    }
    try {
      await runUntil(40)
      const r2 = stores.get('r2')!
      expect(r2.stats.syncs).toBeGreaterThan(0)
      expect(r2.stats.syncs).toBeLessThan(r2.stats.records) // several Readies shared an fsync
      expect(r2.stats.compactions).toBeGreaterThan(0)
      expect(statSync(r2.path).size).toBeLessThan(2 * 16 * 1024)
      const before = encodeHardState(r2.load()!)
      // stop r2, reopen its directory: the same state comes back from disk
      nodes.get('r2')!.close()
      r2.close()
      await transports.get('r2')!.close()
      const reopened = FileHardStateStore.open(join(root, 'r2'))
      expect(encodeHardState(reopened.load()!)).toEqual(before)
      reopened.close()
      await runUntil(50) // the others go on without it
      start('r2')
      await runUntil(90)
      const deadline = Date.now() + 20_000
      const caughtUp = () => nodes.get('r2')!.replica.lastExecuted >= nodes.get('r0')!.replica.lastExecuted
      while (!caughtUp() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5))
      expect(caughtUp()).toBe(true)
      // every replica executed the same batch at every sequence it executed
      const bySequence = new Map<number, string>()
      for (const log of executed.values())
        for (const [sequence, digest] of log) {
          expect(bySequence.get(sequence) ?? digest).toBe(digest)
          bySequence.set(sequence, digest)
        }
    } finally {
      clearInterval(clientTimer)
      for (const node of nodes.values()) node.close()
      for (const store of stores.values()) store.close()
      await network.close()
    }
  })
})
