/** The reliable FIFO channels, driven by hand: reordering, duplicates, loss, windows and bounds. */
import { Random } from '@synod/sim'
import { describe, expect, it } from 'vitest'
import { ChannelFullError } from '../src/errors.js'
import { Cluster, type Envelope } from './support/cores.js'

const framesOf = (envelopes: Envelope[]) =>
  envelopes.flatMap((e) => (e.message.kind === 'frames' ? e.message.frames.map((f) => f.seq) : []))

describe('reliable FIFO channel', () => {
  it('delivers in order, exactly once, despite reordering and duplication', () => {
    const cluster = new Cluster(['a', 'b'], { maxFramesPerMessage: 1 })
    for (let i = 1; i <= 40; i++) cluster.transfer('a', 'b', i)
    cluster.collect()
    const sent = cluster.take()
    expect(sent).toHaveLength(40)
    // reversed, every message twice
    cluster.deliver([...sent].reverse().flatMap((e) => [e, e]))
    const b = cluster.accounts.get('b')
    expect(b?.delivered.map((d) => d.amount)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1))
    expect(cluster.events.filter((e) => e.type === 'frame-dropped' && e.reason === 'duplicate')).toHaveLength(
      40,
    )
    cluster.settle()
    expect(cluster.core('a').queuedFrames('b')).toBe(0) // the cumulative ack covered everything
  })

  it('retransmits lost frames on a timeout that doubles, and resets after an ack', () => {
    const cluster = new Cluster(['a', 'b'], { retransmitTicks: 2, maxRetransmitTicks: 8 })
    cluster.transfer('a', 'b', 5)
    cluster.collect()
    cluster.take() // lost
    const resentAt: number[] = []
    for (let tick = 1; tick <= 16; tick++) {
      cluster.tickAll()
      if (cluster.take((e) => e.from === 'a').length > 0) resentAt.push(tick)
    }
    expect(resentAt).toEqual([2, 6, 14]) // after 2, then 4, then 8 (the cap) ticks
    cluster.tickAll(8)
    cluster.settle()
    expect(cluster.accounts.get('b')?.balance).toBe(105)
    expect(cluster.events.some((e) => e.type === 'retransmitted' && e.to === 'b' && e.frames === 1)).toBe(
      true,
    )
    // after the ack the next loss is retried after the base timeout again
    cluster.transfer('a', 'b', 1)
    cluster.collect()
    cluster.take()
    cluster.tickAll(2)
    expect(cluster.take((e) => e.from === 'a')).toHaveLength(1)
  })

  it('recovers from heavy loss: every transfer arrives once, in order', () => {
    const cluster = new Cluster(['a', 'b'], { maxFramesPerMessage: 3 })
    let dropped = 0
    for (let i = 1; i <= 30; i++) cluster.transfer('a', 'b', i)
    const random = new Random(7)
    for (let round = 0; round < 500 && cluster.accounts.get('b')?.delivered.length !== 30; round++) {
      cluster.collect()
      // half of the messages are lost, in both directions
      const wire = cluster.take()
      const kept = wire.filter(() => random.chance(0.5))
      cluster.deliver(kept)
      dropped += wire.length - kept.length
      cluster.tickAll()
    }
    expect(dropped).toBeGreaterThan(5)
    expect(cluster.accounts.get('b')?.delivered.map((d) => d.amount)).toEqual(
      Array.from({ length: 30 }, (_, i) => i + 1),
    )
  })

  it('keeps at most maxInFlightFrames unacknowledged frames on the wire', () => {
    const cluster = new Cluster(['a', 'b'], { maxInFlightFrames: 4, maxFramesPerMessage: 100 })
    for (let i = 1; i <= 10; i++) cluster.transfer('a', 'b', 1)
    cluster.collect()
    const first = cluster.take()
    expect(framesOf(first)).toEqual([1, 2, 3, 4])
    expect(cluster.core('a').queuedFrames('b')).toBe(10)
    cluster.deliver(first) // b acks 4
    cluster.deliver(cluster.take()) // a gets the ack and fills the window
    expect(framesOf(cluster.take((e) => e.from === 'a'))).toEqual([5, 6, 7, 8])
    expect(cluster.core('a').queuedFrames('b')).toBe(6)
  })

  it('refuses a send beyond maxQueuedFrames with ChannelFullError, and takes it again after acks', () => {
    const cluster = new Cluster(['a', 'b'], { maxQueuedFrames: 3 })
    for (let i = 0; i < 3; i++) cluster.transfer('a', 'b', 1)
    expect(() => cluster.core('a').send('b', Uint8Array.of(0, 0, 0, 1))).toThrow(new ChannelFullError('b', 3))
    expect(() => cluster.core('a').send('b', Uint8Array.of(0, 0, 0, 1))).toThrow(
      'channel to "b" is full: 3 messages await acknowledgement',
    )
    cluster.settle()
    expect(cluster.core('a').queuedFrames('b')).toBe(0)
    cluster.transfer('a', 'b', 1)
  })

  it('drops frames beyond the reorder window; they come back by retransmission', () => {
    const cluster = new Cluster(['a', 'b'], { maxReorderFrames: 2, maxFramesPerMessage: 1 })
    for (let i = 1; i <= 5; i++) cluster.transfer('a', 'b', i)
    cluster.collect()
    const sent = cluster.take()
    cluster.deliver(sent.slice(1)) // frame 1 lost: 2 is buffered, 3–5 are beyond the window
    const beyond = cluster.events.filter(
      (e) => e.type === 'frame-dropped' && e.reason === 'beyond-reorder-window',
    )
    expect(beyond.map((e) => (e.type === 'frame-dropped' ? e.seq : 0))).toEqual([3, 4, 5])
    expect(cluster.accounts.get('b')?.delivered).toEqual([])
    for (let i = 0; i < 10; i++) {
      cluster.tickAll()
      cluster.settle()
    }
    expect(cluster.accounts.get('b')?.delivered.map((d) => d.amount)).toEqual([1, 2, 3, 4, 5])
  })

  it('ignores malformed messages, unknown senders and acks of frames never sent', () => {
    const cluster = new Cluster(['a', 'b'])
    const a = cluster.core('a')
    a.step('z', { kind: 'ack', ack: 0 })
    a.step('b', { kind: 'ack', ack: 3 })
    a.step('b', { kind: 'nope' } as never)
    a.step('b', { kind: 'frames', ack: 0, frames: [] })
    a.step('b', {
      kind: 'frames',
      ack: 0,
      frames: [{ seq: 0, body: { kind: 'app', payload: Uint8Array.of() } }],
    })
    a.step('b', { kind: 'ack', ack: -1 })
    cluster.collect()
    expect(cluster.events.map((e) => (e.type === 'message-ignored' ? e.reason : e.type))).toEqual([
      'sender is not a peer',
      'ack 3 of a frame never sent',
      'unknown kind "nope"',
      'frames: expected a non-empty array',
      'frame: bad seq',
      'bad ack',
    ])
    expect(cluster.wire).toEqual([])
  })
})
