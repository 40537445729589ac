/** One part of the demo: a title and a run that returns the lines to print. */
export interface Scene {
  title: string
  run(seed: number): Promise<string[]> | string[]
}

/** Reads `--seed N` (default 1) and refuses anything else with an exact message. */
export function parseSeed(argv: readonly string[]): number {
  let seed = 1
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--') continue
    if (arg === '--seed') {
      const value = argv[++i]
      const parsed = Number(value)
      if (value === undefined || !Number.isSafeInteger(parsed) || parsed < 0) {
        throw new RangeError(`--seed: expected a non-negative integer, got ${value ?? 'nothing'}`)
      }
      seed = parsed
    } else {
      throw new RangeError(`unknown argument ${arg}: expected --seed N`)
    }
  }
  return seed
}

/** Formats virtual milliseconds for the story. */
export const ms = (value: number) => `${Math.round(value)} ms`
