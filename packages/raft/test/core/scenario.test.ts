/**
 * Golden scenario tests in the etcd style: each file in `scenarios/` is a script
 * of commands, each followed by `----` and the transcript it must produce
 * (messages delivered, states). Rewrite the transcripts with
 * `RAFT_REWRITE=1 pnpm exec vitest run test/core/scenario` and review the diff.
 *
 * Commands: `cluster <ids...> [seed=N] [pre-vote=false] [check-quorum=false]`,
 * `campaign <id>`, `propose <id> <text>`, `tick <n> [quiet]` (quiet: events only), `deliver` (one round),
 * `stabilize`, `isolate <id>`, `heal`, `transfer <from> <to>`, `read <id> <request>`,
 * `compact <id>` (snapshot at the applied index), `status`, `log <id>`, `applied <id>`.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { RaftMessage } from '../../src/index.js'
import { Cluster, dec, enc } from './helpers.js'

const dir = join(import.meta.dirname, 'scenarios')

function formatMessage(m: RaftMessage): string {
  const head = `${m.from}->${m.to} ${m.type} t${m.term}`
  switch (m.type) {
    case 'request-vote':
    case 'pre-vote':
      return `${head} last=${m.lastLogIndex}@${m.lastLogTerm}${m.transfer ? ' transfer' : ''}`
    case 'request-vote-response':
    case 'pre-vote-response':
      return `${head} ${m.granted ? 'granted' : 'rejected'}`
    case 'append-entries': {
      const entries = m.entries.map(
        (e) => `${e.index}@${e.term}${e.kind === 'normal' ? `:${dec(e.data)}` : `:${e.kind}`}`,
      )
      return `${head} prev=${m.prevLogIndex}@${m.prevLogTerm} commit=${m.commit} [${entries.join(' ')}]`
    }
    case 'append-entries-response':
      return m.success
        ? `${head} ok match=${m.matchIndex}`
        : `${head} reject at=${m.rejectIndex} hint=${m.conflictIndex}@${m.conflictTerm}`
    case 'heartbeat':
      return `${head} commit=${m.commit} round=${m.round}`
    case 'heartbeat-response':
      return `${head} round=${m.round}`
    case 'install-snapshot':
      return `${head} snapshot=${m.meta.index}@${m.meta.term} offset=${m.offset} bytes=${m.data.length}`
    case 'install-snapshot-response':
      return `${head} snapshot=${m.snapshotIndex} next=${m.nextOffset}${m.done ? ' done' : ''}`
    case 'timeout-now':
      return head
    case 'read-index':
      return `${head} ${m.requestId}`
    case 'read-index-response':
      return `${head} ${m.requestId} index=${m.index}${m.success ? '' : ' failed'}`
  }
}

function run(script: string): string {
  let c: Cluster | null = null
  const out: string[] = []
  let output: string[] = []
  const cluster = (): Cluster => {
    if (!c) throw new Error('no cluster: start with `cluster`')
    return c
  }
  const blocks = script.split(/\n(?=\S)/).filter((b) => b.trim() !== '')
  for (const block of blocks) {
    const lines = block.split('\n')
    const command = (lines[0] as string).trim()
    if (command.startsWith('#')) {
      out.push(lines.join('\n').trimEnd())
      continue
    }
    output = []
    let quiet = false
    const [verb, ...args] = command.split(/\s+/) as [string, ...string[]]
    /** Runs `action` on the cluster and prints the messages delivered meanwhile (unless quiet). */
    const observe = (action: (cl: Cluster) => void) => {
      const cl = cluster()
      const before = cl.delivered.length
      action(cl)
      if (quiet) return
      for (const m of cl.delivered.slice(before)) output.push(formatMessage(m))
    }
    switch (verb) {
      case 'cluster': {
        const ids = args.filter((a) => !a.includes('='))
        const opts = Object.fromEntries(args.filter((a) => a.includes('=')).map((a) => a.split('=')))
        c = new Cluster({
          ids,
          seed: Number(opts.seed ?? 1),
          config: {
            preVote: opts['pre-vote'] !== 'false',
            checkQuorum: opts['check-quorum'] !== 'false',
            ...(opts.chunk ? { snapshotChunkBytes: Number(opts.chunk) } : {}),
          },
        })
        c.onReady = (id, ready) => {
          for (const e of ready.events) {
            if (e.type === 'role-changed') output.push(`${id} became ${e.role} in term ${e.term}`)
          }
          for (const r of ready.readStates) output.push(`${id} read ${r.requestId} at index ${r.index}`)
        }
        break
      }
      case 'campaign':
        observe((cl) => {
          cl.node(args[0] as string).campaign()
          cl.stabilize()
        })
        break
      case 'propose':
        observe((cl) => {
          try {
            cl.node(args[0] as string).propose(enc(args.slice(1).join(' ')))
          } catch (error) {
            output.push(`error: ${(error as Error).message}`)
          }
          cl.stabilize()
        })
        break
      case 'transfer':
        observe((cl) => {
          cl.node(args[0] as string).transferLeadership(args[1] as string)
          cl.stabilize()
        })
        break
      case 'read':
        observe((cl) => {
          cl.node(args[0] as string).readIndex(args[1] as string)
          cl.stabilize()
        })
        break
      case 'tick':
        quiet = args[1] === 'quiet'
        observe((cl) => cl.tickAll(Number(args[0] ?? 1)))
        break
      case 'deliver':
        observe((cl) => {
          cl.processAll()
          cl.deliverAll()
        })
        break
      case 'stabilize':
        observe((cl) => cl.stabilize())
        break
      case 'compact': {
        const id = args[0] as string
        const meta = cluster().compact(id)
        output.push(`${id} snapshot at ${meta.index}@${meta.term}, ${meta.sizeBytes} bytes`)
        break
      }
      case 'isolate':
        cluster().isolate(args[0] as string)
        break
      case 'heal':
        cluster().heal()
        break
      case 'status':
        for (const node of cluster().nodes.values()) {
          const s = node.status()
          output.push(
            `${s.id}: ${s.role} term=${s.term} lead=${s.leaderId ?? '-'} commit=${s.commit} last=${s.lastIndex}@${s.lastTerm}`,
          )
        }
        break
      case 'log': {
        const node = cluster().node(args[0] as string)
        for (const e of node.entries(1, node.status().lastIndex))
          output.push(`${e.index}@${e.term} ${e.kind}${e.kind === 'normal' ? ` ${dec(e.data)}` : ''}`)
        break
      }
      case 'applied':
        output.push(
          cluster()
            .appliedData(args[0] as string)
            .join(' ') || '(nothing)',
        )
        break
      default:
        throw new Error(`unknown command: ${command}`)
    }
    out.push(`${command}\n----\n${output.length > 0 ? output.join('\n') : 'ok'}`)
  }
  return `${out.join('\n\n')}\n`
}

/** The commands of a scenario file, without their expected output. */
function commandsOf(text: string): string {
  const commands: string[] = []
  let skipping = false
  for (const line of text.split('\n')) {
    if (line === '----') {
      skipping = true
      continue
    }
    if (line.trim() === '') {
      skipping = false
      continue
    }
    if (!skipping) commands.push(line)
  }
  return commands.join('\n')
}

describe('golden scenarios', () => {
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.txt'))) {
    it(file, () => {
      const path = join(dir, file)
      const text = readFileSync(path, 'utf8')
      const actual = run(commandsOf(text))
      if (process.env.RAFT_REWRITE) writeFileSync(path, actual)
      else expect(actual).toBe(text)
    })
  }
})
