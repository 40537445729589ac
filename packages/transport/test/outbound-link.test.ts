import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { SendQueueFullError } from '../src/errors.js'
import { FrameDecoder } from '../src/framing.js'
import {
  emptyLinkStats,
  type LinkConnection,
  type LinkEvent,
  type LinkHost,
  type LinkSettings,
  OutboundLink,
  resolveLinkOptions,
} from '../src/link.js'

const utf8 = new TextEncoder()
const text = new TextDecoder()

/** A connection that records what is written and lets the test drive drain and close. */
class FakeConnection implements LinkConnection {
  writable = true
  /** What `write` returns: false asks the link to wait for a drain. */
  accept = true
  /** When set, `write` throws it (the connection is gone). */
  failure: Error | undefined
  readonly writes: Uint8Array[] = []
  destroyed = false
  private drainCallbacks: ((error?: Error) => void)[] = []
  private closeCallbacks: ((error: Error | undefined) => void)[] = []

  write(bytes: Uint8Array): boolean {
    if (this.failure !== undefined) throw this.failure
    this.writes.push(bytes)
    return this.accept
  }
  onceDrained(callback: (error?: Error) => void): void {
    this.drainCallbacks.push(callback)
  }
  onClose(callback: (error: Error | undefined) => void): void {
    this.closeCallbacks.push(callback)
  }
  destroy(): void {
    this.destroyed = true
    this.writable = false
  }
  drain(error?: Error): void {
    const callbacks = this.drainCallbacks
    this.drainCallbacks = []
    for (const callback of callbacks) callback(error)
  }
  close(error?: Error): void {
    this.writable = false
    const callbacks = this.closeCallbacks
    this.closeCallbacks = []
    for (const callback of callbacks) callback(error)
  }
  /** The messages of every write, one array per write. */
  batches(): string[][] {
    return this.writes.map((bytes) => {
      const decoder = new FrameDecoder()
      return decoder.push(bytes).map((frame) => text.decode(frame))
    })
  }
}

interface Fixture {
  link: OutboundLink
  host: LinkHost
  events: LinkEvent[]
  connections: FakeConnection[]
  signals: AbortSignal[]
  /** How the next dials answer; by default each opens a new `FakeConnection`. */
  dial: () => Promise<FakeConnection>
}

function setup(options: Partial<LinkSettings> = {}): Fixture {
  const fixture = {
    events: [] as LinkEvent[],
    connections: [] as FakeConnection[],
    signals: [] as AbortSignal[],
    dial: async () => new FakeConnection(),
  } as Fixture
  fixture.host = {
    ...resolveLinkOptions({ random: () => 0.5 }),
    ...options,
    stats: emptyLinkStats(),
    open: async (_peer, signal) => {
      fixture.signals.push(signal)
      const connection = await fixture.dial()
      fixture.connections.push(connection)
      return connection
    },
    emit: (event) => fixture.events.push(event),
  }
  fixture.link = new OutboundLink('b', fixture.host)
  return fixture
}

/** Makes the next `count` dials open these connections, in turn. */
function dialInTurn(fixture: Fixture, count: number): [FakeConnection, FakeConnection, ...FakeConnection[]] {
  const connections = Array.from({ length: Math.max(count, 2) }, () => new FakeConnection())
  const queue = [...connections]
  fixture.dial = async () => queue.shift() as FakeConnection
  return connections as [FakeConnection, FakeConnection, ...FakeConnection[]]
}

function send(link: OutboundLink, ...messages: string[]): void {
  for (const message of messages) link.enqueue(utf8.encode(message))
}

/** Lets pending promises settle and due immediates run, without moving the clock. */
async function settle(): Promise<void> {
  await vi.advanceTimersByTimeAsync(0)
}

function types(events: LinkEvent[]): string[] {
  return events.map((event) => event.type)
}

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

