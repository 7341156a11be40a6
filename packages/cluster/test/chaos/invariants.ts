/**
 * The invariants the process-faults suite checks after every fault and every recovery, over what the
 * nodes answered (their views) and printed (their callbacks). Each returns what is wrong, as readable
 * lines (none: it holds). They are the OS-process counterparts of `sim/invariants.ts`.
 */
import { contractViolations } from '../gen-cluster-recorder.js'
import type { CallbackEvent } from '../gen-cluster-recorder.js'
import type { CallStats, OrderStats } from './probe.js'

/** A node's answer to `view`: whom it is connected to, whom its registry names holder, its member's pidlist. */
export interface View {
  readonly name: string
  readonly member: string
  readonly nodes: readonly string[]
  readonly leader: string | null
  readonly pidlist: readonly string[]
}

/** Errors a call may end with when a node dies, pauses or restarts; anything else is a bug. */
export const TYPED_CALL_ERRORS = new Set(['NodeDownError', 'NoProcError', 'CallTimeoutError', 'CallExitError'])

/** Every live node is connected to every other live node, and to no other node. */
export function membershipConverged (views: readonly View[]): string[] {
  const live = views.map(v => v.name)
  return views.flatMap(v => {
    const want = live.filter(n => n !== v.name).sort().join(' ')
    return v.nodes.join(' ') === want ? [] : [`${v.name} sees [${v.nodes.join(' ')}], expected [${want}]`]
  })
}

/** Every live node names the same holder, a live member, first of the pidlists. */
export function oneHolder (views: readonly View[]): string[] {
  const leaders = new Set(views.map(v => v.leader ?? '-'))
  if (leaders.size !== 1) return [`nodes disagree: ${views.map(v => `${v.name}=${v.leader ?? '-'}`).join(' ')}`]
  const holder = views[0]?.leader ?? null
  if (holder === null) return ['nobody holds the cluster name']
  const out: string[] = []
  if (!views.some(v => v.member === holder)) out.push(`holder ${holder} is not a live member`)
  for (const v of views) if (v.pidlist[0] !== holder) out.push(`${v.name}: holder ${holder} is not first of [${v.pidlist.join(' ')}]`)
  return out
}

/** Every live member's pidlist is the same list, and it is the set of live members. */
export function identicalPidlists (views: readonly View[]): string[] {
  const want = views.map(v => v.member).sort().join(' ')
  const first = views[0]?.pidlist.join(' ')
  return views.flatMap(v => [
    ...(v.pidlist.join(' ') === first ? [] : [`${v.name}: [${v.pidlist.join(' ')}] differs from [${first ?? ''}]`]),
    ...([...v.pidlist].sort().join(' ') === want ? [] : [`${v.name}: [${v.pidlist.join(' ')}] is not the live members [${want}]`])
  ])
}

/**
 * The list a member started with: the pidlist the holder had when it ran `handleJoin` for it (which
 * is what the join answered), else its own pid alone: it registered the cluster name itself, as the
 * founder does, and as a newcomer does that wins the name from the holder (`cluster-name-join.test.ts`).
 */
export function initialPidlist (events: readonly CallbackEvent[], member: string): string[] {
  return events.find(e => e.cb === 'handleJoin' && e.pid === member)?.pidlist.slice() ?? [member]
}

/**
 * Each live member ran every callback exactly once and in causal order (`contractViolations`), and its
 * callbacks, replayed from its initial list, give the pidlist it has now.
 */
export function callbacksExactlyOnce (events: readonly CallbackEvent[], views: readonly View[]): string[] {
  return views.flatMap(v => {
    const initial = initialPidlist(events, v.member)
    const known = new Set(initial)
    for (const e of events) {
      if (e.member !== v.member) continue
      if (e.cb === 'handleJoin' || e.cb === 'handleNodeJoined') known.add(e.pid)
      else if (e.cb === 'handleLeave') known.delete(e.pid)
    }
    const replayed = [...known].sort().join(' ')
    const now = [...v.pidlist].sort().join(' ')
    return [
      ...contractViolations(events, v.member, initial),
      ...(replayed === now ? [] : [`${v.member}: callbacks replayed give [${replayed}], pidlist is [${now}]`])
    ]
  })
}

/** Every call ended, with a reply or a typed error. */
export function callsEnded (stats: ReadonlyMap<string, CallStats>): string[] {
  return [...stats].flatMap(([node, s]) => [
    ...(s.hung === 0 ? [] : [`${node}: ${s.hung} of ${s.calls} calls never ended`]),
    ...Object.keys(s.outcomes).filter(o => o !== 'reply' && !TYPED_CALL_ERRORS.has(o)).map(o => `${node}: ${s.outcomes[o] ?? 0} calls ended with ${o}`)
  ])
}

/** No node received two messages of one sender incarnation out of order (loss is allowed). */
export function orderKept (stats: ReadonlyMap<string, OrderStats>): string[] {
  return [...stats].flatMap(([node, s]) => s.violations.slice(0, 3).map(v => `${node} received ${v}`))
}

/**
 * No node's heap grew beyond `factor` × its size at the first measure plus `slackBytes`, comparing
 * only measures of one incarnation.
 */
export function heapBounded (before: ReadonlyMap<string, number>, after: ReadonlyMap<string, number>, factor = 2, slackBytes = 32 * 2 ** 20): string[] {
  const out: string[] = []
  for (const [key, a] of after) {
    const b = before.get(key)
    if (b !== undefined && a > factor * b + slackBytes) out.push(`${key}: heap ${mb(b)} → ${mb(a)}`)
  }
  return out
}

export const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MB`
