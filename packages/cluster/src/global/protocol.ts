/**
 * The global registry's protocol: what the registry servers of the nodes (one per node, a GenServer
 * registered locally as `gen_cluster.global`) say to each other. Erlang's `global`, re-thought.
 *
 * ## Main idea
 * Every node keeps a replica of the whole table (name → pid and stamp), so `whereisName` is a local
 * map lookup. Writes take two paths.
 * - **Registrations go through a coordinator**: the node with the smallest name in the caller's
 *   connected view. It checks its replica, commits the entry to every node it is connected to,
 *   waits for their acks, and only then answers true. Two registrations of one name meet at the
 *   coordinator (handled one after the other, per name) or, while views differ, at a node both
 *   commits reach (the second finds the name held there and is retried): exactly one wins.
 * - **Everything else is done by the owner** of the pid (the node it lives on), the authority on its
 *   own registrations: it monitors them, and when one ends (exit, `unregisterName`, a lost clash, an
 *   aborted commit) it removes it and tells every node (DROP). On node-up each side sends the other
 *   the registrations it owns, and only those (SYNC), so no node repeats what it heard second-hand.
 *   A name held by two pids (two partitions registered it) is settled by the resolver, alike on
 *   every node; only the owner of the losing pid acts on it (tells it, or exits it).
 *
 * ## Assumptions
 * - Between two connected nodes, messages arrive once and in order (the distribution link); nothing
 *   is assumed across links, which is why an owner's DROP follows its own SYNC on the same link.
 * - Connectivity is eventually transitive (the membership keeps a full mesh). While it is not, the
 *   two sides of a split may each hold a name, as in Erlang; they are settled when they meet.
 * - Stamps (`at`) come from the registering node (`now()`, the wall clock by default) and travel
 *   with the entry, so every node compares the same numbers: clock skew makes "earlier"
 *   approximate, never makes nodes disagree.
 * - Every node of the cluster runs the registry; a node without one is left out of commits (its
 *   calls fail with NoProcError) and learns the table when it starts (SYNC with `ask`).
 *
 * ## Trace: b registers 'x' for a pid on c; a is the smallest node
 * ```
 * b → a  1 REGISTER { name: 'x', pid: <c.7.1>, at: 1000 }       a stores it, then commits:
 * a → b  2 COMMIT   { name: 'x', pid: <c.7.1>, at: 1000 }   →  'ok'
 * a → c  2 COMMIT   { name: 'x', pid: <c.7.1>, at: 1000 }   →  'ok'   (c, the owner, monitors it)
 * a → b    true                                                  every node holds 'x' by now
 *          … <c.7.1> exits
 * c → a  7 DROP     { name: 'x', pid: <c.7.1> }             →  'ok'   (and c → b likewise)
 *          … {a, b} and {c, d} split; 'y' is registered on both sides: <b.3.1> at 2000, <d.4.1> at 2500
 * b → d  8 SYNC     { node: b, entries: [['y', <b.3.1>, 2000]], ask: false }   on node-up, both ways
 * d → b  8 SYNC     { node: d, entries: [['y', <d.4.1>, 2500]], ask: false }
 *          every node that sees both keeps <b.3.1> (earlier); d alone tells <d.4.1>, then:
 * d → *  7 DROP     { name: 'y', pid: <d.4.1> }
 * ```
 *
 * ## Messages (GenServer calls and casts to `{ name: 'gen_cluster.global', node }`)
 * Sent by the node where `registerName` was called:
 *  1. call REGISTER `{ name, pid, at }` to the coordinator → `true` | `false` | `'retry'` (it is not
 *     the smallest node of its view, the pid's node is not connected to it, a commit found the name
 *     held elsewhere, or over 1000 registrations of the name wait there); the caller retries with
 *     backoff until its `timeoutMs`. `at` is stamped once by the caller and kept across retries.
 *
 * Sent by the coordinator:
 *  2. call COMMIT `{ name, pid, at }` to every node of its view → `'ok'` | `'noproc'` (from the
 *     owner: the pid is dead) | `{ held, at }` (another pid holds the name there). Nodes that join
 *     during the commit get one too; a node that goes down or does not answer is left out.
 *  3. cast ABORT `{ name, pid }` to every node: the commit did not go through.
 *  4. cast CHECK `{ name, pid }` to the owner of a pid a commit found, and to the owner of the pid
 *     just registered once its commit is done (a node the commit did not reach, outside this view
 *     or with a link that reset meanwhile, may be linked to the owner all along, and no node-up
 *     would bring it the entry): the owner re-announces the entry (SYNC to every node of its view)
 *     if it still holds it, else DROPs it everywhere. A node that forgets a registration (its node
 *     went down) sends CHECK to the owner of one a clash had displaced for it.
 *
 * Sent by any node:
 *  5. call UNREGISTER `{ name, pid }` to the owner of `pid` → `'ok'` once the owner's DROPs are acked.
 *  6. cast CONFLICT `{ name, yours, pid, at }` to the owner of each registration it dropped when
 *     settling a clash: "your `yours` clashes with `pid` (stamped `at`)"; the owner settles it too
 *     (it is the one that acts), if it still holds `name` with `yours`.
 *
 * Sent by the owner of a pid:
 *  7. call DROP `{ name, pid }` to every node: that registration ended → `'ok'`.
 *  8. cast SYNC `{ node, entries: [[name, pid, at], …], ask, part?, parts? }`: the registrations it
 *     owns, on node-up (`ask: false`), when its registry starts (`ask: true`: answer with your own
 *     SYNC), after CHECK. At most {@link SYNC_CHUNK} entries a message. On node-up and on start the
 *     list is complete, sent in `parts` messages numbered by `part`: after the last one the
 *     receiver sends CHECK for each entry of the sender's it holds that the list did not name (the
 *     owner confirms it, or drops it everywhere). Links come up on the two sides at different
 *     moments, so a node may get a COMMIT for a pid of a node that does not count it connected
 *     yet, and miss that owner's DROP; this settles it. (Not dropped at once: a COMMIT may arrive
 *     after the list left its sender.)
 *
 * ## Rules
 * - A registration a coordinator is still committing for a pid of its own node is not announced in
 *   its SYNCs (a peer would take it for an established one, and settle a clash with it), and it
 *   yields, without a clash, to another pid's registration a SYNC brings: a node that has just
 *   joined may commit a name before it has learnt the table. Once its commit is done, CHECK
 *   announces it.
 * - Every message is checked; one of unknown type or shape is logged and dropped (a call is
 *   answered `'invalid'`, or `UnknownRequestError` for an unknown type). Entries about pids of nodes
 *   this node is not connected to (or of an earlier run of a node) are ignored, and so is a SYNC
 *   entry whose pid is not the sender's.
 * - Versions: newer versions understand older ones. Fields are only ever added, as optional ones;
 *   unknown fields are ignored; new message types are dropped by older nodes.
 */