describe('OutboundLink batching', () => {
  it('dials on the first message, then writes every message of a macrotask in one write', async () => {
    const { link, host, events, connections } = setup()
    expect(link.state).toBe('idle')
    send(link, 'm1', 'm2', 'm3')
    expect(link.state).toBe('dialing')
    await settle()
    expect(link.state).toBe('open')
    send(link, 'm4', 'm5')
    send(link, 'm6')
    await settle()
    const connection = connections[0] as FakeConnection
    expect(connections).toHaveLength(1)
    expect(connection.batches()).toEqual([
      ['m1', 'm2', 'm3'],
      ['m4', 'm5', 'm6'],
    ])
    expect(types(events)).toEqual(['link-opened'])
    expect(host.stats).toEqual({
      ...emptyLinkStats(),
      messagesSent: 6,
      writes: 2,
      bytesSent: 6 * (4 + 2),
      linksOpened: 1,
    })
    expect(link.queuedMessages).toBe(0)
  })

  it('splits batches at maxFramesPerWrite', async () => {
    const { link, connections } = setup({ maxFramesPerWrite: 2 })
    send(link, 'a', 'b', 'c', 'd', 'e')
    await settle()
    expect(connections[0]?.batches()).toEqual([['a', 'b'], ['c', 'd'], ['e']])
  })

  it('splits batches at maxBytesPerWrite, and sends a larger single frame alone', async () => {
    // each 10-byte message takes 14 bytes with its header: two fit in 30
    const { link, connections } = setup({ maxBytesPerWrite: 30 })
    const big = 'x'.repeat(40)
    send(link, '0123456789', '1123456789', '2123456789', big, '3123456789')
    await settle()
    expect(connections[0]?.batches()).toEqual([
      ['0123456789', '1123456789'],
      ['2123456789'],
      [big],
      ['3123456789'],
    ])
  })

  it('yields to the event loop after 64 writes in one flush', async () => {
    const { link, connections, host } = setup({ maxFramesPerWrite: 1 })
    send(link, ...Array.from({ length: 100 }, (_, i) => `m${i}`))
    // the dial resolves and the first flush runs; no immediate runs meanwhile
    for (let i = 0; i < 10; i++) await Promise.resolve()
    const connection = connections[0] as FakeConnection
    expect(connection.writes.length).toBe(64)
    expect(link.queuedMessages).toBe(36)
    expect(host.stats.queuedMessages).toBe(36)
    await settle()
    expect(connection.writes.length).toBe(100)
    expect(connection.batches().flat()).toEqual(Array.from({ length: 100 }, (_, i) => `m${i}`))
  })
})

describe('OutboundLink queue-full policy', () => {
  /** A link whose dial never completes, so messages stay queued. */
  function stalled(onFull: LinkSettings['onFull']) {
    const fixture = setup({ sendQueueLimit: 2, onFull })
    fixture.dial = () => new Promise<FakeConnection>(() => {})
    return fixture
  }

  it('drop-oldest drops the head, counts it and reports it', () => {
    const fixture = stalled('drop-oldest')
    send(fixture.link, 'a', 'b', 'c')
    expect(fixture.link.queuedMessages).toBe(2)
    expect(fixture.host.stats.messagesDropped).toBe(1)
    expect(fixture.host.stats.queuedMessages).toBe(2)
    expect(fixture.events).toEqual([{ type: 'message-dropped', to: 'b', reason: 'queue-full', count: 1 }])
  })

  it('drop-newest refuses the new message, counts it and reports it', () => {
    const fixture = stalled('drop-newest')
    send(fixture.link, 'a', 'b', 'c')
    expect(fixture.link.queuedMessages).toBe(2)
    expect(fixture.host.stats.messagesDropped).toBe(1)
    expect(fixture.events).toEqual([{ type: 'message-dropped', to: 'b', reason: 'queue-full', count: 1 }])
  })

  it('throw raises SendQueueFullError and leaves the queue and counters as they were', () => {
    const fixture = stalled('throw')
    send(fixture.link, 'a', 'b')
    expect(() => send(fixture.link, 'c')).toThrow(SendQueueFullError)
    expect(() => send(fixture.link, 'c')).toThrow('send queue to "b" is full (2 messages)')
    expect(fixture.link.queuedMessages).toBe(2)
    expect(fixture.host.stats.messagesDropped).toBe(0)
    expect(fixture.events).toEqual([])
  })

  it('keeps the newest with drop-oldest and the oldest with drop-newest once delivered', async () => {
    for (const [onFull, expected] of [
      ['drop-oldest', ['c', 'd']],
      ['drop-newest', ['a', 'b']],
    ] as const) {
      const fixture = setup({ sendQueueLimit: 2, onFull })
      let connect: (connection: FakeConnection) => void = () => {}
      fixture.dial = () => new Promise<FakeConnection>((resolve) => (connect = resolve))
      send(fixture.link, 'a', 'b', 'c', 'd')
      connect(new FakeConnection())
      await settle()
      expect(fixture.connections[0]?.batches().flat()).toEqual(expected)
      expect(fixture.host.stats.messagesDropped).toBe(2)
    }
  })
})

