#!/usr/bin/env node
// Keeps every protocol core pure: `packages/*/src/core/**` may not read clocks,
// draw randomness, schedule work, await, or import Node built-ins. Time comes in
// as ticks and randomness from an injected PRNG, so every run replays from a seed.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))

/** [pattern, why] pairs; checked on code with comments and strings blanked out. */
export const forbidden = [
  [/\bsetTimeout\b|\bsetInterval\b|\bsetImmediate\b|\bqueueMicrotask\b|\bprocess\.nextTick\b/, 'timers'],
  [/\bDate\.now\b|\bnew Date\b|\bperformance\.now\b|\bprocess\.hrtime\b/, 'wall clock'],
  [/\bMath\.random\b|\bcrypto\.getRandomValues\b|\brandomBytes\b/, 'unseeded randomness'],
  [/\bPromise\b|\basync\b|\bawait\b/, 'promises'],
  [/\bfrom\s+['"]node:|\brequire\(\s*['"]node:|\bimport\(\s*['"]node:/, 'node: imports'],
  [/\bfrom\s+['"](fs|path|os|net|crypto|child_process|worker_threads|timers)['"]/, 'node built-in imports'],
]

/** Blanks comments and string/template contents, keeping line numbers. */
export function stripCommentsAndStrings(source) {
  return source
    .replace(/\/\*[\s\S]*?\*\//g, (m) => m.replace(/[^\n]/g, ' '))
    .replace(/\/\/[^\n]*/g, '')
    .replace(/(['"`])(?:\\.|(?!\1)[^\\\n])*\1/g, (m) =>
      m.startsWith("'") || m.startsWith('"') ? `''` : '``',
    )
}

function* walk(dir) {
  let entries
  try {
    entries = readdirSync(dir)
  } catch {
    return
  }
  for (const name of entries) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) yield* walk(path)
    else if (/\.(ts|mts|js|mjs)$/.test(name)) yield path
  }
}

/** Returns the forbidden uses found in one source text, as [line, why] pairs. */
export function findProblems(original) {
  const found = []
  const originalLines = original.split('\n')
  stripCommentsAndStrings(original)
    .split('\n')
    .forEach((line, index) => {
      for (const [pattern, why] of forbidden) {
        // imports keep their module specifier: check those on the original line
        const subject = /\b(from|require|import)\b/.test(line) ? originalLines[index] : line
        if (pattern.test(subject)) found.push([index + 1, why, subject.trim()])
      }
    })
  return found
}

// The rule checks itself first, so a broken pattern cannot pass silently.
const mustCatch = {
  'setTimeout(tick, 10)': 'timers',
  'const t = Date.now()': 'wall clock',
  'const r = Math.random()': 'unseeded randomness',
  'async function f() {}': 'promises',
  'return new Promise(() => {})': 'promises',
  "import { readFile } from 'node:fs'": 'node: imports',
  "import fs from 'fs'": 'node built-in imports',
}
const mustPass = [
  '// setTimeout in a comment is fine',
  "const message = 'call Date.now() elsewhere'",
  'const timeoutTicks = electionTimeoutTicks + random.int(0, 9)',
  "import type { NodeId } from '@synod/transport'",
]
for (const [code, why] of Object.entries(mustCatch)) {
  if (!findProblems(code).some(([, w]) => w === why)) {
    console.error(`core purity self-test: "${code}" was not reported as ${why}`)
    process.exit(1)
  }
}
for (const code of mustPass) {
  if (findProblems(code).length > 0) {
    console.error(`core purity self-test: "${code}" was reported but is allowed`)
    process.exit(1)
  }
}

const problems = []
let files = 0
for (const pkg of readdirSync(join(root, 'packages'))) {
  for (const file of walk(join(root, 'packages', pkg, 'src', 'core'))) {
    files++
    const original = readFileSync(file, 'utf8')
    const lines = stripCommentsAndStrings(original).split('\n')
    lines.forEach((line, index) => {
      for (const [pattern, why] of forbidden) {
        // imports keep their module specifier: check those on the original line
        const subject = /\b(from|require|import)\b/.test(line) ? original.split('\n')[index] : line
        if (pattern.test(subject))
          problems.push(`${relative(root, file)}:${index + 1}: ${why}: ${subject.trim()}`)
      }
    })
  }
}
if (problems.length > 0) {
  console.error(`core purity: ${problems.length} problem(s)\n${problems.join('\n')}`)
  process.exit(1)
}
console.log(`core purity: ${files} core file(s) clean`)
