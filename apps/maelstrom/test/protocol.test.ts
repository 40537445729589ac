import { describe, expect, it } from 'vitest'
import { isDefiniteErrorCode, MAELSTROM_ERROR_CODES } from '../src/errors.js'
import { canonicalJson, jsonEquals } from '../src/json.js'
import { parseEnvelope } from '../src/protocol/envelope.js'
import { LineSplitter } from '../src/protocol/line-splitter.js'

describe('error codes', () => {
  it('are definite except timeout (0), crash (13) and codes Maelstrom does not define', () => {
    const definite = Object.entries(MAELSTROM_ERROR_CODES)
      .filter(([, code]) => isDefiniteErrorCode(code))
      .map(([name]) => name)
    expect(definite).toEqual([
      'node-not-found',
      'not-supported',
      'temporarily-unavailable',
      'malformed-request',
      'abort',
      'key-does-not-exist',
      'key-already-exists',
      'precondition-failed',
      'txn-conflict',
    ])
    expect(isDefiniteErrorCode(0)).toBe(false)
    expect(isDefiniteErrorCode(13)).toBe(false)
    expect(isDefiniteErrorCode(1000)).toBe(false)
    expect(isDefiniteErrorCode(-1)).toBe(false)
  })
})

describe('parseEnvelope', () => {
  it('parses a request', () => {
    expect(parseEnvelope('{"src":"c1","dest":"n1","body":{"type":"read","msg_id":1,"key":3}}')).toEqual({
      ok: true,
      envelope: { src: 'c1', dest: 'n1', body: { type: 'read', msg_id: 1, key: 3 } },
    })
  })

  const refused: Array<[string, string, { src: string; msgId: number; dest?: string } | undefined]> = [
    ['not json', 'invalid JSON: ', undefined],
    ['[1,2]', 'message: expected an object, got an array', undefined],
    ['null', 'message: expected an object, got null', undefined],
    ['{"dest":"n1","body":{"type":"read"}}', 'src: expected a string, got undefined', undefined],
    ['{"src":"","dest":"n1","body":{"type":"read"}}', 'src: expected a non-empty string', undefined],
    [
      `{"src":"${'x'.repeat(257)}","dest":"n1","body":{"type":"read"}}`,
      'src: expected at most 256 characters, got length=257',
      undefined,
    ],
    [
      '{"src":"c1","dest":7,"body":{"type":"read","msg_id":4}}',
      'dest: expected a string, got number',
      { src: 'c1', msgId: 4 },
    ],
    ['{"src":"c1","dest":"n1","body":"read"}', 'body: expected an object, got string', undefined],
    [
      '{"src":"c1","dest":"n1","body":{"msg_id":5}}',
      'body.type: expected a non-empty string, got undefined',
      { src: 'c1', msgId: 5, dest: 'n1' },
    ],
    [
      '{"src":"c1","dest":"n1","body":{"type":"read","msg_id":-1}}',
      'body.msg_id: expected a non-negative integer, got -1',
      undefined,
    ],
    [
      '{"src":"c1","dest":"n1","body":{"type":"read","msg_id":1.5}}',
      'body.msg_id: expected a non-negative integer, got 1.5',
      undefined,
    ],
    [
      '{"src":"c1","dest":"n1","body":{"type":"read","msg_id":2,"in_reply_to":"x"}}',
      'body.in_reply_to: expected a non-negative integer, got "x"',
      { src: 'c1', msgId: 2, dest: 'n1' },
    ],
  ]
  it.each(refused)('refuses %s', (line, reason, replyTo) => {
    const parsed = parseEnvelope(line)
    expect(parsed.ok).toBe(false)
    if (parsed.ok) return
    expect(parsed.reason.startsWith(reason)).toBe(true)
    expect(parsed.replyTo).toEqual(replyTo)
  })
})

describe('LineSplitter', () => {
  function split(chunks: Array<string | Uint8Array>, maxLineBytes?: number) {
    const lines: string[] = []
    const oversized: number[] = []
    const invalid: string[] = []
    const splitter = new LineSplitter({
      onLine: (line) => lines.push(line),
      onOversizedLine: (bytes) => oversized.push(bytes),
      onInvalidLine: (reason) => invalid.push(reason),
      ...(maxLineBytes !== undefined ? { maxLineBytes } : {}),
    })
    for (const chunk of chunks) splitter.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)
    splitter.end()
    return { lines, oversized, invalid }
  }

  it('joins lines split across chunks, drops empty lines and \\r, keeps a last line without newline', () => {
    expect(split(['{"a":', '1}\n\n{"b":2}\r\n{"c"', ':3}']).lines).toEqual(['{"a":1}', '{"b":2}', '{"c":3}'])
  })

  it('keeps multi-byte characters split across chunks intact', () => {
    const bytes = Buffer.from('"héllo 🌍"\n')
    expect(split([bytes.subarray(0, 3), bytes.subarray(3, 9), bytes.subarray(9)]).lines).toEqual([
      '"héllo 🌍"',
    ])
  })

  it('skips an oversized line without buffering it, reports it once, and carries on', () => {
    const result = split(['ok1\n', 'x'.repeat(30), 'y'.repeat(30), 'z\nok2\n'], 50)
    expect(result.lines).toEqual(['ok1', 'ok2'])
    expect(result.oversized).toEqual([61])
    expect(split(['x'.repeat(50), '\n']).lines).toEqual(['x'.repeat(50)])
  })

  it('refuses a line that is not UTF-8', () => {
    const result = split([Uint8Array.of(0xff, 0xfe, 0x0a), Buffer.from('fine\n')])
    expect(result.lines).toEqual(['fine'])
    expect(result.invalid).toEqual(['line is not valid UTF-8'])
  })

  it('refuses a bad limit', () => {
    expect(() => new LineSplitter({ onLine: () => {}, maxLineBytes: 0 })).toThrow(
      'maxLineBytes: expected a positive integer, got 0',
    )
  })
})

describe('JSON keys and values', () => {
  it('compares deeply and ignores member order', () => {
    expect(canonicalJson({ b: 1, a: [2, { d: 3, c: null }] })).toBe('{"a":[2,{"c":null,"d":3}],"b":1}')
    expect(jsonEquals({ a: 1, b: 2 }, { b: 2, a: 1 })).toBe(true)
    expect(jsonEquals(1, '1')).toBe(false)
    expect(jsonEquals(null, 0)).toBe(false)
  })
})