describe('OutboundLink backpressure', () => {
  it('waits for drain after a write that was not accepted in full, then carries on in order', async () => {
    const fixture = setup({ maxFramesPerWrite: 2 })
    const connection = new FakeConnection()
    connection.accept = false
    fixture.dial = async () => connection
    send(fixture.link, 'a', 'b', 'c', 'd', 'e')
    await settle()
    expect(connection.batches()).toEqual([['a', 'b']])
    expect(fixture.host.stats.backpressureWaits).toBe(1)
    send(fixture.link, 'f')
    await settle()
    expect(connection.writes).toHaveLength(1)
    connection.accept = true
    connection.drain()
    expect(connection.batches()).toEqual([
      ['a', 'b'],
      ['c', 'd'],
      ['e', 'f'],
    ])
    expect(fixture.host.stats.backpressureWaits).toBe(1)
    expect(fixture.host.stats.messagesSent).toBe(6)
  })

  it('treats a drain that fails as the connection going away, and reconnects for what is queued', async () => {
    const fixture = setup()
    const [first, second] = dialInTurn(fixture, 2)
    first.accept = false
    send(fixture.link, 'a')
    await settle()
    send(fixture.link, 'b')
    await settle()
    const failure = new Error('stream reset')
    first.drain(failure)
    expect(first.destroyed).toBe(true)
    expect(fixture.link.state).toBe('backoff')
    expect(fixture.events.at(-1)).toEqual({ type: 'link-closed', peer: 'b', error: failure })
    await vi.advanceTimersByTimeAsync(75)
    expect(second.batches()).toEqual([['b']])
  })
})

describe('OutboundLink connection loss', () => {
  it('keeps a batch the connection refused by throwing, and writes it on the next connection', async () => {
    const fixture = setup()
    const [first, second] = dialInTurn(fixture, 2)
    send(fixture.link, 'a')
    await settle()
    const failure = new Error('stream closed')
    first.failure = failure
    send(fixture.link, 'b', 'c')
    await settle()
    expect(fixture.events).toEqual([
      { type: 'link-opened', peer: 'b' },
      { type: 'link-closed', peer: 'b', error: failure },
    ])
    expect(fixture.link.queuedMessages).toBe(2)
    expect(fixture.host.stats.messagesSent).toBe(1)
    await vi.advanceTimersByTimeAsync(75)
    expect(second.batches()).toEqual([['b', 'c']])
    expect(fixture.host.stats.linksOpened).toBe(2)
  })

  it('keeps a batch when the connection is no longer writable, reporting no error', async () => {
    const fixture = setup()
    const [first, second] = dialInTurn(fixture, 2)
    send(fixture.link, 'a')
    await settle()
    first.writable = false
    send(fixture.link, 'b')
    await settle()
    expect(fixture.events.at(-1)).toEqual({ type: 'link-closed', peer: 'b', error: undefined })
    await vi.advanceTimersByTimeAsync(75)
    expect(first.batches()).toEqual([['a']])
    expect(second.batches()).toEqual([['b']])
  })

  it('reports a close with its error, and goes idle after the backoff when nothing is queued', async () => {
    const fixture = setup()
    send(fixture.link, 'a')
    await settle()
    const connection = fixture.connections[0] as FakeConnection
    const failure = new Error('ECONNRESET')
    connection.close(failure)
    expect(fixture.events.at(-1)).toEqual({ type: 'link-closed', peer: 'b', error: failure })
    expect(fixture.link.state).toBe('backoff')
    await vi.advanceTimersByTimeAsync(75)
    expect(fixture.link.state).toBe('idle')
    expect(fixture.connections).toHaveLength(1)
    send(fixture.link, 'b')
    await settle()
    expect(fixture.connections).toHaveLength(2)
    expect(fixture.connections[1]?.batches()).toEqual([['b']])
  })

  it('counts a connection that is gone as it opens as a failed dial', async () => {
    const fixture = setup()
    const [dead] = dialInTurn(fixture, 2)
    dead.writable = false
    send(fixture.link, 'a')
    await settle()
    expect(dead.destroyed).toBe(true)
    expect(fixture.host.stats.dialsFailed).toBe(1)
    expect(fixture.host.stats.linksOpened).toBe(0)
    const event = fixture.events[0]
    expect(event?.type).toBe('dial-failed')
    expect(event?.type === 'dial-failed' && event.error.message).toBe(
      'the connection to "b" closed as it opened',
    )
    await vi.advanceTimersByTimeAsync(75)
    expect(fixture.connections[1]?.batches()).toEqual([['a']])
  })
})

