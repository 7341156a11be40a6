/**
 * Real network partitions: five cluster nodes, each an OS process in a network namespace of its
 * own with its own address, on one bridge (`lab.ts`). Links are cut on the wire (packets dropped
 * silently in the switch), symmetric and one-way, then restored; then every node's traffic is
 * delayed 50 ms and 5 % of it lost. After every scenario: membership converges (same pidlist
 * everywhere), each global name has exactly one holder, every callback ran once, every call ended
 * with a reply or a typed error, and each pair's messages kept their order (`checks.ts`).
 *
 * Impairment uses `tc netem` when the kernel has it. The kernel these tests were written on has no
 * netem (CONFIG_NET_SCH_NETEM is not set), so then each node's egress goes through a TUN device and
 * `impair.py` (python3 stdlib) drops and delays its packets; the test prints which one ran.
 *
 * Needs root, `ip` and `tc` (iproute2); otherwise the suite says why and skips. Times (detection,
 * convergence, call latency) are printed as figures, never asserted: the machine is shared.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { check, ReliabilityReport } from '../report.js'
import type { InvariantCheck } from '../report.js'
import { agreement, callProblems } from './checks.js'
import { createLab, labUnavailable } from './lab.js'
import type { Impairment, Lab } from './lab.js'
import { CLUSTER_NAME, NetCluster, nodeOf } from './net-cluster.js'
import type { View } from './net-cluster.js'
import type { NodeEvent } from './ns-node.js'
import { runCut, settled } from './scenario.js'
import type { CutResult } from './scenario.js'

const SECRET = 'd7'.repeat(32)
const NODES = 5
const unavailable = labUnavailable()
if (unavailable !== undefined) process.stdout.write(`network-namespace partition tests skipped: ${unavailable}\n`)

const report = new ReliabilityReport('real partitions (network namespaces, 5 nodes)')
const figures: string[] = []
const fig = (s: string): void => { figures.push(s); process.stdout.write(`${s}\n`) }
const ms = (n: number): string => Number.isFinite(n) ? `${n.toFixed(0)} ms` : 'none'
const failed = (checks: readonly InvariantCheck[]): string[] => checks.filter(c => c.problems.length > 0).map(c => `${c.name}: ${c.problems.slice(0, 3).join('; ')}`)

let lab: Lab | undefined
const cluster = new NetCluster()
let home: string

/** The holder of the cluster's name, as `views` agree on it (a node index). */
const holderOf = (views: readonly View[]): number => cluster.byKey(views[0]?.leader ?? null)?.index ?? 1
const others = (but: readonly number[]): number[] => cluster.members.map(m => m.index).filter(i => !but.includes(i))
/** Calls across sides during a cut: each may end with a typed error; calls within a side must reply. */
async function callsAcross (side: readonly number[], other: readonly number[], calls: NodeEvent[], checks: InvariantCheck[]): Promise<void> {
  const [a, b] = [side[0] as number, other[0] as number]
  calls.push(...await Promise.all([cluster.call(a, b, 3000), cluster.call(b, a, 3000)]))
  const within = await Promise.all([side, other].filter(s => s.length > 1).map(async s => await cluster.call(s[0] as number, s[1] as number, 5000)))
  checks.push(check('calls within a side replied during the cut', callProblems(within, true)))
}
/** Waits until each side agrees on a holder of the cluster's name from its own side: both hold the name. */
async function holdersPerSide (sides: ReadonlyArray<readonly number[]>, checks: InvariantCheck[]): Promise<void> {
  const r = await cluster.until([CLUSTER_NAME], views => sides.flatMap(side => {
    const vs = views.filter(v => side.includes(cluster.members.find(m => m.node.name === v.node)?.index ?? 0))
    const leaders = new Set(vs.map(v => v.leader))
    const leader = [...leaders][0] ?? null
    if (leaders.size !== 1 || leader === null || !side.includes(cluster.byKey(leader)?.index ?? 0)) return [`side ${side.join(',')} sees holders ${[...leaders].map(l => l === null ? 'none' : nodeOf(l)).join(',')}`]
    return []
  }), 20_000)
  checks.push(check('each side holds the name during the cut', r.problems))
}
/** Registers `name` on each side during a cut: both succeed (a registry per side, as in Erlang's global). */
async function registerPerSide (sides: ReadonlyArray<readonly number[]>, name: string, checks: InvariantCheck[]): Promise<void> {
  const results = await Promise.all(sides.map(async side => await cluster.register(side[0] as number, name)))
  checks.push(check(`each side registers ${name} during the cut`, results.filter(r => r.ok !== true).map(r => `register ${name}: ${JSON.stringify(r)}`)))
}
function row (scenario: string, faults: number, r: CutResult, extra = ''): void {
  report.add({ scenario, faults, checks: r.checks, note: `detect ${ms(r.detectFirstMs)}–${ms(r.detectLastMs)}, converge ${ms(r.convergeMs)}${extra}` })
  fig(`${scenario}: node-down ${ms(r.detectFirstMs)} to ${ms(r.detectLastMs)} after the cut; views agree ${ms(r.convergeMs)} after the restore; ${r.takeovers} takeover(s)${extra}`)
}

