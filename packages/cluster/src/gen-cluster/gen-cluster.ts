/**
 * GenCluster: a cluster of *processes* (not nodes), after the Erlang `gen_cluster` behaviour. A
 * GenCluster is a GenServer (all its callbacks and typed messages) whose processes, the *members*,
 * keep the list of every member (the pidlist) of their cluster across nodes, and whose cluster name
 * is a global name held by one member, the *holder*.
 *
 * ## Callbacks (besides GenServer's), each on a member's own process
 * | callback | who, when | pidlist |
 * | --- | --- | --- |
 * | `handleJoin(joiningPid, pidlist, state)` | the holder, when a process joins through it | includes the joiner |
 * | `handleNodeJoined(joiningPid, pidlist, state)` | every other member (not the joiner), when a process joins; also, after a partition heals, each member for every member it had not seen | includes the joiner |
 * | `handleLeave(leavingPid, pidlist, info, state)` | every remaining member, when a member exits (`info`: its exit reason) or its node goes down or becomes unreachable (`info`: `'noconnection'`) | without the leaver |
 * | `handleTakeover(previousHolder, pidlist, state)` | the member that takes the cluster name over when the holder left: the longest-standing survivor (the first of the pidlist) | without the previous holder |
 *
 * All four are optional and return `{ state }` (sync or async). The joiner itself gets no callback:
 * once `start` resolves it is a member and `pidlist(member)` returns the list. The first member of a
 * cluster takes the name and gets no callback either. Callbacks fire once per event per member, and
 * never `handleLeave` for a pid the member had not seen join.
 *
 * ## How it works
 * - Join happens after `init`, in the member's own process: it tries to register the cluster's global
 *   name (`gen_cluster:<cluster>`); if taken, it asks the holder to join (a call, with a timeout, and
 *   retries with backoff). The holder adds it, runs `handleJoin`, tells every other member (they run
 *   `handleNodeJoined`) and answers the pidlist. Joins are serialized by the holder; every member
 *   monitors every other.
 * - Leave: a member's monitor fires (exit reason, or `noconnection`) and `handleLeave` runs.
 * - Takeover: when the holder leaves, every survivor computes the same successor (the first of its
 *   pidlist); the successor registers the name, runs `handleTakeover` and tells the others.
 * - Healing: after a partition each side may have a holder; when the nodes meet, the global registry
 *   keeps the later registration (the takeover) and tells the other, the stale holder
 *   (`name:conflict`); that one sends its pidlist to the kept holder,
 *   which merges, runs `handleNodeJoined` for members it had not seen, and sends every member the
 *   merged list, on which each runs `handleNodeJoined` for the members it had not seen. Once stable,
 *   every member's pidlist is identical (the holder's order).
 * - Anti-entropy: every second each member sends the holder its pidlist, and gets the full list back
 *   when they differ, which repairs divergence no name clash reveals (a link that flapped between two
 *   nodes that kept their other links). The registry is the authority on the holder: a member it
 *   names takes the role; when it names nobody, the self-believed holder and the first of each
 *   member's pidlist register the name again (one wins, the others merge into it).
 *
 * When the registry settles a clash over the cluster's name against a member (after a heal), the
 * member merges as above and its `handleInfo` (if any) also gets the `{ type: 'name:conflict', name,
 * kept }` message, for the record. Internal messages carry `type: '$gen_cluster.…'`; one from a process that is not a member, or of an
 * unknown shape, is logged and dropped. A callback that throws crashes that member only; the others
 * see it leave.
 */
import type { ExitReason, GenServer, MaybePromiseLike, Pid, ServerTypes, StateOf } from './types.js'
import { CLUSTER_NAME_PREFIX } from '../global/resolve.js'

export type { MaybePromiseLike }

/** What a GenCluster callback returns. */
export type ClusterResult<S> = { state: S }

/** The GenCluster callbacks, added to GenServer's. */
export interface ClusterCallbacks<T extends ServerTypes> {
  handleJoin?(joiningPid: Pid, pidlist: readonly Pid[], state: StateOf<T>): MaybePromiseLike<ClusterResult<StateOf<T>>>
  handleNodeJoined?(joiningPid: Pid, pidlist: readonly Pid[], state: StateOf<T>): MaybePromiseLike<ClusterResult<StateOf<T>>>
  handleLeave?(leavingPid: Pid, pidlist: readonly Pid[], info: ExitReason, state: StateOf<T>): MaybePromiseLike<ClusterResult<StateOf<T>>>
  handleTakeover?(previousHolder: Pid | undefined, pidlist: readonly Pid[], state: StateOf<T>): MaybePromiseLike<ClusterResult<StateOf<T>>>
}

/** A GenCluster behaviour: a GenServer plus the cluster callbacks. */
export type GenCluster<T extends ServerTypes = ServerTypes> = GenServer<T> & ClusterCallbacks<T>

/** Checks at compile time that `behaviour` implements `GenCluster<T>`, and returns it. */
export function defineCluster<T extends ServerTypes> (behaviour: GenCluster<T>): GenCluster<T> {
  return behaviour
}

/** The global name a cluster's holder holds. */
export function clusterName (cluster: string): string {
  return `${CLUSTER_NAME_PREFIX}${cluster}`
}
