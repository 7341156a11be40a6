/**
 * A GenCluster member for the real-network tests that reports every cluster callback as a plain
 * event (pids as `Pid.key` strings, so events compare and print as they are). The in-process tests
 * collect the events in an array; `fixtures/member-main.ts` prints them as JSON lines on stdout.
 */
import { formatReason, self } from '@gen-cluster/core'
import type { ExitReason, Pid, ServerTypes } from '@gen-cluster/core'
import { defineCluster } from '../src/index.js'
import type { GenCluster } from '../src/index.js'

export type CallbackName = 'handleJoin' | 'handleNodeJoined' | 'handleLeave' | 'handleTakeover'

/** One callback run by one member. */
export interface CallbackEvent {
  readonly event: 'callback'
  readonly cb: CallbackName
  /** The member that ran it. */
  readonly member: string
  /** The joiner, the leaver, or the previous holder (`'-'` for none). */
  readonly pid: string
  readonly pidlist: readonly string[]
  /** The exit reason, for handleLeave (`formatReason`). */
  readonly info?: string
  /** When it ran, by the `now` given to {@link recorder}. */
  readonly at: number
}

interface Rec extends ServerTypes {
  arg: undefined
  state: { me: string }
}

/** A member whose every cluster callback calls `emit` (`now` stamps the events; default `Date.now`). */
export function recorder (emit: (e: CallbackEvent) => void, now: () => number = Date.now): GenCluster<Rec> {
  const report = (cb: CallbackName, me: string, pid: Pid | undefined, pidlist: readonly Pid[], info?: ExitReason): void => {
    const base = { event: 'callback' as const, cb, member: me, pid: pid?.key ?? '-', pidlist: pidlist.map(p => p.key), at: now() }
    emit(info === undefined ? base : { ...base, info: formatReason(info) })
  }
  return defineCluster<Rec>({
    init: () => ({ state: { me: self().key } }),
    handleJoin: (p, list, s) => { report('handleJoin', s.me, p, list); return { state: s } },
    handleNodeJoined: (p, list, s) => { report('handleNodeJoined', s.me, p, list); return { state: s } },
    handleLeave: (p, list, info, s) => { report('handleLeave', s.me, p, list, info); return { state: s } },
    handleTakeover: (prev, list, s) => { report('handleTakeover', s.me, prev, list); return { state: s } }
  })
}

/** The events of `member`, optionally of one callback only. */
export function eventsOf (events: readonly CallbackEvent[], member: string, cb?: CallbackName): CallbackEvent[] {
  return events.filter(e => e.member === member && (cb === undefined || e.cb === cb))
}

/**
 * Replays `member`'s callbacks from the pidlist it started with (`initial`: its own pid if it founded
 * the cluster, else the pidlist its join returned) and returns what breaks the contract, as readable
 * lines (none: `[]`): a join of a pid it already had, a leave of a pid it had not seen join (causal
 * order), a takeover by a member that is not first of its list, or a callback whose pidlist is not the
 * member's list after the event (compared as sets: a merge reorders the list without a callback).
 */
export function contractViolations (events: readonly CallbackEvent[], member: string, initial: readonly string[]): string[] {
  const known = new Set(initial)
  const out: string[] = []
  const sameSet = (list: readonly string[]): boolean => list.length === known.size && list.every(p => known.has(p))
  for (const e of eventsOf(events, member)) {
    const what = `${member}: ${e.cb}(${e.pid})`
    if (e.cb === 'handleJoin' || e.cb === 'handleNodeJoined') {
      if (known.has(e.pid)) out.push(`${what} for a member it already had`)
      known.add(e.pid)
    } else if (e.cb === 'handleLeave') {
      if (!known.has(e.pid)) out.push(`${what} before it saw it join`)
      known.delete(e.pid)
    } else if (e.pidlist[0] !== member) {
      out.push(`${what} by a member that is not first of its pidlist ${e.pidlist.join(' ')}`)
    }
    if (!sameSet(e.pidlist)) out.push(`${what} with pidlist ${e.pidlist.join(' ')}, expected ${[...known].join(' ')}`)
  }
  return out
}
