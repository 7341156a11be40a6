/**
 * The messages of the process-group protocol (numbered as at the top of `pg.ts`), what a watcher
 * receives, and `parsePeerMessage`, which checks everything a peer scope sends before the scope acts
 * on it. A message that fails the check is logged and dropped by the scope; the link stays up.
 */
import { Pid } from '@gen-cluster/core'
import type { Ref } from '@gen-cluster/core'
import { isGroup } from './checks.js'

/** The version of the protocol this code speaks. Newer peers may send more fields; they are ignored. */
export const PG_VERSION = 1

/** 1. DISCOVER: "I run this scope, send me yours". */
export interface Discover { readonly pg: number, readonly op: 'discover', readonly scope: Pid }
/** 2. SYNC: every local membership of the sender; replaces what the receiver knew of it. */
export interface Sync { readonly pg: number, readonly op: 'sync', readonly scope: Pid, readonly groups: Array<[string, Pid[]]> }
/** 3. JOIN: local processes of the sender joined `group` (one entry per join). */
export interface Join { readonly pg: number, readonly op: 'join', readonly scope: Pid, readonly group: string, readonly pids: Pid[] }
/** 4. LEAVE: local processes of the sender left `group` (one entry per join undone). */
export interface Leave { readonly pg: number, readonly op: 'leave', readonly scope: Pid, readonly group: string, readonly pids: Pid[] }

/** The name a scope's process is registered under on every node: `gen_cluster.pg:<scope>`. */
export function scopeProcessName (scope: string): string {
  return `gen_cluster.pg:${scope}`
}

/** A message between two scopes of the same name on two nodes. */
export type PeerMessage = Discover | Sync | Join | Leave

/** What `monitorGroup` and `monitorScope` deliver to the watcher, in the order the changes happened. */
export interface GroupChangeMessage {
  readonly type: 'pg:join' | 'pg:leave'
  /** The ref `monitorGroup` / `monitorScope` returned. */
  readonly ref: Ref
  readonly scope: string
  readonly group: string
  /** The processes that joined or left, one entry per join (a process joined twice is listed twice). */
  readonly pids: readonly Pid[]
}

/** Sent by the scope's `node:up` listener to its own process (a class: no peer can forge it). */
export class NodeUp {
  constructor (readonly node: string) {}
}

export type Parsed = { readonly ok: true, readonly message: PeerMessage } | { readonly ok: false, readonly reason: string }

const OPS = new Set(['discover', 'sync', 'join', 'leave'])

/**
 * Checks a message said to come from a peer scope: a known op, a sender scope pid of another node,
 * valid group names, and member pids that all belong to the sender's node and run (a peer speaks only
 * for its own processes). `here` is this node's name.
 */
export function parsePeerMessage (value: unknown, here: string): Parsed {
  const fail = (reason: string): Parsed => ({ ok: false, reason })
  if (typeof value !== 'object' || value === null) return fail('not a pg message')
  const m = value as Record<string, unknown>
  if (!Number.isSafeInteger(m.pg) || (m.pg as number) < 1) return fail('not a pg message')
  if (typeof m.op !== 'string' || !OPS.has(m.op)) return fail(`unknown op ${String(m.op)}`)
  const scope = m.scope
  if (!(scope instanceof Pid)) return fail('scope is not a pid')
  if (scope.node === here) return fail('scope is a pid of this node')
  const theirs = (pids: unknown): pids is Pid[] =>
    Array.isArray(pids) && pids.every(p => p instanceof Pid && p.node === scope.node && p.creation === scope.creation)
  switch (m.op) {
    case 'discover':
      return { ok: true, message: { pg: m.pg as number, op: 'discover', scope } }
    case 'sync': {
      if (!Array.isArray(m.groups)) return fail('groups is not an array')
      const seen = new Set<string>()
      for (const entry of m.groups as unknown[]) {
        if (!Array.isArray(entry) || entry.length !== 2 || !isGroup(entry[0])) return fail('a group entry is not [group, pids]')
        if (seen.has(entry[0])) return fail(`group ${JSON.stringify(entry[0])} is listed twice`)
        seen.add(entry[0])
        if (!theirs(entry[1])) return fail(`members of ${JSON.stringify(entry[0])} are not pids of ${scope.node}`)
      }
      return { ok: true, message: { pg: m.pg as number, op: 'sync', scope, groups: m.groups as Array<[string, Pid[]]> } }
    }
    default: {
      if (!isGroup(m.group)) return fail('group is not a valid group name')
      if (!theirs(m.pids)) return fail(`pids are not pids of ${scope.node}`)
      return { ok: true, message: { pg: m.pg as number, op: m.op as 'join' | 'leave', scope, group: m.group, pids: m.pids } }
    }
  }
}
