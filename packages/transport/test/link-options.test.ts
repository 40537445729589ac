import { describe, expect, it } from 'vitest'
import { linkOptionsCompliance } from '../src/compliance.js'
import { DEFAULT_MAX_FRAME_BYTES } from '../src/framing.js'
import {
  DEFAULT_MAX_BYTES_PER_WRITE,
  DEFAULT_MAX_FRAMES_PER_WRITE,
  DEFAULT_RECONNECT_INITIAL_DELAY_MS,
  DEFAULT_RECONNECT_MAX_DELAY_MS,
  DEFAULT_SEND_QUEUE_LIMIT,
  describeValue,
  type LinkOptions,
  positiveIntegerOption,
  queueFullPolicyOption,
  reconnectOption,
  resolveLinkOptions,
} from '../src/link.js'

describe('resolveLinkOptions', () => {
  it('fills in the defaults', () => {
    expect(resolveLinkOptions({})).toEqual({
      maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
      sendQueueLimit: DEFAULT_SEND_QUEUE_LIMIT,
      onFull: 'drop-oldest',
      reconnectInitialDelayMs: DEFAULT_RECONNECT_INITIAL_DELAY_MS,
      reconnectMaxDelayMs: DEFAULT_RECONNECT_MAX_DELAY_MS,
      maxFramesPerWrite: DEFAULT_MAX_FRAMES_PER_WRITE,
      maxBytesPerWrite: DEFAULT_MAX_BYTES_PER_WRITE,
      random: Math.random,
    })
  })

  it('keeps what is given', () => {
    const random = () => 0.25
    expect(
      resolveLinkOptions({
        maxFrameBytes: 1024,
        sendQueueLimit: 5,
        onFull: 'throw',
        reconnect: { initialDelayMs: 10, maxDelayMs: 20 },
        maxFramesPerWrite: 1,
        maxBytesPerWrite: 2048,
        random,
      }),
    ).toEqual({
      maxFrameBytes: 1024,
      sendQueueLimit: 5,
      onFull: 'throw',
      reconnectInitialDelayMs: 10,
      reconnectMaxDelayMs: 20,
      maxFramesPerWrite: 1,
      maxBytesPerWrite: 2048,
      random,
    })
  })

  it('raises the default longest delay to a larger first delay, and takes null as left out', () => {
    expect(reconnectOption('reconnect', { initialDelayMs: 8000 })).toEqual({
      initialDelayMs: 8000,
      maxDelayMs: 8000,
    })
    expect(reconnectOption('reconnect', undefined)).toEqual({ initialDelayMs: 100, maxDelayMs: 5000 })
    // null counts as left out, as it always has
    expect(reconnectOption('reconnect', null)).toEqual({ initialDelayMs: 100, maxDelayMs: 5000 })
  })
})

linkOptionsCompliance('resolveLinkOptions', (bad) => resolveLinkOptions(bad as LinkOptions))

describe('option helpers', () => {
  it('positiveIntegerOption falls back only for undefined', () => {
    expect(positiveIntegerOption('n', undefined, 7)).toBe(7)
    expect(positiveIntegerOption('n', 3, 7)).toBe(3)
    expect(() => positiveIntegerOption('n', null, 7)).toThrow('n: expected a positive integer, got null')
    expect(() => positiveIntegerOption('n', 2 ** 53, 7)).toThrow(RangeError)
  })

  it('queueFullPolicyOption names the option it checks', () => {
    expect(queueFullPolicyOption('policy', undefined)).toBe('drop-oldest')
    expect(queueFullPolicyOption('policy', 'drop-newest')).toBe('drop-newest')
    expect(() => queueFullPolicyOption('policy', 1)).toThrow(
      'policy: expected "drop-oldest", "drop-newest" or "throw", got 1',
    )
  })

  it('describeValue names null and arrays', () => {
    expect([null, [], {}, 'x', 1, undefined].map(describeValue)).toEqual([
      'null',
      'array',
      'object',
      'string',
      'number',
      'undefined',
    ])
  })
})