describe.skipIf(unavailable !== undefined)('a cluster of five nodes, each in its own network namespace', () => {
  beforeAll(async () => {
    lab = createLab(NODES)
    home = mkdtempSync(join(tmpdir(), 'gen-cluster-netns-'))
    const t0 = performance.now()
    await cluster.start(lab, home, SECRET)
    await settled(cluster, [CLUSTER_NAME], 30_000)
    fig(`5 nodes up and converged in ${ms(performance.now() - t0)}`)
  }, 90_000)

  afterAll(async () => {
    await cluster.end()
    lab?.destroy()
    if (home !== undefined) rmSync(home, { recursive: true, force: true })
    report.print()
    process.stdout.write(`figures (2-core shared machine):\n${figures.map(f => `  ${f}`).join('\n')}\n`)
  }, 30_000)

  it('converges to one holder and identical pidlists after the holder\'s node is cut off both ways and reconnected, both sides holding the name meanwhile', async () => {
    const h = holderOf(await settled(cluster, [CLUSTER_NAME], 30_000))
    const rest = others([h])
    const r = await runCut(lab as Lab, cluster, {
      cuts: rest.flatMap(i => [[h, i], [i, h]] as const),
      severed: rest.map(i => [h, i] as const),
      names: ['svc:a'],
      takeovers: 1,
      during: async ({ checks, calls }) => {
        await holdersPerSide([[h], rest], checks)
        await registerPerSide([[h], rest], 'svc:a', checks)
        await callsAcross([h], rest, calls, checks)
      }
    })
    row(`symmetric cut isolating the holder n${h}`, rest.length * 2, r, `, holder after n${holderOf(r.views)}`)
    expect(failed(r.checks)).toEqual([])
  }, 120_000)

  it('converges after a symmetric 2|3 split heals, each side having held the name', async () => {
    const before = holderOf(await settled(cluster, [CLUSTER_NAME], 30_000))
    const [left, right] = [[1, 2], [3, 4, 5]]
    const r = await runCut(lab as Lab, cluster, {
      cuts: left.flatMap(a => right.flatMap(b => [[a, b], [b, a]] as const)),
      severed: left.flatMap(a => right.map(b => [a, b] as const)),
      names: ['svc:b'],
      takeovers: 1,
      during: async ({ checks, calls }) => {
        await holdersPerSide([left, right], checks)
        await registerPerSide([left, right], 'svc:b', checks)
        await callsAcross(left, right, calls, checks)
      }
    })
    row('symmetric 2|3 split {n1,n2}|{n3,n4,n5}', 12, r, `, holder n${before} before, n${holderOf(r.views)} after`)
    expect(failed(r.checks)).toEqual([])
  }, 120_000)

  it('converges after a one-way cut (the holder cannot reach its successor, the successor still reaches it) is restored', async () => {
    const views = await settled(cluster, [CLUSTER_NAME], 30_000)
    const a = holderOf(views)
    const b = cluster.byKey(views[0]?.pidlist.find(k => k !== views[0]?.leader) ?? null)?.index ?? (a === 1 ? 2 : 1)
    const l = lab as Lab
    const dropsBefore = [l.wireDrops(b), l.wireDrops(a)]
    const r = await runCut(l, cluster, {
      cuts: [[a, b]],
      severed: [[a, b]],
      during: async ({ cluster, checks, calls }) => {
        // The cut is one way on the wire: packets towards b are dropped, none towards a.
        const drops = [l.wireDrops(b) - (dropsBefore[0] ?? 0), l.wireDrops(a) - (dropsBefore[1] ?? 0)]
        fig(`one-way cut: ${drops[0] ?? 0} packets n${a}→n${b} dropped on the wire, ${drops[1] ?? 0} n${b}→n${a}`)
        checks.push(check('the cut drops one direction only', (drops[0] ?? 0) > 0 && drops[1] === 0 ? [] : [`dropped towards n${b}: ${drops[0] ?? 0}, towards n${a}: ${drops[1] ?? 0}`]))
        // Both ends have dropped the other's member before the link comes back.
        const both = await cluster.until([CLUSTER_NAME], vs => [a, b].flatMap(i => {
          const v = vs[i - 1]
          const gone = cluster.member(i === a ? b : a).key
          return v?.pidlist.includes(gone) === true ? [`${v.node} still lists ${nodeOf(gone)}`] : []
        }), 20_000)
        checks.push(check('both ends drop the unreachable member', both.problems))
        await callsAcross([a], [b], calls, checks)
      }
    })
    row(`one-way cut n${a}→n${b} (holder → successor)`, 1, r, `, holder after n${holderOf(r.views)}`)
    expect(failed(r.checks)).toEqual([])
  }, 120_000)

  it('converges after a blip near the detection threshold (one node cut off 1.6 s): each pair saw one leave and rejoin, or nothing', async () => {
    const views = await settled(cluster, [CLUSTER_NAME], 30_000)
    const k = holderOf(views) === 2 ? 3 : 2
    const rest = others([k])
    const r = await runCut(lab as Lab, cluster, {
      cuts: rest.flatMap(i => [[k, i], [i, k]] as const),
      severed: rest.map(i => [k, i] as const),
      blipMs: 1600
    })
    row(`1.6 s blip isolating n${k}`, rest.length * 2, r, `, ${r.downs} of ${2 * rest.length} possible node-downs`)
    expect(failed(r.checks)).toEqual([])
  }, 120_000)

  it('stays one cluster under 5 % loss and 50 ms delay on every node: calls complete, a name registers, a cut heals', async () => {
    await settled(cluster, [CLUSTER_NAME], 30_000)
    const l = lab as Lab
    const checks: InvariantCheck[] = []
    const tImpaired = Date.now()
    let impairment: Impairment | undefined = await l.impair(50, 0.05, 7)
    fig(`impairment: ${impairment.kind === 'netem' ? 'tc netem (kernel qdisc)' : 'TUN + impair.py (this kernel has no netem)'}, delay 50 ms and loss 5 % on every node's egress`)
    try {
      const probe = await l.probe(1, 2, 30)
      const rtts = [...probe.rtt_ms].sort((x, y) => x - y)
      fig(`UDP probe n1→n2→n1: ${probe.received}/${probe.sent} answered, round trip median ${rtts[rtts.length >> 1] ?? NaN} ms (min ${rtts[0] ?? NaN}, max ${rtts[rtts.length - 1] ?? NaN})`)
      checks.push(check('the impairment is in force (round trip ≥ 2 × 50 ms)', (rtts[0] ?? 0) >= 95 ? [] : [`shortest round trip ${rtts[0] ?? 'none'} ms`]))

      // Every node calls every other node, round after round, for 15 s (at most 40 rounds).
      const calls: NodeEvent[] = []
      const soakStart = performance.now()
      for (let round = 0; round < 40 && performance.now() - soakStart < 15_000; round++) {
        calls.push(...await Promise.all(cluster.members.flatMap(m => others([m.index]).map(async o => await cluster.call(m.index, o, 5000)))))
      }
      const lat = calls.filter(c => c.ok === true).map(c => c.ms as number).sort((x, y) => x - y)
      const pct = (p: number): string => ms(lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? NaN)
      fig(`calls under impairment: ${lat.length}/${calls.length} replied; latency median ${pct(0.5)}, p95 ${pct(0.95)}, max ${pct(1)}`)
      checks.push(check('calls under impairment ended (reply or typed error)', callProblems(calls, false)))
      const reg = await cluster.register(3, 'svc:d')
      checks.push(check('a registration under impairment succeeds', reg.ok === true ? [] : [JSON.stringify(reg)]))
      const one = await cluster.until([CLUSTER_NAME, 'svc:d'], agreement(cluster.members, [CLUSTER_NAME, 'svc:d']), 30_000)
      checks.push(check('one cluster under impairment (views agree)', one.problems))

      const h = holderOf(one.views)
      const cut = h === 5 ? 4 : 5
      const rest = others([cut])
      const r = await runCut(l, cluster, {
        cuts: rest.flatMap(i => [[cut, i], [i, cut]] as const),
        severed: rest.map(i => [cut, i] as const),
        names: ['svc:d'],
        tolerateFlaps: true,
        deadlineMs: 45_000,
        during: async ({ calls }) => { calls.push(await cluster.call(rest[0] as number, cut, 3000)) }
      })
      impairment = await l.unimpair()
      if (impairment?.kind === 'tun') {
        const total = (impairment.forwarded ?? 0) + (impairment.dropped ?? 0)
        fig(`impair.py: ${impairment.dropped ?? 0} of ${total} packets dropped (${(100 * (impairment.dropped ?? 0) / Math.max(1, total)).toFixed(1)} %)`)
      }
      // A node-down between nodes that were not cut, or a second one of a cut pair, is a false one.
      const cutNode = cluster.member(cut).node.name
      const downs = cluster.downs().filter(d => d.at >= tImpaired)
      const ofCut = downs.filter(d => d.by === cutNode || d.node === cutNode).length
      const falseDowns = downs.length - ofCut + Math.max(0, ofCut - 2 * rest.length)
      const after = await settled(cluster, [CLUSTER_NAME, 'svc:d'], 30_000).then(() => [] as string[], (err: Error) => [err.message])
      checks.push(...r.checks, check('converged once the impairment is removed', after))
      row(`5 % loss + 50 ms delay on all, then n${cut} cut off and restored`, 1 + rest.length * 2, { ...r, checks }, `; ${falseDowns} false node-down(s), ${r.flaps} false leave/rejoin(s); calls p50 ${pct(0.5)}`)
      fig(`false node-downs under impairment: ${falseDowns}`)
      expect(failed(checks)).toEqual([])
    } finally {
      await l.unimpair()
    }
  }, 150_000)
})
