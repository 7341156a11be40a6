/**
 * The deterministic simulation, from the command line:
 *
 *   pnpm sim                      100 seeds (1…100) of 10 nodes
 *   pnpm sim -- --seeds 500       seeds 1…500
 *   pnpm sim -- --seed 1234       one seed, with its faults and any problems in full
 *   pnpm sim -- --nodes 50        node count (default 10)
 *   pnpm sim -- --from 1000       first seed of a run of --seeds (default 1)
 *   pnpm sim -- --settle 30000    virtual ms to settle after healing, before the checks (default 5000)
 *   pnpm sim -- --faults crash,delay   only these kinds of fault (default: all)
 *   pnpm sim -- --lossy           lost frames vanish, links stay up (outside the transport's promise)
 *
 * Prints one row per scenario; exits non-zero if any invariant failed, naming the seeds to replay.
 */
import { parseArgs } from 'node:util'
import { ALL_KINDS, describe } from './scenario.js'
import type { FaultKind } from './scenario.js'
import { runSeed } from './runner.js'
import type { Result } from './runner.js'
import { ReliabilityReport } from '../test/report.js'

const { values } = parseArgs({
  // `pnpm sim -- --seeds 5` passes the `--` on
  args: process.argv.slice(2).filter(a => a !== '--'),
  options: {
    seeds: { type: 'string' },
    seed: { type: 'string' },
    nodes: { type: 'string' },
    from: { type: 'string' },
    settle: { type: 'string' },
    lossy: { type: 'boolean' },
    faults: { type: 'string' }
  }
})

const nodes = int('nodes', values.nodes ?? '10')
const from = int('from', values.from ?? '1')
const seeds = values.seed !== undefined ? [int('seed', values.seed)] : Array.from({ length: int('seeds', values.seeds ?? '100') }, (_, i) => from + i)
const verbose = values.seed !== undefined
const settleMs = int('settle', values.settle ?? '5000')
const kinds = values.faults === undefined ? ALL_KINDS : values.faults.split(',') as FaultKind[]
for (const k of kinds) {
  if (!ALL_KINDS.includes(k)) {
    console.error(`--faults expects a comma-separated list of ${ALL_KINDS.join(', ')}; got ${k}`)
    process.exit(2)
  }
}

const failed: Result[] = []
const totals = { faults: 0, checks: 0, passed: 0 }
/** Per fault kind: the scenarios that had it, their faults of that kind, and their checks. */
const byKind = new Map<FaultKind, { count: number, faults: number, checks: Array<{ name: string, problems: string[] }> }>()
const started = performance.now()
console.log(['seed', 'nodes', 'faults', 'virtual s', 'checks', 'fingerprint'].map(pad).join(''))
for (const seed of seeds) {
  const r = await runSeed(seed, { nodes, settleMs, lossy: values.lossy === true, kinds })
  const passed = r.checks.filter(c => c.problems.length === 0).length
  totals.faults += r.scenario.faults.length
  totals.checks += r.checks.length
  totals.passed += passed
  const drawn = r.scenario.faults.map(f => f.kind).join(',')
  console.log([String(seed), String(nodes), String(r.scenario.faults.length), (r.virtualMs / 1000).toFixed(1), `${passed}/${r.checks.length}${r.ok ? '' : ' FAIL'}`, r.fingerprint].map(pad).join('') + drawn)
  for (const kind of new Set(r.scenario.faults.map(f => f.kind))) {
    const row = byKind.get(kind) ?? { count: 0, faults: 0, checks: [] }
    row.count++
    row.faults += r.scenario.faults.filter(f => f.kind === kind).length
    row.checks.push(...r.checks.map(c => ({ name: `seed ${seed} ${c.name}`, problems: c.problems })))
    byKind.set(kind, row)
  }
  if (verbose) for (const f of r.scenario.faults) console.log(`    ${describe(f)}`)
  if (verbose) console.log(`    calls: ${r.traffic}`)
  if (!r.ok) {
    failed.push(r)
    for (const c of r.checks) for (const p of c.problems.slice(0, verbose ? undefined : 5)) console.log(`    ${c.name}: ${p}`)
  }
}
const report = new ReliabilityReport(`simulation by fault kind (a scenario counts under each kind it had; ${nodes} nodes)`)
for (const [kind, row] of [...byKind].sort()) report.add({ scenario: `with ${kind}`, count: row.count, faults: row.faults, checks: row.checks })
console.log('')
report.print()
const secs = ((performance.now() - started) / 1000).toFixed(1)
console.log(`\n${seeds.length} scenarios of ${nodes} nodes, ${seeds.length - failed.length} passed, ${failed.length} failed; ${totals.faults} faults injected; invariant checks ${totals.passed} passed, ${totals.checks - totals.passed} failed (${secs} s)`)
const extra = (values.faults !== undefined ? ` --faults ${values.faults}` : '') + (values.settle !== undefined ? ` --settle ${settleMs}` : '') + (values.lossy === true ? ' --lossy' : '')
for (const r of failed) console.log(`replay: pnpm sim -- --seed ${r.scenario.seed} --nodes ${nodes}${extra}`)
process.exitCode = failed.length > 0 ? 1 : 0

function int (name: string, s: string): number {
  const n = Number(s)
  if (!Number.isInteger(n) || n < 0) {
    console.error(`--${name} expects a non-negative integer, got ${s}`)
    process.exit(2)
  }
  return n
}

function pad (s: string): string {
  return s.padEnd(12)
}
