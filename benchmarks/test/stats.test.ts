import { describe, expect, it } from 'vitest'
import { formatValue, markdownTable, median, summarize } from '../src/stats.js'

describe('benchmark statistics', () => {
  it('takes the median of odd and even counts without reordering the input', () => {
    const samples = [5, 1, 3]
    expect(median(samples)).toBe(3)
    expect(samples).toEqual([5, 1, 3])
    expect(median([4, 1, 3, 2])).toBe(2.5)
    expect(() => median([])).toThrow('values: expected at least one sample, got 0')
  })

  it('computes the ratio in our favour for both kinds of unit', () => {
    const faster = summarize({
      name: 'x',
      unit: 'ops/s',
      samples: [200, 210, 190],
      peer: { name: 'p', version: '1', samples: [100, 90, 110] },
    })
    expect(faster.ratio).toBe(2)
    const quicker = summarize({
      name: 'y',
      unit: 'ms',
      lowerIsBetter: true,
      samples: [2, 2, 2],
      peer: { name: 'p', version: '1', samples: [6, 6, 6] },
    })
    expect(quicker.ratio).toBe(3)
    expect(quicker).toMatchObject({ median: 2, min: 2, max: 2, peer: { median: 6 } })
  })

  it('leaves the ratio out when it is not finite', () => {
    const zero = summarize({
      name: 'd',
      unit: 'duplicates',
      lowerIsBetter: true,
      samples: [0],
      peer: { name: 'p', version: '1', samples: [0] },
    })
    expect(zero.ratio).toBeUndefined()
  })

  it('formats values and tables', () => {
    expect(formatValue(1_234_567)).toBe('1.23M')
    expect(formatValue(12_345)).toBe('12.3k')
    expect(formatValue(0.01234)).toBe('0.0123')
    const table = markdownTable([summarize({ name: 'n', unit: 'u', samples: [1] })])
    expect(table.split('\n')).toHaveLength(3)
    expect(table).toContain('| n | u | 1 | 1 | 1 |')
  })
})
