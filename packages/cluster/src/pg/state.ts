/**
 * What a scope knows, as plain data, and the effects a decision asks for. Decisions (`decide.ts`)
 * update these tables and return effects; only the scope's server (`server.ts`) performs effects.
 *
 * The {@link ViewTable} is pg's ETS table: written only by the scope's process (through `refresh`),
 * read by anyone on the node without a message, so `members` and `localMembers` are plain map reads.
 */
import type { Pid, Ref, RemoteName } from '@gen-cluster/core'

/** What one group looks like from this node: sorted by node, then pid number; one entry per join. */
export interface GroupView {
  readonly all: readonly Pid[]
  readonly local: readonly Pid[]
}

/** Group → its members, for groups that have any. */
export type ViewTable = Map<string, GroupView>

/** A scope of the same name on another node, and its memberships as it last told us. */
export interface PeerScope {
  readonly scope: Pid
  groups: Map<string, Pid[]>
}

/** A `monitorGroup` (group set) or `monitorScope` (group undefined). */
export interface Watch {
  readonly ref: Ref
  readonly watcher: Pid
  readonly group: string | undefined
}

export interface ScopeState {
  readonly scope: string
  /** This scope's process. */
  readonly self: Pid
  /** Group → local members, one entry per join, in join order. */
  readonly local: Map<string, Pid[]>
  /** Local member (pid key) → its groups and how many times it joined each. */
  readonly memberOf: Map<string, { readonly pid: Pid, readonly groups: Map<string, number> }>
  /** Peer scopes by pid key. */
  readonly peers: Map<string, PeerScope>
  /** Watches by ref key. */
  readonly watches: Map<string, Watch>
  /** Group (undefined: the whole scope) → its watches by ref key. */
  readonly watchesOn: Map<string | undefined, Map<string, Watch>>
  /** Watcher (pid key) → its watches by ref key. */
  readonly watchesBy: Map<string, Map<string, Watch>>
  readonly view: ViewTable
}

/**
 * What the server does for a decision, in order: `send` a message (dropped if the node is not
 * connected); `monitor` / `demonitor` a process the scope must hear the exit of (a local member, a
 * watcher, a peer scope); `log` a message the scope dropped.
 */
export type Effect =
  | { readonly type: 'send', readonly to: Pid | RemoteName, readonly message: unknown }
  | { readonly type: 'monitor', readonly pid: Pid }
  | { readonly type: 'demonitor', readonly pid: Pid }
  | { readonly type: 'log', readonly level: 'warn' | 'debug', readonly message: string, readonly meta: Record<string, unknown> }

export function newScopeState (scope: string, self: Pid, view: ViewTable): ScopeState {
  return { scope, self, local: new Map(), memberOf: new Map(), peers: new Map(), watches: new Map(), watchesOn: new Map(), watchesBy: new Map(), view }
}

/** True while the scope needs to hear of `pid`'s exit: it is a local member, a watcher or a peer scope. */
export function watched (s: ScopeState, pid: Pid): boolean {
  return s.memberOf.has(pid.key) || s.watchesBy.has(pid.key) || s.peers.has(pid.key)
}

/** The `monitor` or `demonitor` effect, if `pid` started or stopped being watched. */
export function track (s: ScopeState, pid: Pid, before: boolean, out: Effect[]): void {
  const now = watched(s, pid)
  if (now && !before) out.push({ type: 'monitor', pid })
  else if (!now && before) out.push({ type: 'demonitor', pid })
}

/** Orders pids by node, then number, then creation: every node lists a group the same way. */
export function comparePids (a: Pid, b: Pid): number {
  if (a.node !== b.node) return a.node < b.node ? -1 : 1
  return a.id - b.id || a.creation - b.creation
}

const EMPTY: readonly Pid[] = Object.freeze([])

/** Rebuilds the view of `group` from the local and peer tables. */
export function refresh (s: ScopeState, group: string): void {
  const local = [...s.local.get(group) ?? EMPTY].sort(comparePids)
  const all = [...local]
  for (const peer of s.peers.values()) {
    const theirs = peer.groups.get(group)
    if (theirs !== undefined) all.push(...theirs)
  }
  if (all.length === 0) s.view.delete(group)
  else s.view.set(group, { all: Object.freeze(all.sort(comparePids)), local: Object.freeze(local) })
}

/** The members of `group` as seen from here (a frozen array, shared: no copy). */
export function membersOf (view: ViewTable, group: string, which: keyof GroupView): readonly Pid[] {
  return view.get(group)?.[which] ?? EMPTY
}

/** `send` effects telling every watcher of `group` (and of the whole scope) that `pids` joined or left. */
export function notify (s: ScopeState, kind: 'join' | 'leave', group: string, pids: readonly Pid[], out: Effect[]): void {
  if (pids.length === 0) return
  for (const key of [group, undefined]) {
    for (const w of s.watchesOn.get(key)?.values() ?? []) {
      out.push({ type: 'send', to: w.watcher, message: { type: `pg:${kind}`, ref: w.ref, scope: s.scope, group, pids } })
    }
  }
}

/** `send` effects of `message` to every known peer scope. */
export function broadcast (s: ScopeState, message: unknown, out: Effect[]): void {
  for (const peer of s.peers.values()) out.push({ type: 'send', to: peer.scope, message })
}

/** Removes one occurrence of each of `pids` from `list` (a multiset difference); returns those removed. */
export function removeEach (list: Pid[], pids: readonly Pid[]): Pid[] {
  const removed: Pid[] = []
  for (const pid of pids) {
    const i = list.findIndex(p => p.equals(pid))
    if (i < 0) continue
    list.splice(i, 1)
    removed.push(pid)
  }
  return removed
}
