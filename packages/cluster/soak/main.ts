/**
 * `pnpm soak` (not in CI): 5 node processes on 127.0.0.1 under 60 s of mixed load (calls, numbered
 * casts, global registrations) while one node is killed with SIGKILL every 10 s and started again
 * with the same identity. Prints throughput per second, the kills, every call's outcome, lost replies,
 * cast order and loss, registry figures, memory over time, and the reliability report table.
 *
 *   pnpm soak [--seconds 60] [--nodes 5] [--kill-every 10] [--cast-rate 12000] [--callers 24] …
 *
 * Kills rotate over node2…nodeN (node1, the first seed, lives through, so one memory series spans
 * the run). Exit code 1 if any reply was lost or any cast came out of order; 2 if the run itself
 * failed. Every node process is ended by its pid on every way out (end, error, SIGINT, SIGTERM).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { account, byName } from './accounts.js'
import { killAll, running } from './children.js'
import { busyPercent, machineCpu } from './machine.js'
import { SoakCluster } from './cluster.js'
import type { KillRecord } from './cluster.js'
import { parseOptions } from './options.js'
import { buildReport } from './rows.js'
import { table, Tally } from './tally.js'
import { now } from './wire.js'
import type { Stats } from './wire.js'

const out = (s = ''): void => { process.stdout.write(s + '\n') }
const sleepUntil = async (t: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, Math.max(0, t - now()))) }
const k = (n: number): string => `${(n / 1000).toFixed(1)}k`

// `pnpm soak -- --seconds 20` passes the `--` on
const o = (() => {
  try {
    return parseOptions(process.argv.slice(2).filter(a => a !== '--'))
  } catch (err) {
    process.stderr.write(`soak: ${(err as Error).message}\n`)
    process.exit(2)
  }
})()
const home = mkdtempSync(join(tmpdir(), 'gen-cluster-soak-'))
process.on('exit', () => { killAll(); rmSync(home, { recursive: true, force: true }) })
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => { process.exit(130) })

/** Every node must hold exactly one `….home` name per live incarnation, and nothing else (the load unregistered its names). */
function namesProblems (final: Stats[], cluster: SoakCluster): string[] {
  const expected = [...cluster.current.values()].map(p => `soak.${p.name.split('@')[0] ?? ''}.${p.creation ?? ''}.home`).sort()
  const problems: string[] = []
  if (final.length !== cluster.current.size) problems.push(`${final.length} of ${cluster.current.size} nodes answered`)
  for (const s of final) {
    const names = s.names ?? []
    const missing = expected.filter(n => !names.includes(n))
    const extra = names.filter(n => !expected.includes(n))
    if (missing.length > 0 || extra.length > 0) problems.push(`${s.node}: missing ${JSON.stringify(missing)}, extra ${JSON.stringify(extra)}`)
  }
  return problems
}