import { Pid } from '@gen-cluster/core'

/** The local name of the registry server on every node. */
export const SERVER_NAME = 'gen_cluster.global'
/** Longest global name, in UTF-8 bytes. */
export const MAX_NAME_BYTES = 255
/** Most entries in one SYNC message. */
export const SYNC_CHUNK = 1000

/** A name and the pid that holds (or held) it. */
export interface NameAndPid {
  readonly name: string
  readonly pid: Pid
}

/** A registration: a name, its pid, and when it was registered (the registering node's stamp). */
export interface Registration extends NameAndPid {
  readonly at: number
}

/** A registration on the wire: `[name, pid, at]`. */
export type WireEntry = readonly [name: string, pid: Pid, at: number]

export interface SyncMessage {
  readonly node: string
  readonly entries: readonly WireEntry[]
  readonly ask: boolean
  /**
   * Part `part` of `parts` of a complete list: every registration the sender owns. After the last
   * part, the receiver drops the sender's entries the list did not name. Absent: a partial SYNC.
   */
  readonly part?: number
  readonly parts?: number
}

/** Most parts of one complete SYNC (more registrations than this × SYNC_CHUNK are refused). */
export const MAX_SYNC_PARTS = 10_000

/** A peer's answer to a message of unknown shape. */
export type Invalid = 'invalid'
/** Answer to REGISTER. */
export type RegisterAnswer = boolean | 'retry'
/** Answer to COMMIT. */
export type CommitAck = 'ok' | 'noproc' | { readonly held: Pid, readonly at: number }

/** Why `name` is not a valid global name, or undefined if it is. */
export function nameProblem (name: unknown): string | undefined {
  if (typeof name !== 'string') return `expected a string, got ${name === null ? 'null' : typeof name}`
  if (name.length === 0) return 'expected a non-empty string'
  const bytes = Buffer.byteLength(name, 'utf8')
  if (bytes > MAX_NAME_BYTES) return `expected at most ${MAX_NAME_BYTES} bytes (UTF-8), got ${bytes}`
  return undefined
}

export function isName (value: unknown): value is string {
  return nameProblem(value) === undefined
}

function isStamp (value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value)
}

export function isNameAndPid (value: unknown): value is NameAndPid {
  if (typeof value !== 'object' || value === null) return false
  const v = value as Record<string, unknown>
  return isName(v.name) && v.pid instanceof Pid
}

export function isRegistration (value: unknown): value is Registration {
  return isNameAndPid(value) && isStamp((value as unknown as Record<string, unknown>).at)
}

export function isConflict (value: unknown): value is Registration & { readonly yours: Pid } {
  return isRegistration(value) && (value as unknown as Record<string, unknown>).yours instanceof Pid
}

export function isWireEntry (value: unknown): value is WireEntry {
  return Array.isArray(value) && value.length === 3 && isName(value[0]) && value[1] instanceof Pid && isStamp(value[2])
}

export function isSync (value: unknown): value is SyncMessage {
  if (typeof value !== 'object' || value === null) return false
  const v = value as Record<string, unknown>
  const parts = v.parts === undefined && v.part === undefined
    ? true
    : Number.isInteger(v.parts) && Number.isInteger(v.part) && (v.part as number) >= 0 &&
      (v.part as number) < (v.parts as number) && (v.parts as number) <= MAX_SYNC_PARTS
  return typeof v.node === 'string' && typeof v.ask === 'boolean' && Array.isArray(v.entries) &&
    v.entries.length <= SYNC_CHUNK && v.entries.every(isWireEntry) && parts
}

export function isCommitAck (value: unknown): value is CommitAck {
  if (value === 'ok' || value === 'noproc') return true
  if (typeof value !== 'object' || value === null) return false
  const v = value as Record<string, unknown>
  return v.held instanceof Pid && isStamp(v.at)
}
