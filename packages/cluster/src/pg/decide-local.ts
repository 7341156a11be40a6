/**
 * Decisions about this node's own side of a scope: local joins and leaves, the exit of a process the
 * scope watches, and watches (`monitorGroup` / `monitorScope`). Each updates the state's tables and
 * returns the effects for the server to perform; none touches a process. Peer decisions: `decide-peers.ts`.
 */
import type { Pid, Ref } from '@gen-cluster/core'
import { peerDown } from './decide-peers.js'
import { PG_VERSION } from './messages.js'
import { broadcast, notify, refresh, removeEach, track, watched } from './state.js'
import type { Effect, ScopeState, Watch } from './state.js'

/** Local processes `pids` join `group` (each entry is one join): peers and watchers are told. */
export function localJoin (s: ScopeState, group: string, pids: readonly Pid[]): Effect[] {
  const out: Effect[] = []
  if (pids.length === 0) return out
  const list = s.local.get(group) ?? []
  s.local.set(group, list)
  for (const pid of pids) {
    const before = watched(s, pid)
    let entry = s.memberOf.get(pid.key)
    if (entry === undefined) {
      entry = { pid, groups: new Map() }
      s.memberOf.set(pid.key, entry)
    }
    entry.groups.set(group, (entry.groups.get(group) ?? 0) + 1)
    list.push(pid)
    track(s, pid, before, out)
  }
  refresh(s, group)
  broadcast(s, { pg: PG_VERSION, op: 'join', scope: s.self, group, pids }, out)
  notify(s, 'join', group, pids, out)
  return out
}

/** Undoes one join of `group` for each of `pids`; `left` is false if none of them had joined it. */
export function localLeave (s: ScopeState, group: string, pids: readonly Pid[]): { left: boolean, effects: Effect[] } {
  const out: Effect[] = []
  const list = s.local.get(group)
  const removed = list === undefined ? [] : removeEach(list, pids)
  if (removed.length === 0) return { left: false, effects: out }
  if (list?.length === 0) s.local.delete(group)
  for (const pid of removed) {
    const before = watched(s, pid)
    const entry = s.memberOf.get(pid.key)
    const n = (entry?.groups.get(group) ?? 1) - 1
    if (n > 0) entry?.groups.set(group, n)
    else entry?.groups.delete(group)
    if (entry?.groups.size === 0) s.memberOf.delete(pid.key)
    track(s, pid, before, out)
  }
  refresh(s, group)
  broadcast(s, { pg: PG_VERSION, op: 'leave', scope: s.self, group, pids: removed }, out)
  notify(s, 'leave', group, removed, out)
  return { left: true, effects: out }
}

/**
 * A process the scope watched has exited (or its node went down): as a local member it leaves every
 * group it joined (peers and watchers are told), as a watcher its watches end, as a peer scope its
 * members are dropped. Its monitor has fired, so no `demonitor` follows.
 */
export function processDown (s: ScopeState, pid: Pid): Effect[] {
  const out: Effect[] = []
  const entry = s.memberOf.get(pid.key)
  if (entry !== undefined) {
    s.memberOf.delete(pid.key)
    for (const [group, count] of entry.groups) {
      const kept = (s.local.get(group) ?? []).filter(p => !p.equals(pid))
      if (kept.length === 0) s.local.delete(group)
      else s.local.set(group, kept)
      const removed = new Array<Pid>(count).fill(pid)
      refresh(s, group)
      broadcast(s, { pg: PG_VERSION, op: 'leave', scope: s.self, group, pids: removed }, out)
      notify(s, 'leave', group, removed, out)
    }
  }
  for (const w of [...s.watchesBy.get(pid.key)?.values() ?? []]) unwatch(s, w)
  const peer = s.peers.get(pid.key)
  if (peer !== undefined) out.push(...peerDown(s, peer))
  return out
}

/** Starts a watch; the watcher is monitored (once, however many watches it holds). */
export function addWatch (s: ScopeState, watch: Watch): Effect[] {
  const out: Effect[] = []
  const before = watched(s, watch.watcher)
  s.watches.set(watch.ref.key, watch)
  inner(s.watchesOn, watch.group).set(watch.ref.key, watch)
  inner(s.watchesBy, watch.watcher.key).set(watch.ref.key, watch)
  track(s, watch.watcher, before, out)
  return out
}

/** Ends the watch of `ref`; `removed` is false if there was none. */
export function removeWatch (s: ScopeState, ref: Ref): { removed: boolean, effects: Effect[] } {
  const out: Effect[] = []
  const watch = s.watches.get(ref.key)
  if (watch === undefined) return { removed: false, effects: out }
  const before = watched(s, watch.watcher)
  unwatch(s, watch)
  track(s, watch.watcher, before, out)
  return { removed: true, effects: out }
}

function unwatch (s: ScopeState, w: Watch): void {
  s.watches.delete(w.ref.key)
  drop(s.watchesOn, w.group, w.ref.key)
  drop(s.watchesBy, w.watcher.key, w.ref.key)
}

function inner<K> (outer: Map<K, Map<string, Watch>>, key: K): Map<string, Watch> {
  let m = outer.get(key)
  if (m === undefined) {
    m = new Map()
    outer.set(key, m)
  }
  return m
}

function drop<K> (outer: Map<K, Map<string, Watch>>, key: K, refKey: string): void {
  const m = outer.get(key)
  m?.delete(refKey)
  if (m?.size === 0) outer.delete(key)
}