describe('OutboundLink reconnect backoff', () => {
  it('doubles the delay up to the maximum, with equal jitter, counting and reporting each failure', async () => {
    const fixture = setup({ reconnectInitialDelayMs: 100, reconnectMaxDelayMs: 1000, random: () => 0.5 })
    fixture.dial = async () => {
      throw new Error('ECONNREFUSED')
    }
    send(fixture.link, 'a')
    const delays: number[] = []
    for (let i = 0; i < 6; i++) {
      await settle()
      const event = fixture.events.at(-1)
      if (event?.type !== 'dial-failed') throw new Error(`expected dial-failed, got ${event?.type}`)
      expect(event.error.message).toBe('ECONNREFUSED')
      delays.push(event.retryInMs)
      await vi.advanceTimersByTimeAsync(event.retryInMs)
    }
    // 0.75 of 100, 200, 400, 800, 1000, 1000
    expect(delays).toEqual([75, 150, 300, 600, 750, 750])
    expect(fixture.host.stats.dialsFailed).toBe(7)
  })

  it('draws the jitter from random: 0 waits half the delay, 1 all of it', async () => {
    for (const [random, expected] of [
      [0, 50],
      [1, 100],
      [7, 100],
      [-3, 50],
    ] as const) {
      const fixture = setup({ reconnectInitialDelayMs: 100, random: () => random })
      fixture.dial = async () => {
        throw 'refused'
      }
      send(fixture.link, 'a')
      await settle()
      const event = fixture.events[0]
      expect(event).toMatchObject({ type: 'dial-failed', retryInMs: expected })
      expect(event?.type === 'dial-failed' && event.error).toBeInstanceOf(Error)
      fixture.link.close()
    }
  })

  it('starts the backoff over after a link that stayed up for a whole maximum delay', async () => {
    const fixture = setup({ reconnectInitialDelayMs: 100, reconnectMaxDelayMs: 1000 })
    let fail = 2
    fixture.dial = async () => {
      if (fail-- > 0) throw new Error('ECONNREFUSED')
      return new FakeConnection()
    }
    send(fixture.link, 'a')
    await settle()
    await vi.advanceTimersByTimeAsync(75)
    await vi.advanceTimersByTimeAsync(150)
    expect(fixture.link.state).toBe('open')
    // a short-lived link keeps counting failures
    ;(fixture.connections[0] as FakeConnection).close()
    expect(fixture.events.at(-1)).toEqual({ type: 'link-closed', peer: 'b', error: undefined })
    send(fixture.link, 'b')
    await vi.advanceTimersByTimeAsync(300)
    expect(fixture.link.state).toBe('open')
    // a healthy one starts over from the first delay
    await vi.advanceTimersByTimeAsync(1000)
    ;(fixture.connections[1] as FakeConnection).close()
    send(fixture.link, 'c')
    await vi.advanceTimersByTimeAsync(74)
    expect(fixture.connections).toHaveLength(2)
    await vi.advanceTimersByTimeAsync(1)
    expect(fixture.connections).toHaveLength(3)
    expect(fixture.connections[2]?.batches()).toEqual([['c']])
  })

  it('retryNow dials at once from backoff, with the backoff started over, and does nothing otherwise', async () => {
    const fixture = setup({ reconnectInitialDelayMs: 100, reconnectMaxDelayMs: 10_000 })
    let fail = 3
    fixture.dial = async () => {
      if (fail-- > 0) throw new Error('ECONNREFUSED')
      return new FakeConnection()
    }
    fixture.link.retryNow()
    expect(fixture.link.state).toBe('idle')
    send(fixture.link, 'a')
    await settle()
    await vi.advanceTimersByTimeAsync(75)
    expect(fixture.events.at(-1)).toMatchObject({ type: 'dial-failed', retryInMs: 150 })
    fixture.link.retryNow()
    await settle()
    // the failure count started over: the next wait is the first delay again
    expect(fixture.events.at(-1)).toMatchObject({ type: 'dial-failed', retryInMs: 75 })
    fixture.link.retryNow()
    await settle()
    expect(fixture.link.state).toBe('open')
    expect(fixture.connections[0]?.batches()).toEqual([['a']])
  })

  it('retryNow in backoff with nothing queued goes idle', async () => {
    const fixture = setup()
    send(fixture.link, 'a')
    await settle()
    ;(fixture.connections[0] as FakeConnection).close()
    expect(fixture.link.state).toBe('backoff')
    fixture.link.retryNow()
    expect(fixture.link.state).toBe('idle')
  })
})