async function run (): Promise<number> {
  out(`soak: ${o.nodes} nodes, ${o.seconds} s of load, kill -9 every ${o.killEvery} s; per node: ${o.callers} callers, ${o.casters} casters at ${o.castRate} casts/s, ${o.registrars} registrars, ${o.sinks} sinks; call timeout ${o.callTimeout} ms (+${o.margin} ms: lost)`)
  out(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), Node ${process.version}, load average ${loadavg().map(x => x.toFixed(2)).join(' ')} at start`)
  const tally = new Tally()
  const cluster = new SoakCluster(o, home, tally)
  const t = now()
  await cluster.start()
  out(`cluster of ${o.nodes} up in ${((now() - t) / 1000).toFixed(1)} s; load starts`)
  tally.t0 = now()
  const cpuAtStart = machineCpu()
  cluster.startLoad()
  const victims = cluster.names.slice(1)
  const kills: KillRecord[] = []
  for (let i = 1; o.killEvery > 0 && i * o.killEvery < o.seconds; i++) {
    await sleepUntil(tally.t0 + i * o.killEvery * 1000)
    const r = await cluster.killAndRestart(victims[(i - 1) % victims.length] as string)
    kills.push(r)
    out(`${((r.at - tally.t0) / 1000).toFixed(1)} s: killed ${r.victim} (creation ${r.creation ?? '?'}), ` +
      (r.error ?? `ready again ${(((r.backAt ?? 0) - r.at) / 1000).toFixed(2)} s later as creation ${r.newCreation ?? '?'}`))
  }
  await sleepUntil(tally.t0 + o.seconds * 1000)
  const cpuAtEnd = machineCpu()
  const loadEnd = now()
  const late = await cluster.stopLoad(o.callTimeout + o.margin + 6000)
  const stoppedAt = now()
  let final: Stats[] = []
  let previous = ''
  for (const until = now() + 10_000; now() < until;) {
    final = await cluster.final()
    const signature = JSON.stringify(final.map(s => [s.casts.received, s.names]))
    if (signature === previous) break
    previous = signature
    await new Promise(resolve => setTimeout(resolve, 500))
  }
  out(`load stopped at ${((stoppedAt - tally.t0) / 1000).toFixed(1)} s; drained in ${((now() - stoppedAt) / 1000).toFixed(1)} s`)

  const bins = tally.perSecond(o.seconds)
  const acc = account(cluster, tally, stoppedAt)
  const memory = tally.memoryGrowth()
  const report = buildReport(o, tally, bins, kills, acc, { late, names: namesProblems(final, cluster), memory: memory.problems, errors: cluster.errors })

  out('\n== throughput: operations per second over the cluster (call = 1, cast = 1, registry operation = 1) ==')
  for (let s = 0; s < bins.length; s += 10) out(`${String(s).padStart(3)}–${String(Math.min(s + 9, bins.length - 1)).padStart(2)} s: ${bins.slice(s, s + 10).map(b => k(b.calls + b.casts + b.reg).padStart(6)).join(' ')}`)
  const total = (f: (b: typeof bins[number]) => number): number => bins.reduce((a, b) => a + f(b), 0) / Math.max(1, bins.length)
  const perSec = bins.map(b => b.calls + b.casts + b.reg)
  out(`mean ${Math.round(total(b => b.calls + b.casts + b.reg))} ops/s (calls ${Math.round(total(b => b.calls))}/s, casts ${Math.round(total(b => b.casts))}/s, registry ${Math.round(total(b => b.reg))}/s); lowest second ${Math.round(Math.min(...perSec))}, highest ${Math.round(Math.max(...perSec))}; ` +
    `seconds ≥ ${o.target}: ${perSec.filter(x => x >= o.target).length}/${perSec.length}; messages on the wire ≈ ${Math.round(total(b => 2 * b.calls + b.casts + b.reg))}/s (a call is a request and a reply)`)
  const cores = cpus().length
  const nodesBusy = 100 * tally.cpuSeconds(loadEnd) / ((loadEnd - tally.t0) / 1000) / cores
  const machineBusy = busyPercent(cpuAtStart, cpuAtEnd)
  out(`CPU during the load: the node processes used ${nodesBusy.toFixed(0)} % of the ${cores} cores; the whole machine was ${machineBusy === undefined ? '?' : machineBusy.toFixed(0)} % busy ` +
    `(the rest: other processes, the coordinator, the kernel); load average ${loadavg().map(x => x.toFixed(2)).join(' ')} at the end`)

  out('\n== kills ==')
  out(table([['at (s)', 'node', 'creation', 'new creation', 'ready for load after (s)', 'seen up by every other node after (s)'], ...kills.map((r, i) => [
    ((r.at - tally.t0) / 1000).toFixed(1), r.victim, String(r.creation ?? '?'), String(cluster.all.filter(p => p.name === r.victim)[1 + Math.floor(i / victims.length)]?.creation ?? '?'),
    r.backAt === undefined ? r.error ?? '-' : ((r.backAt - r.at) / 1000).toFixed(2), r.seenAt === undefined ? '-' : ((r.seenAt - r.at) / 1000).toFixed(2)
  ])]))
  const restarts = cluster.homes.slice(o.nodes)
  if (restarts.length > 0) out(`a restarted node's own first registerName (its home name) took ${restarts.map(h => `${(h.ms / 1000).toFixed(2)} s${h.attempts > 1 ? ` (${h.attempts} attempts)` : ''}`).join(', ')}`)

  const c = acc.casts
  out('\n== calls ==')
  out(`started ${acc.calls.started}, replies ${acc.calls.replies}, wrong replies ${acc.calls.wrong}, typed errors: ${byName(acc.calls.errors)}`)
  out(`lost replies (outstanding > ${o.callTimeout} + ${o.margin} ms): ${acc.lostReplies}`)
  out('\n== casts ==')
  out(`sent ${c.sent}, received ${c.received}, held back (link > 1 MiB queued) ${c.held}; order violations ${c.violations}; sequence gaps ${c.gaps}`)
  out(`lost between incarnations that lived to the end: ${c.lostLive}; lost to kills (to or from a killed incarnation, counts up to 1 s old): ${c.lostToKills}`)
  out('\n== global registry ==')
  out(`registered ${acc.reg.registered}, refused ${acc.reg.refused}, unregistered ${acc.reg.unregistered}, lookups ${acc.reg.lookups} (missed ${acc.reg.lookupMiss}), errors: ${byName(acc.reg.errors)}; names held at the end: ${final.map(s => `${s.node.split('@')[0] ?? ''} ${s.names?.length ?? '?'}`).join(', ')}`)
  out('\n== node:down seen ==')
  const downs = cluster.events.filter(e => e.ev === 'node:down' && e.t <= stoppedAt)
  out(`${downs.length} (${byName(downs.reduce<Record<string, number>>((m, e) => { m[e.reason ?? '?'] = (m[e.reason ?? '?'] ?? 0) + 1; return m }, {}))}); about nodes nobody killed: ${acc.falseDowns.length}`)
  out('\n== memory over time, MB: rss / live heap (heapUsed after a full GC) / external; * = restarted incarnation; - = not running ==')
  out(tally.memoryTable(cluster.names, o.seconds))
  out(`growth per incarnation, from 10 s after its start (live heap fails 'memory bounded' over +50 % and +16 MB; rss flagged over +50 % and +32 MB):\n  ${memory.lines.join('\n  ')}`)
  out('')
  report.print()
  await cluster.end()
  out(`\nnode processes left: ${running.size}; lost replies ${acc.lostReplies}, order violations ${c.violations}`)
  return acc.lostReplies > 0 || c.violations > 0 ? 1 : 0
}

try {
  process.exit(await run())
} catch (err) {
  process.stderr.write(`soak failed: ${(err as Error).stack ?? String(err)}\n`)
  process.exit(2)
}
