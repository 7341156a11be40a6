/**
 * Settling a name held by two pids (two partitions registered it, and met again): a pure function
 * from the two registrations and the resolver to what stays, what goes, and what the node must do to
 * the losers it owns. Every node computes the same answer from the same two entries; only the owner
 * of a loser gets an action, so a loser is told (or exited) once.
 */
import type { Pid } from '@gen-cluster/core'
import type { Entry } from './table.js'
import { compareEntries } from './table.js'

/**
 * A custom resolver: given the name and its two holders, `a` the earlier registration and `b` the
 * later (by stamp, then node name, then pid), keep `'a'`, `'b'`, or `'none'`. It must be a pure
 * function: every node calls it and must get the same answer. The loser is told as with `'notify'`.
 */
export type ResolverFunction = (name: string, a: Pid, b: Pid) => 'a' | 'b' | 'none'

/**
 * How a clash is settled:
 * - `'notify'`: keep the earlier registration; tell the other pid `{ type: 'name:conflict', name, kept }`.
 * - `'exit'`: keep the earlier registration; exit the other with `{ shutdown: 'name conflict' }`.
 * - `'unregisterBoth'`: keep neither; tell both `{ type: 'name:conflict', name, kept: null }`.
 * - a {@link ResolverFunction}.
 */
export type Resolver = 'notify' | 'exit' | 'unregisterBoth' | ResolverFunction

/** What the loser of a clash receives (not with `'exit'`): `kept` is the pid that stays, or null if none. */
export interface NameConflictMessage {
  readonly type: 'name:conflict'
  readonly name: string
  readonly kept: Pid | null
}

/** The exit reason of a loser under the `'exit'` resolver. */
export const CONFLICT_EXIT_REASON: { readonly shutdown: 'name conflict' } = { shutdown: 'name conflict' }

export type ConflictAction =
  | { readonly kind: 'notify', readonly pid: Pid, readonly message: NameConflictMessage }
  | { readonly kind: 'exit', readonly pid: Pid, readonly reason: typeof CONFLICT_EXIT_REASON }

export interface Resolution {
  /** The registration that stays, if any. */
  readonly kept: Entry | undefined
  /** The registrations that go. */
  readonly lost: readonly Entry[]
  /** What this node must do: only to losers it owns. */
  readonly actions: readonly ConflictAction[]
  /** Set when a custom resolver threw or answered something else (then the earlier one is kept). */
  readonly error?: unknown
}

export function isResolver (value: unknown): value is Resolver {
  return value === 'notify' || value === 'exit' || value === 'unregisterBoth' || typeof value === 'function'
}

/** Settles a clash between `x` and `y` (two entries for one name, with different pids). */
export function resolveConflict (x: Entry, y: Entry, resolver: Resolver, owns: (pid: Pid) => boolean): Resolution {
  const [a, b] = compareEntries(x, y) <= 0 ? [x, y] : [y, x]
  const { choice, error } = choose(resolver, a, b)
  const kept = choice === 'a' ? a : choice === 'b' ? b : undefined
  const lost = [a, b].filter(e => e !== kept)
  const actions = lost.filter(e => owns(e.pid)).map((e): ConflictAction => resolver === 'exit' && !e.name.startsWith(CLUSTER_NAME_PREFIX)
    ? { kind: 'exit', pid: e.pid, reason: CONFLICT_EXIT_REASON }
    : { kind: 'notify', pid: e.pid, message: { type: 'name:conflict', name: e.name, kept: kept?.pid ?? null } })
  return error === undefined ? { kept, lost, actions } : { kept, lost, actions, error }
}

/**
 * Names of GenCluster clusters. Their clashes always keep the *later* registration (the holder the
 * survivors took over with while the other side was cut off or paused) and tell the other, whatever
 * the node's resolver: the stale holder learns it and merges its members into the kept one.
 */
export const CLUSTER_NAME_PREFIX = 'gen_cluster:'

function choose (resolver: Resolver, a: Entry, b: Entry): { choice: 'a' | 'b' | 'none', error?: unknown } {
  if (a.name.startsWith(CLUSTER_NAME_PREFIX)) return { choice: 'b' }
  if (resolver === 'notify' || resolver === 'exit') return { choice: 'a' }
  if (resolver === 'unregisterBoth') return { choice: 'none' }
  try {
    const choice = resolver(a.name, a.pid, b.pid)
    if (choice === 'a' || choice === 'b' || choice === 'none') return { choice }
    return { choice: 'a', error: new TypeError(`resolver returned ${String(choice)}; expected 'a', 'b' or 'none'`) }
  } catch (err) {
    return { choice: 'a', error: err }
  }
}
