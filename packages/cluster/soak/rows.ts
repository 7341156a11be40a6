/**
 * The soak's reliability report (`test/report.ts`): one row per time window of load (the first,
 * then one per kill, from that kill to the next), with its checks (no lost replies, order kept,
 * throughput, no false node-down, the killed node back), and a last row for the whole run.
 */
import { check, ReliabilityReport } from '../test/report.js'
import type { InvariantCheck } from '../test/report.js'
import type { Accounts } from './accounts.js'
import type { KillRecord } from './cluster.js'
import type { SoakOptions } from './options.js'
import type { Tally } from './tally.js'

export interface Ending {
  /** Nodes whose load loops had not ended in time after `stop`. */
  readonly late: string[]
  /** Nodes whose global names are not exactly the live incarnations' `….home` names. */
  readonly names: string[]
  readonly memory: string[]
  readonly errors: string[]
}

type Bins = Array<{ calls: number, casts: number, reg: number }>
const ops = (b: Bins[number]): number => b.calls + b.casts + b.reg
const sec = (t: number, t0: number): string => ((t - t0) / 1000).toFixed(1)

export function buildReport (o: SoakOptions, tally: Tally, bins: Bins, kills: KillRecord[], acc: Accounts, end: Ending): ReliabilityReport {
  const report = new ReliabilityReport(`soak: ${o.nodes} nodes, ${o.seconds} s, kill -9 every ${o.killEvery} s`)
  const edges = [0, ...kills.map(k => (k.at - tally.t0) / 1000), o.seconds]
  for (let i = 0; i + 1 < edges.length; i++) {
    const a = edges[i] as number
    const b = edges[i + 1] as number
    const kill = i === 0 ? undefined : kills[i - 1]
    const w = tally.window(a, b)
    const inside = bins.slice(Math.floor(a), Math.ceil(b))
    const rate = inside.length === 0 ? 0 : inside.reduce((s, x) => s + ops(x), 0) / inside.length
    const downs = acc.falseDowns.filter(d => (d.t - tally.t0) / 1000 >= a && (d.t - tally.t0) / 1000 < b)
    const checks: InvariantCheck[] = [
      check('no lost replies', w.overdue === 0 ? [] : [`${w.overdue} calls outstanding longer than ${o.callTimeout} + ${o.margin} ms`]),
      check('order kept', w.violations === 0 ? [] : [`${w.violations} casts out of order`]),
      check(`≥ ${o.target} ops/s`, rate >= o.target ? [] : [`${Math.round(rate)} ops/s`]),
      check('no false node:down', downs.map(d => `${d.node} saw ${d.peer} down (${d.reason}) at ${sec(d.t, tally.t0)} s`))
    ]
    let note = `${Math.round(rate)} ops/s`
    if (kill !== undefined) {
      const problems = kill.error !== undefined
        ? [kill.error]
        : kill.seenAt === undefined ? ['not seen up by every node within 15 s'] : []
      checks.push(check('killed node back, seen by all', problems))
      if (kill.backAt !== undefined) note += `; ready ${((kill.backAt - kill.at) / 1000).toFixed(2)} s after the kill`
      if (kill.seenAt !== undefined) note += `, seen up by all at ${((kill.seenAt - kill.at) / 1000).toFixed(2)} s`
    }
    const name = kill === undefined
      ? `load ${a.toFixed(0)}–${b.toFixed(0)} s`
      : `kill ${kill.victim.split('@')[0] ?? ''} at ${a.toFixed(0)} s (to ${b.toFixed(0)} s)`
    report.add({ scenario: name, faults: kill === undefined ? 0 : 1, checks, note })
  }
  const c = acc.casts
  report.add({
    scenario: 'whole run, then drain',
    faults: kills.length,
    checks: [
      check('no lost replies', acc.lostReplies === 0 ? [] : [`${acc.lostReplies} calls never ended within timeout + margin`]),
      check('order kept', c.violations === 0 ? [] : c.samples),
      check('replies match requests', acc.calls.wrong === 0 ? [] : [`${acc.calls.wrong} wrong replies`]),
      check('casts between live incarnations delivered', [
        ...(c.lostLive === 0 ? [] : [`${c.lostLive} casts lost between incarnations that lived to the end`]),
        ...(c.gaps === 0 ? [] : [`${c.gaps} sequence numbers skipped`])
      ]),
      check('register / whereis consistent', [
        ...(acc.reg.refused === 0 ? [] : [`registerName refused a fresh name ${acc.reg.refused} times`]),
        ...(acc.reg.lookupMiss === 0 ? [] : [`whereisName missed a name just registered ${acc.reg.lookupMiss} times`])
      ]),
      check('global names: the live incarnations\' on every node', end.names),
      check('memory bounded', end.memory),
      check('load ended after stop', end.late.map(n => `${n}: load loops still running`)),
      check('nodes reported no errors', end.errors)
    ],
    note: `${acc.calls.started} calls, ${c.sent} casts`
  })
  return report
}
