/**
 * The invariants checked after every partition scenario, each as a list of problems (none: it
 * holds), for the named checks of the reliability report:
 *
 * - membership converged: every node lists every member, in the same order, and is connected to
 *   every other node;
 * - one holder per name: every node names the same, live, holder for each global name (for the
 *   cluster's name: a member of the pidlist, and the node's `leader`);
 * - callbacks exactly once: each member's callbacks replay without a duplicate join or a leave of an
 *   unknown member, end at the member's pidlist, and in the scenario each member saw exactly one
 *   leave and one rejoin of each member cut off from it (none of the others);
 * - calls ended: every call answered with a reply or a typed error, none hung;
 * - per-pair order: no sink received a number not above the last one from the same sender, and
 *   every pair's stream flows again.
 */
import { contractViolations } from '../gen-cluster-recorder.js'
import { CLUSTER_NAME, nodeOf } from './net-cluster.js'
import type { Member, NetCluster, View } from './net-cluster.js'
import type { NodeEvent } from './ns-node.js'

/** The errors a call may end with besides its reply (`@gen-cluster/core` errors). */
export const TYPED_CALL_ERRORS = ['NodeDownError', 'CallTimeoutError', 'NoProcError', 'CallExitError']

const short = (keys: readonly string[]): string => keys.map(nodeOf).join(',')

export function membershipProblems (views: readonly View[], members: readonly Member[]): string[] {
  const out: string[] = []
  const all = members.map(m => m.key).sort().join(' ')
  const first = views[0]
  for (const v of views) {
    if (v.error !== undefined) {
      out.push(`${v.node} gave no view: ${v.error}`)
      continue
    }
    if ([...v.pidlist].sort().join(' ') !== all) out.push(`${v.node} lists [${short(v.pidlist)}]`)
    else if (first !== undefined && v.pidlist.join(' ') !== first.pidlist.join(' ')) out.push(`${v.node} lists [${short(v.pidlist)}], ${first.node} [${short(first.pidlist)}]`)
    const others = members.map(m => m.node.name).filter(n => n !== v.node).sort().join(',')
    if ([...v.nodes].sort().join(',') !== others) out.push(`${v.node} is connected to [${v.nodes.join(',')}]`)
  }
  return out
}

export function holderProblems (views: readonly View[], names: readonly string[]): string[] {
  const out: string[] = []
  for (const name of names) {
    const holders = new Set(views.map(v => v.holders[name] ?? null))
    if (holders.has(null)) out.push(`${views.filter(v => v.holders[name] == null).map(v => v.node).join(',')} see no holder of ${name}`)
    if (holders.size > 1) out.push(`${name} is held by ${[...holders].map(h => h === null ? 'nobody' : nodeOf(h)).join(' and ')}`)
  }
  for (const v of views) {
    const h = v.holders[CLUSTER_NAME]
    if (h == null) continue
    if (v.leader !== h) out.push(`${v.node}: leader ${String(v.leader)} is not the holder ${h}`)
    if (!v.pidlist.includes(h)) out.push(`${v.node}: the holder ${nodeOf(h)} is not in its pidlist`)
  }
  return out
}

/** Both of the above: what `NetCluster.until` waits on. */
export const agreement = (members: readonly Member[], names: readonly string[]) => (views: readonly View[]): string[] =>
  [...membershipProblems(views, members), ...holderProblems(views, names)]

export interface CallbackExpectation {
  /** Index in each member's callbacks where the scenario began, by member key. */
  readonly marks: ReadonlyMap<string, number>
  /** True if the link between these two nodes was cut: each saw the other leave and join back once. */
  readonly severed: (a: string, b: string) => boolean
  /** Under impairment, a leave and a rejoin between nodes that were not cut is a false node-down, counted, not a failure. */
  readonly tolerateFlaps?: boolean
  /** The cut was restored while being detected: a severed pair saw one leave and rejoin, or nothing. */
  readonly partial?: boolean
  /** handleTakeover runs expected in the scenario, if known. */
  readonly takeovers?: number
}

