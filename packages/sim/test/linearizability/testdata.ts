/**
 * Finds the linearizability test vectors: the copy vendored next to the tests,
 * plus the shared folder (`SYNOD_LINEARIZABILITY_DATA`, or `shared/testdata/linearizability`
 * beside the repository's root when it exists), so files added there
 * are checked with no code change. A file present in both is checked once (the
 * shared one wins).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const vendoredDataDirectory = fileURLToPath(new URL('./data/', import.meta.url))

export function dataDirectories(): string[] {
  const shared =
    process.env.SYNOD_LINEARIZABILITY_DATA ??
    fileURLToPath(new URL('../../../../../shared/testdata/linearizability', import.meta.url))
  return existsSync(shared) ? [vendoredDataDirectory, shared] : [vendoredDataDirectory]
}

export interface Vector {
  /** e.g. `jepsen-etcd/etcd_000.log` */
  name: string
  path: string
  format: 'jepsen' | 'edn'
  model: 'register' | 'kv'
  expected: 'ok' | 'illegal'
}

/** Every history with a known verdict, keyed by its path relative to the data folder. */
export function vectors(): Vector[] {
  const found = new Map<string, Vector>()
  for (const directory of dataDirectories()) {
    const etcd = join(directory, 'jepsen-etcd')
    if (existsSync(etcd)) {
      const verdicts = new Map<string, boolean>()
      for (const line of readFileSync(join(etcd, 'VERDICTS.txt'), 'utf8').split('\n')) {
        const [file, verdict] = line.trim().split(/\s+/)
        if (file === undefined || file === '') continue
        if (verdict !== 'true' && verdict !== 'false') throw new Error(`VERDICTS.txt: bad line ${line}`)
        verdicts.set(file, verdict === 'true')
      }
      for (const file of readdirSync(etcd).filter((name) => name.endsWith('.log'))) {
        const verdict = verdicts.get(file)
        if (verdict === undefined) throw new Error(`${join(etcd, file)} has no line in VERDICTS.txt`)
        found.set(`jepsen-etcd/${file}`, {
          name: `jepsen-etcd/${file}`,
          path: join(etcd, file),
          format: 'jepsen',
          model: 'register',
          expected: verdict ? 'ok' : 'illegal',
        })
      }
    }
    const kv = join(directory, 'kv')
    if (existsSync(kv)) {
      for (const file of readdirSync(kv)) {
        const match = /^c\d+-(ok|bad)\.txt$/.exec(file)
        if (match === null) continue
        found.set(`kv/${file}`, {
          name: `kv/${file}`,
          path: join(kv, file),
          format: 'edn',
          model: 'kv',
          expected: match[1] === 'ok' ? 'ok' : 'illegal',
        })
      }
    }
  }
  return [...found.values()].sort((a, b) => a.name.localeCompare(b.name))
}
