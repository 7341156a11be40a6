/**
 * Decisions about peer scopes (the same scope on other nodes), one per message of the protocol at
 * the top of `pg.ts`: each updates the state's tables and returns the effects for the server to
 * perform. A peer is known from its first DISCOVER or SYNC until its scope's monitor fires.
 */
import type { Pid } from '@gen-cluster/core'
import { PG_VERSION, scopeProcessName } from './messages.js'
import type { Sync } from './messages.js'
import { notify, refresh, removeEach, track, watched } from './state.js'
import type { Effect, PeerScope, ScopeState } from './state.js'

/** A node came up: ask its scope of the same name for its memberships (1. DISCOVER). */
export function nodeUp (s: ScopeState, node: string): Effect[] {
  return [{ type: 'send', to: { name: scopeProcessName(s.scope), node }, message: { pg: PG_VERSION, op: 'discover', scope: s.self } }]
}

/** Every local membership of this node (2. SYNC). */
export function syncOf (s: ScopeState): Sync {
  return { pg: PG_VERSION, op: 'sync', scope: s.self, groups: [...s.local].map(([group, pids]) => [group, [...pids]]) }
}

/** A peer scope asked for our memberships: send them; if it is new, watch it and ask for its own. */
export function discovered (s: ScopeState, peer: Pid): Effect[] {
  const out: Effect[] = [{ type: 'send', to: peer, message: syncOf(s) }]
  if (!s.peers.has(peer.key)) {
    addPeer(s, peer, out)
    out.push({ type: 'send', to: peer, message: { pg: PG_VERSION, op: 'discover', scope: s.self } })
  }
  return out
}

/** A peer scope sent all its memberships: they replace what we knew; watchers hear the difference. */
export function synced (s: ScopeState, peer: Pid, groups: ReadonlyArray<readonly [string, readonly Pid[]]>): Effect[] {
  const out: Effect[] = []
  const known = s.peers.get(peer.key) ?? addPeer(s, peer, out)
  const old = known.groups
  known.groups = new Map(groups.filter(([, pids]) => pids.length > 0).map(([group, pids]) => [group, [...pids]]))
  for (const group of new Set([...old.keys(), ...known.groups.keys()])) {
    const before = old.get(group) ?? []
    const after = known.groups.get(group) ?? []
    const left = [...before]
    removeEach(left, after)
    const joined = [...after]
    removeEach(joined, before)
    if (left.length === 0 && joined.length === 0) continue
    refresh(s, group)
    notify(s, 'leave', group, left, out)
    notify(s, 'join', group, joined, out)
  }
  return out
}

/** Processes of a peer joined a group. From a scope we do not know (yet) it is dropped: its SYNC will come. */
export function peerJoined (s: ScopeState, peer: Pid, group: string, pids: readonly Pid[]): Effect[] {
  const known = s.peers.get(peer.key)
  if (known === undefined) return [unknownPeer(peer, 'join')]
  if (pids.length === 0) return []
  const list = known.groups.get(group) ?? []
  list.push(...pids)
  known.groups.set(group, list)
  refresh(s, group)
  const out: Effect[] = []
  notify(s, 'join', group, pids, out)
  return out
}

/** Processes of a peer left a group (one entry per join). Entries we never saw are ignored. */
export function peerLeft (s: ScopeState, peer: Pid, group: string, pids: readonly Pid[]): Effect[] {
  const known = s.peers.get(peer.key)
  if (known === undefined) return [unknownPeer(peer, 'leave')]
  const list = known.groups.get(group) ?? []
  const removed = removeEach(list, pids)
  if (list.length === 0) known.groups.delete(group)
  const out: Effect[] = []
  if (removed.length < pids.length) {
    out.push({ type: 'log', level: 'debug', message: 'leave of members not known here ignored', meta: { scope: s.scope, peer: peer.toString(), group } })
  }
  if (removed.length === 0) return out
  refresh(s, group)
  notify(s, 'leave', group, removed, out)
  return out
}

/** A peer scope is gone (it exited, or its node went down): its members leave every group. */
export function peerDown (s: ScopeState, peer: PeerScope): Effect[] {
  const out: Effect[] = []
  s.peers.delete(peer.scope.key)
  for (const [group, pids] of peer.groups) {
    refresh(s, group)
    notify(s, 'leave', group, pids, out)
  }
  return out
}

function addPeer (s: ScopeState, scope: Pid, out: Effect[]): PeerScope {
  const before = watched(s, scope)
  const peer: PeerScope = { scope, groups: new Map() }
  s.peers.set(scope.key, peer)
  track(s, scope, before, out)
  return peer
}

function unknownPeer (peer: Pid, op: string): Effect {
  return { type: 'log', level: 'debug', message: `${op} from a scope not discovered yet dropped`, meta: { peer: peer.toString() } }
}