describe('OutboundLink close', () => {
  it('drops and reports what is queued, destroys the connection, and ignores later messages', async () => {
    const fixture = setup()
    const connection = new FakeConnection()
    connection.accept = false
    fixture.dial = async () => connection
    send(fixture.link, 'a')
    await settle()
    send(fixture.link, 'b', 'c')
    fixture.link.close()
    expect(connection.destroyed).toBe(true)
    expect(fixture.link.state).toBe('closed')
    expect(fixture.events.at(-1)).toEqual({
      type: 'message-dropped',
      to: 'b',
      reason: 'transport-closed',
      count: 2,
    })
    expect(fixture.host.stats.messagesDropped).toBe(2)
    expect(fixture.host.stats.queuedMessages).toBe(0)
    send(fixture.link, 'd')
    connection.drain()
    connection.close()
    await vi.runAllTimersAsync()
    expect(fixture.link.queuedMessages).toBe(0)
    expect(types(fixture.events)).toEqual(['link-opened', 'message-dropped'])
    fixture.link.close()
    expect(fixture.events).toHaveLength(2)
  })

  it('aborts a dial in progress, and destroys a connection that opens after close', async () => {
    const fixture = setup()
    let connect: (connection: FakeConnection) => void = () => {}
    fixture.dial = () => new Promise<FakeConnection>((resolve) => (connect = resolve))
    send(fixture.link, 'a')
    await settle()
    const signal = fixture.signals[0] as AbortSignal
    expect(signal.aborted).toBe(false)
    fixture.link.close()
    expect(signal.aborted).toBe(true)
    const late = new FakeConnection()
    connect(late)
    await settle()
    expect(late.destroyed).toBe(true)
    expect(late.writes).toHaveLength(0)
    expect(types(fixture.events)).toEqual(['message-dropped'])
  })

  it('reports nothing for a dial that fails after close, and stops a pending backoff', async () => {
    const fixture = setup()
    let refuse: (error: Error) => void = () => {}
    fixture.dial = () => new Promise<FakeConnection>((_, reject) => (refuse = reject))
    send(fixture.link, 'a')
    fixture.link.close()
    refuse(new Error('aborted'))
    await vi.runAllTimersAsync()
    expect(types(fixture.events)).toEqual(['message-dropped'])
    expect(fixture.host.stats.dialsFailed).toBe(0)

    const other = setup()
    other.dial = async () => {
      throw new Error('ECONNREFUSED')
    }
    send(other.link, 'a')
    await settle()
    expect(other.link.state).toBe('backoff')
    other.link.close()
    await vi.runAllTimersAsync()
    expect(other.host.stats.dialsFailed).toBe(1)
    expect(vi.getTimerCount()).toBe(0)
  })
})
