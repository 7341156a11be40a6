/**
 * One partition scenario on a running {@link NetCluster}: from a converged cluster, cut links on the
 * wire, wait until every node cut off from another has seen it down, run what the scenario does
 * during the cut, restore every link, wait until the views agree again, and check the invariants
 * (`checks.ts`). The times measured are figures to print, never assertions.
 */
import { check } from '../report.js'
import type { InvariantCheck } from '../report.js'
import { agreement, callbackProblems, callProblems, holderProblems, membershipProblems, orderProblems, stalledStreams } from './checks.js'
import type { Lab } from './lab.js'
import type { NetCluster, View } from './net-cluster.js'
import { CLUSTER_NAME } from './net-cluster.js'
import type { NodeEvent } from './ns-node.js'

export interface CutPlan {
  /** Directed cuts `[from, to]` (node indices) to make on the wire. */
  readonly cuts: ReadonlyArray<readonly [number, number]>
  /** Node pairs that lose their link (both see the other go down), whichever way the cut. */
  readonly severed: ReadonlyArray<readonly [number, number]>
  /** Global names to check after the heal (the cluster's name is always checked). */
  readonly names?: readonly string[]
  /** handleTakeover runs expected, if known. */
  readonly takeovers?: number
  /** Under impairment: count leave/rejoin pairs between nodes that were not cut, do not fail on them. */
  readonly tolerateFlaps?: boolean
  /** What to do while the links are cut; adds its own checks and calls (each call: reply or typed error). */
  readonly during?: (ctx: { cluster: NetCluster, checks: InvariantCheck[], calls: NodeEvent[] }) => Promise<void>
  /**
   * A blip: restore the links after this long, or at the first node-down of a severed pair if that
   * comes first, while the others may still be detecting it (then each severed pair saw one leave
   * and rejoin, or nothing).
   */
  readonly blipMs?: number
  /** Deadline for node-downs after the cut, and for agreement after the heal. @default 30000 */
  readonly deadlineMs?: number
}

export interface CutResult {
  readonly checks: InvariantCheck[]
  /** ms from the cut to the first and to the last node-down of a severed pair (Infinity: none). */
  readonly detectFirstMs: number
  readonly detectLastMs: number
  /** ms from the restore to agreeing views. */
  readonly convergeMs: number
  readonly flaps: number
  readonly takeovers: number
  /** Node-down events (any node, any peer) from the cut to the end of the checks. */
  readonly downs: number
  readonly views: View[]
}

/** Waits (bounded) for a converged cluster; throws if it does not converge. */
export async function settled (cluster: NetCluster, names: readonly string[], deadlineMs: number): Promise<View[]> {
  const r = await cluster.until(names, agreement(cluster.members, names), deadlineMs)
  if (r.problems.length > 0) throw new Error(`the cluster did not converge within ${deadlineMs} ms: ${r.problems.slice(0, 5).join('; ')}`)
  return r.views
}

/** Polls (every 50 ms, bounded) until each node of each severed pair has seen the other go down since `t0`. */
async function downs (cluster: NetCluster, severed: CutPlan['severed'], t0: number, deadlineMs: number, any = false): Promise<{ first: number, last: number, missing: string[] }> {
  const wanted = severed.flatMap(([a, b]) => [[a, b], [b, a]]).map(([by, of]) => [cluster.member(by as number).node.name, cluster.member(of as number).node.name] as const)
  let missing: string[] = []
  let times: number[] = []
  const start = performance.now()
  for (let i = 0; i < deadlineMs / 50 + 1 && performance.now() - start < deadlineMs; i++) {
    const seen = cluster.downs().filter(d => d.at >= t0)
    times = []
    missing = []
    for (const [by, of] of wanted) {
      const d = seen.find(x => x.by === by && x.node === of)
      if (d === undefined) missing.push(`${by} has not seen ${of} go down`)
      else times.push(d.at - t0)
    }
    if (missing.length === 0 || (any && times.length > 0)) break
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  return { first: Math.min(...times), last: Math.max(...times), missing }
}

export async function runCut (lab: Lab, cluster: NetCluster, plan: CutPlan): Promise<CutResult> {
  const deadline = plan.deadlineMs ?? 30_000
  const names = [CLUSTER_NAME, ...(plan.names ?? [])]
  const marks = new Map(cluster.members.map(m => [m.key, cluster.callbacks(m).length]))
  const checks: InvariantCheck[] = []
  const calls: NodeEvent[] = []

  const t0 = Date.now()
  let detected: Awaited<ReturnType<typeof downs>>
  try {
    for (const [from, to] of plan.cuts) lab.cut(from, to)
    const blip = plan.blipMs !== undefined
    detected = await downs(cluster, plan.severed, t0, plan.blipMs ?? deadline, blip)
    if (!blip) checks.push(check('every cut-off pair detected', detected.missing))
    if (blip || detected.missing.length === 0) await plan.during?.({ cluster, checks, calls })
  } finally {
    lab.heal()
  }

  const healed = performance.now()
  if (plan.blipMs !== undefined) {
    // A detector may still fire after a blip (TCP's backoff prolongs the silence): once every pair
    // has delivered a message sent after the restore, none can, and agreement is final.
    const atHeal = await cluster.views(names)
    const resumed = await cluster.until(names, v => stalledStreams(atHeal, v), deadline)
    checks.push(check('every stream flows after the blip', resumed.problems))
  }
  const converged = await cluster.until(names, agreement(cluster.members, names), deadline)
  const convergeMs = performance.now() - healed
  checks.push(check('membership converged', membershipProblems(converged.views, cluster.members)))
  checks.push(check('one holder per name', holderProblems(converged.views, names)))
  // Every pair's ordered stream flows again, and calls between every neighbour pair succeed.
  const flowing = await cluster.until(names, v => stalledStreams(converged.views, v), 10_000)
  checks.push(check('every stream flows again', flowing.problems))
  checks.push(check('per-pair order kept', orderProblems(cluster, flowing.views)))
  const after = await Promise.all(cluster.members.map(async m => await cluster.call(m.index, m.index % cluster.members.length + 1, 5000)))
  checks.push(check('calls during the cut ended (reply or typed error)', callProblems(calls, false)))
  checks.push(check('calls after the heal replied', callProblems(after, true)))
  const severed = new Set(plan.severed.flatMap(([a, b]) => {
    const [x, y] = [cluster.member(a).node.name, cluster.member(b).node.name]
    return [`${x}|${y}`, `${y}|${x}`]
  }))
  const cb = callbackProblems(cluster, flowing.views, { marks, severed: (a, b) => severed.has(`${a}|${b}`), takeovers: plan.takeovers, tolerateFlaps: plan.tolerateFlaps, partial: plan.blipMs !== undefined })
  checks.push(check('callbacks exactly once', cb.problems))
  return { checks, detectFirstMs: detected.first, detectLastMs: detected.last, convergeMs, flaps: cb.flaps, takeovers: cb.takeovers, downs: cluster.downs().filter(d => d.at >= t0).length, views: flowing.views }
}
