/**
 * The checkpoints of the process-faults suite: {@link settle} polls every live node's view (bounded
 * in count and time) until the cluster invariants hold or the deadline passes, and returns them as
 * named checks with the time it took; {@link trafficChecks} collects the call streams and the
 * message-order records. A check that fails carries its problems into the report.
 */
import { check } from '../report.js'
import type { InvariantCheck } from '../report.js'
import type { CallbackEvent } from '../gen-cluster-recorder.js'
import type { ChaosCluster } from './cluster.js'
import { callbacksExactlyOnce, callsEnded, identicalPidlists, membershipConverged, oneHolder, orderKept } from './invariants.js'
import type { View } from './invariants.js'
import type { CallStats, OrderStats } from './probe.js'

/** How long the cluster may take to converge after a fault or a recovery, on a loaded machine. */
export const SETTLE_MS = 30_000
const POLL_MS = 50

export interface Settled {
  readonly checks: InvariantCheck[]
  /** From the call of settle to the first poll at which every invariant held (or the deadline). */
  readonly ms: number
  readonly views: View[]
}

/** Every live node's view, or the problems of the nodes that did not answer. */
export async function views (c: ChaosCluster): Promise<{ views: View[], silent: string[] }> {
  const names = c.live()
  const answers = await Promise.allSettled(names.map(async n => (await c.ask([n], 'view')).get(n)))
  const out: View[] = []
  const silent: string[] = []
  answers.forEach((a, i) => {
    const name = names[i] as string
    if (a.status === 'rejected' || a.value === undefined || 'error' in a.value) silent.push(`${name} did not answer its view`)
    else out.push({ name, member: c.current(name).member, nodes: a.value.nodes as string[], leader: a.value.leader as string | null, pidlist: a.value.pidlist as string[] })
  })
  return { views: out, silent }
}

/** Polls until membership, the holder, the pidlists and the callbacks are right on every live node. */
export async function settle (c: ChaosCluster, deadlineMs = SETTLE_MS): Promise<Settled> {
  const start = performance.now()
  let last: Settled = { checks: [], ms: 0, views: [] }
  for (let poll = 0; poll < deadlineMs / POLL_MS; poll++) {
    const v = await views(c)
    const events = c.events('callback') as unknown as CallbackEvent[]
    const checks = [
      check('membership converged', [...v.silent, ...membershipConverged(v.views)]),
      check('one holder, named by all, first of the pidlist', oneHolder(v.views)),
      check('identical pidlists = the live members', identicalPidlists(v.views)),
      check('callbacks exactly once, replay = pidlist', callbacksExactlyOnce(events, v.views))
    ]
    last = { checks, ms: performance.now() - start, views: v.views }
    if (checks.every(k => k.problems.length === 0) || last.ms > deadlineMs) break
    await new Promise(resolve => setTimeout(resolve, POLL_MS))
  }
  return last
}

/** Totals over a run, for the figures. */
export class Tally {
  calls = 0
  readonly outcomes: Record<string, number> = {}
  maxCallMs = 0
  /** The last order record of each incarnation (by member), as they are cumulative. */
  readonly orders = new Map<string, OrderStats>()

  summary (): string {
    const outcomes = Object.entries(this.outcomes).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k} ${v}`).join(', ')
    const orders = [...this.orders.values()]
    const received = orders.reduce((n, o) => n + o.received, 0)
    const gaps = orders.reduce((n, o) => n + o.gaps, 0)
    const reversed = orders.reduce((n, o) => n + o.violations.length, 0)
    return `${this.calls} calls (${outcomes}), slowest ${this.maxCallMs} ms; ${received} sequenced casts received, ${gaps} lost, ${reversed} out of order`
  }
}

/**
 * Collects the call streams posted to `from` (`c.post(..., 'calls', ...)`): each must answer within
 * `timeoutMs` (a stream that never reports hung), every call ended with a reply or a typed error; then
 * asks every live node for its message-order record.
 */
export async function trafficChecks (c: ChaosCluster, pending: ReturnType<ChaosCluster['post']>, from: readonly string[], timeoutMs: number, tally: Tally): Promise<InvariantCheck[]> {
  const stats = new Map<string, CallStats>()
  const problems: string[] = []
  await Promise.all(from.map(async n => {
    try {
      const a = (await pending.collect([n], timeoutMs)).get(n) as unknown as CallStats
      stats.set(n, a)
      tally.calls += a.calls
      tally.maxCallMs = Math.max(tally.maxCallMs, a.maxMs)
      for (const [k, v] of Object.entries(a.outcomes)) tally.outcomes[k] = (tally.outcomes[k] ?? 0) + v
    } catch {
      problems.push(`${n}: its call stream did not report within ${timeoutMs} ms`)
    }
  }))
  const orders = new Map<string, OrderStats>()
  try {
    for (const [n, a] of await c.ask(c.live(), 'order')) {
      orders.set(n, a as unknown as OrderStats)
      tally.orders.set(c.current(n).member, a as unknown as OrderStats)
    }
  } catch (err) {
    problems.push(`order records: ${(err as Error).message.slice(0, 200)}`)
  }
  return [
    check('calls ended: reply or typed error', [...problems, ...callsEnded(stats)]),
    check('per-pair message order kept', orderKept(orders))
  ]
}

/** The restarted node kept its identity: the same peer id (its key, from its home), the next creation. */
export function sameIdentity (c: ChaosCluster, name: string): InvariantCheck {
  const runs = c.runs.get(name) ?? []
  const [before, after] = [runs[runs.length - 2], runs[runs.length - 1]]
  const problems = before === undefined || after === undefined
    ? [`${name} has not restarted`]
    : [
        ...(after.peerId === before.peerId ? [] : [`peer id ${before.peerId} → ${after.peerId}`]),
        ...(after.creation > before.creation ? [] : [`creation ${before.creation} → ${after.creation}`])
      ]
  return check('restarted with the same identity (peer id, next creation)', problems)
}

/** A restarted member joined through the holder: it did not win the cluster name from it (`tookName`: it is the holder now). */
export function joinedThroughHolder (tookName: boolean): InvariantCheck {
  return check('the restarted member joined through the holder', tookName ? ['it won the cluster name instead of joining'] : [])
}

/** With `CHAOS_DUMP=path`, writes everything the nodes printed to `path` when `checks` failed (a post-mortem). */
export function dumpOnFailure (c: ChaosCluster, checks: readonly InvariantCheck[]): void {
  const path = process.env.CHAOS_DUMP
  if (path !== undefined && path !== '' && failures(checks).length > 0) c.dump(path)
}

/** The problems of the failed checks (for `expect(...).toEqual([])`). */
export function failures (checks: readonly InvariantCheck[]): string[] {
  return checks.flatMap(k => k.problems.map(p => `${k.name}: ${p}`))
}

/** The checks renamed `phase: name`. */
export function during (phase: string, checks: readonly InvariantCheck[]): InvariantCheck[] {
  return checks.map(k => check(`${phase}: ${k.name}`, k.problems))
}
