/**
 * Process groups, as Erlang's `pg` (OTP 23+): named groups of processes across the cluster, for
 * fan-out and discovery. A process may join a group several times (each join counts, and shows as
 * one more entry in `members`) and belong to several groups; it leaves them all when it exits.
 * Groups live in *scopes*: independent sets of groups, each served by one GenServer per node.
 *
 * | API | what it does | how |
 * | --- | --- | --- |
 * | `startPg(node, { scope? })` | starts the scope on a cluster node | a GenServer registered as `gen_cluster.pg:<scope>`; DISCOVER to every node |
 * | `pg.join(group, pids)` | local processes join `group`, one join each | a call to the local scope, then JOIN to every peer |
 * | `pg.leave(group, pids)` | undoes one join each; `false` if none had joined | a call, then LEAVE to every peer |
 * | `pg.members(group)` | members on every node (sorted by node, then pid) | a local read, no message |
 * | `pg.localMembers(group)` | members on this node | a local read |
 * | `pg.whichGroups()` | groups with members anywhere, sorted | a local read |
 * | `pg.whichLocalGroups()` | groups with members on this node, sorted | a local read |
 * | `pg.monitorGroup(group, { watcher? })` | `{ ref, members }`, then a {@link GroupChangeMessage} per change | a call; the scope monitors the watcher |
 * | `pg.monitorScope({ watcher? })` | `{ ref, groups }`, then the changes of every group | a call |
 * | `pg.demonitorGroup(ref)` | ends a watch; `false` if there was none | a call |
 * | `pg.stop()` | stops the scope on this node; peers drop its members | `stop(scope)` |
 *
 * A watcher gets `{ type: 'pg:join' | 'pg:leave', ref, scope, group, pids }` once per change, in the
 * order the scope of *its* `Pg` saw them, starting right after the members the monitor call returned.
 * The scope holds one monitor per process it must hear of (a local member, a watcher, a peer scope)
 * and drops it as soon as that process is none of these, so nothing grows after processes are gone.
 *
 * ## The protocol
 *
 * **Idea.** Each node is the only authority for its own processes: its scope keeps their
 * memberships, monitors them, and tells the same scope on every other node of each change. Nobody
 * asks anybody: every node holds the whole picture and reads it locally. When two scopes meet (a scope
 * starts, a node comes up, a partition heals) each sends the other all its local memberships (SYNC),
 * which *replace* what the other knew; when a scope is gone (its monitor fires: it stopped, or its
 * node went down) its members are dropped.
 *
 * **Assumptions.** Messages between two nodes arrive in the order they were sent, and those sent
 * while the nodes are apart are lost (hence the SYNC at each meeting). Both sides of a lost link
 * see node-down (the membership closes the link). There is no order between changes made on
 * different nodes: after the cluster is quiet every node sees the same members (eventual consistency).
 *
 * **Trace.** Scope `default` runs on a, where `<a.9>` joined `chat`; b starts it.
 * ```
 * b → a  1 DISCOVER { scope: <b.7> }                     to 'gen_cluster.pg:default' on a
 * a → b  2 SYNC     { scope: <a.5>, groups: [['chat', [<a.9>]]] }   a monitors <b.7>
 * a → b  1 DISCOVER { scope: <a.5> }                     a did not know b: asks back
 * b → a  2 SYNC     { scope: <b.7>, groups: [] }         b learnt a from its SYNC and monitors <a.5>
 *        b: pg.join('chat', <b.12>)
 * b → a  3 JOIN     { scope: <b.7>, group: 'chat', pids: [<b.12>] }
 *        <b.12> exits: b's monitor fires
 * b → a  4 LEAVE    { scope: <b.7>, group: 'chat', pids: [<b.12>] }
 *        a and b are cut apart: a's monitor of <b.7> fires (noconnection); a drops b's members
 * ```
 *
 * **Messages**, sent by a scope to the same scope on another node with `send` (each carries the
 * protocol version `pg: 1` and the sender's scope pid; types in `messages.ts`):
 * 1. DISCOVER `{ op: 'discover', scope }`: to `{ name, node }` when the scope starts (every connected
 *    node) and at each `node:up`; to the peer's pid in answer to a DISCOVER from an unknown peer.
 * 2. SYNC `{ op: 'sync', scope, groups: [[group, pids], …] }`: in answer to every DISCOVER; all
 *    local memberships, a pid listed once per join. A SYNC from an unknown peer makes it known.
 * 3. JOIN `{ op: 'join', scope, group, pids }`: to every known peer after a local join.
 * 4. LEAVE `{ op: 'leave', scope, group, pids }`: after a local leave, and when a local member
 *    exits (one per group it was in, a pid listed once per join).
 *
 * **Checks.** Every message from a peer is checked (`parsePeerMessage`): a known op, a sender pid of
 * another node, valid group names, member pids of the sender's own node and run. Anything else is
 * logged and dropped; the scope carries on. A JOIN or LEAVE from a peer not yet known is dropped (its
 * SYNC, which comes first on the same link, would have made it known).
 *
 * **Versions.** Newer versions understand older ones: a message with a higher `pg` and extra fields
 * is read for the fields this version knows; an op this version does not know is logged and dropped.
 */
