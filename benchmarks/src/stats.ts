import type { BenchResult } from './harness.js'

/** The median of a non-empty list (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('values: expected at least one sample, got 0')
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

/**
 * Folds our samples (and the peer's) into one result row. The ratio is > 1 when
 * we are ahead: ours/peer for higher-is-better units, peer/ours otherwise.
 */
export function summarize(input: {
  name: string
  unit: string
  lowerIsBetter?: boolean
  samples: number[]
  peer?: { name: string; version: string; samples: number[] }
  note?: string
}): BenchResult {
  const result: BenchResult = {
    name: input.name,
    unit: input.unit,
    median: median(input.samples),
    min: Math.min(...input.samples),
    max: Math.max(...input.samples),
    samples: input.samples,
  }
  if (input.peer) {
    const peerMedian = median(input.peer.samples)
    result.peer = { name: input.peer.name, version: input.peer.version, median: peerMedian }
    const ratio = input.lowerIsBetter ? peerMedian / result.median : result.median / peerMedian
    if (Number.isFinite(ratio)) result.ratio = ratio
  }
  if (input.note) result.note = input.note
  return result
}

/** Formats a value with 3 significant digits and an SI suffix for large numbers. */
export function formatValue(value: number): string {
  if (!Number.isFinite(value)) return String(value)
  const abs = Math.abs(value)
  if (abs >= 1e9) return `${(value / 1e9).toPrecision(3)}G`
  if (abs >= 1e6) return `${(value / 1e6).toPrecision(3)}M`
  if (abs >= 1e4) return `${(value / 1e3).toPrecision(3)}k`
  if (abs === 0) return '0'
  if (abs >= 1) return Number(value.toPrecision(4)).toString()
  return value.toPrecision(3)
}

/** A markdown table of result rows. */
export function markdownTable(results: readonly BenchResult[]): string {
  const lines = [
    '| case | unit | median | min | max | peer | peer median | ratio |',
    '|---|---|---:|---:|---:|---|---:|---:|',
  ]
  for (const r of results) {
    const peer = r.peer ? `${r.peer.name}@${r.peer.version}` : ''
    const peerMedian = r.peer ? formatValue(r.peer.median) : ''
    const ratio = r.ratio === undefined ? '' : `${r.ratio.toFixed(2)}×`
    lines.push(
      `| ${r.name} | ${r.unit} | ${formatValue(r.median)} | ${formatValue(r.min)} | ${formatValue(r.max)} | ${peer} | ${peerMedian} | ${ratio} |`,
    )
  }
  return lines.join('\n')
}