/** Callback problems, and the number of false leave/rejoin pairs (tolerated flaps). */
export function callbackProblems (cluster: NetCluster, views: readonly View[], x: CallbackExpectation): { problems: string[], flaps: number, takeovers: number } {
  const problems: string[] = []
  let flaps = 0
  let takeovers = 0
  for (const m of cluster.members) {
    const all = cluster.callbacks(m)
    problems.push(...contractViolations(all, m.key, m.initial))
    const known = new Set(m.initial)
    for (const e of all) {
      if (e.cb === 'handleJoin' || e.cb === 'handleNodeJoined') known.add(e.pid)
      else if (e.cb === 'handleLeave') known.delete(e.pid)
    }
    const final = views.find(v => v.node === m.node.name)?.pidlist ?? []
    if ([...known].sort().join(' ') !== [...final].sort().join(' ')) problems.push(`${m.node.name}: its callbacks add up to [${short([...known])}], its pidlist is [${short(final)}]`)
    const window = all.slice(x.marks.get(m.key) ?? 0)
    takeovers += window.filter(e => e.cb === 'handleTakeover').length
    for (const p of cluster.members) {
      if (p === m) continue
      const seq = window.filter(e => e.pid === p.key && e.cb !== 'handleTakeover').map(e => e.cb === 'handleLeave' ? 'leave' : 'join')
      const alternating = seq.length % 2 === 0 && seq.every((cb, i) => cb === (i % 2 === 0 ? 'leave' : 'join'))
      const expected = x.severed(m.node.name, p.node.name) ? 1 : 0
      const pairs = alternating ? seq.length / 2 : -1
      if (pairs === expected || (x.partial === true && expected === 1 && pairs === 0)) continue
      if (x.tolerateFlaps === true && pairs > expected) {
        flaps += pairs - expected
        continue
      }
      problems.push(`${m.node.name} saw ${p.node.name}: [${seq.join(' ')}], expected [${expected === 1 ? 'leave join' : ''}]`)
    }
  }
  if (x.takeovers !== undefined && takeovers !== x.takeovers) problems.push(`${takeovers} handleTakeover runs, expected ${x.takeovers}`)
  return { problems, flaps, takeovers }
}

/** Every call answered: with a reply (`okExpected`: only replies) or a typed error; none hung. */
export function callProblems (results: readonly NodeEvent[], okExpected: boolean): string[] {
  const out: string[] = []
  for (const r of results) {
    if (r.ok === true) continue
    if (r.error === 'hang') out.push(`call to ${String(r.node)} never ended`)
    else if (okExpected) out.push(`call to ${String(r.node)} failed: ${String(r.error)}`)
    else if (!TYPED_CALL_ERRORS.includes(r.error as string)) out.push(`call to ${String(r.node)} ended with ${String(r.error)}, not a typed error`)
  }
  return out
}

/** Out-of-order deliveries anywhere. */
export function orderProblems (cluster: NetCluster, views: readonly View[]): string[] {
  const out = cluster.orderEvents().map(e => `${String(e.from)} sent ${String(e.seq)} after ${String(e.last)}`)
  for (const v of views) for (const [from, s] of Object.entries(v.streams)) if (s.outOfOrder > 0 && out.length === 0) out.push(`${v.node} got ${s.outOfOrder} out of order from ${from}`)
  return out
}

/** Pairs whose stream has not moved past where it was in `before`. */
export function stalledStreams (before: readonly View[], after: readonly View[]): string[] {
  const out: string[] = []
  for (const v of after) {
    const was = before.find(b => b.node === v.node)
    for (const other of after) {
      if (other.node === v.node) continue
      const last = v.streams[other.node]?.last ?? 0
      if (last <= (was?.streams[other.node]?.last ?? 0)) out.push(`${other.node} → ${v.node} stalled at ${last}`)
    }
  }
  return out
}