import type { Named, Pid, Ref, ServerPid, ServerTypes } from '@gen-cluster/core'
import { start } from '@gen-cluster/core'
import type { ClusterNode } from '../cluster-node.js'
import { checkGroup, checkScope } from './checks.js'
import { PgScope } from './handle.js'
import { scopeProcessName } from './messages.js'
import type { GroupChangeMessage } from './messages.js'
import { pgServer } from './server.js'
import type { ViewTable } from './state.js'

/**
 * A group name that remembers the type of its members' server: `members(WORKERS)` then gives typed
 * pids, so `call(pid, request)` is checked. Throws `InvalidGroupError` for a bad name.
 * @example
 * const WORKERS = groupName<Worker>('workers')
 * for (const pid of pg.members(WORKERS)) await call(pid, { type: 'job', n: 1 })
 */
export function groupName<T extends ServerTypes> (name: string): Named<T> {
  checkGroup(name)
  return name as Named<T>
}

/** The scope `startPg` starts when none is named. */
export const DEFAULT_PG_SCOPE = 'default'

/** Options of {@link startPg}. */
export interface PgInit {
  /** The scope: a set of groups independent of other scopes. A non-empty string of at most 255 bytes. @default 'default' */
  scope?: string
}

/** Options of the calls to the scope. */
export interface PgCallOptions {
  signal?: AbortSignal
}

/** Options of `monitorGroup` and `monitorScope`. */
export interface PgMonitorOptions extends PgCallOptions {
  /** The process that gets the updates. @default the calling process */
  watcher?: Pid
}

/** A scope running on one node. */
export interface Pg {
  readonly scope: string
  /** The scope's process on this node. */
  readonly pid: Pid
  /**
   * Local processes `pids` join `group` once more each; resolves once this node's view shows them.
   * Rejects, before anything is sent, with `InvalidGroupError`, `InvalidGroupMemberError`, or
   * `NotLocalMemberError` (a process of another node).
   */
  join(group: string, pids: Pid | readonly Pid[], opts?: PgCallOptions): Promise<void>
  /** Undoes one join of `group` for each of `pids`; resolves false if none of them had joined. Rejects as `join`. */
  leave(group: string, pids: Pid | readonly Pid[], opts?: PgCallOptions): Promise<boolean>
  /**
   * The members of `group` on every node, sorted by node then pid, one entry per join (frozen; no
   * message is sent). Throws `InvalidGroupError` for a bad group name.
   */
  members<T extends ServerTypes>(group: Named<T>): ReadonlyArray<ServerPid<T>>
  members(group: string): readonly Pid[]
  /** The members of `group` on this node, as `members`. */
  localMembers<T extends ServerTypes>(group: Named<T>): ReadonlyArray<ServerPid<T>>
  localMembers(group: string): readonly Pid[]
  /** The groups with members on any node, sorted. */
  whichGroups(): string[]
  /** The groups with members on this node, sorted (Erlang's `pg:which_local_groups`). */
  whichLocalGroups(): string[]
  /**
   * Watches `group`: its members now, then a {@link GroupChangeMessage} to `watcher` per change, in
   * the order this node saw them, until `demonitorGroup` or the watcher's exit. Outside a process,
   * name the `watcher` (else `NotInProcessError`).
   */
  monitorGroup(group: string, opts?: PgMonitorOptions): Promise<{ ref: Ref, members: readonly Pid[] }>
  /** Watches every group of the scope: their members now, then a message per change of any group. */
  monitorScope(opts?: PgMonitorOptions): Promise<{ ref: Ref, groups: Map<string, readonly Pid[]> }>
  /** Ends a watch; resolves false if there was none. Updates already in the watcher's mailbox stay there. */
  demonitorGroup(ref: Ref, opts?: PgCallOptions): Promise<boolean>
  /** Stops the scope on this node: its members leave for every peer, and reads throw `NoProcError`. */
  stop(): Promise<void>
}

/**
 * Starts scope `scope` on `node`. Start it on every node that takes part: nodes without it neither
 * see nor hold members of it. Throws `InvalidOptionError` (option `scope`) for a bad scope name;
 * rejects with `AlreadyStartedError` if the scope already runs on the node.
 * @example
 * const pg = await startPg(node)
 * await pg.join('chat', self())
 * for (const pid of pg.members('chat')) send(pid, { text: 'hi' })
 */
export async function startPg (node: ClusterNode, init: PgInit = {}): Promise<Pg> {
  const scope = init.scope ?? DEFAULT_PG_SCOPE
  checkScope(scope)
  const view: ViewTable = new Map()
  const pid = await start(pgServer, { scope, view, cluster: node }, { node: node.core, name: scopeProcessName(scope) })
  return new PgScope(node.core, scope, pid, view)
}
