/**
 * How the CLI narrates any hosted GenCluster: the behaviour is wrapped so that each cluster callback,
 * and a `name:conflict` over the cluster's name, is reported before the behaviour's own callback runs
 * (or in its place, when it has none). The module itself reports nothing.
 */
import { self } from '@gen-cluster/core'
import type { ExitReason, Pid } from '@gen-cluster/core'
import { clusterName } from '@gen-cluster/cluster'
import type { GenCluster } from '@gen-cluster/cluster'
import type { ClusterSrvConflict, ClusterSrvEvent } from './example-cluster-srv.js'

/** Where the narration goes. */
export interface Narrator {
  /** A cluster callback about to run on the member. */
  onEvent(event: ClusterSrvEvent): void
  /** The registry settled a clash over the cluster's name against the member. */
  onConflict(event: ClusterSrvConflict): void
}

/**
 * `behaviour`, narrated: a GenCluster that inherits everything from `behaviour` (so `this` in its
 * callbacks still finds what it defines) and reports each cluster callback of a member of `cluster`.
 */
export function narrated (behaviour: GenCluster<any>, cluster: string, to: Narrator): GenCluster<any> {
  const b = behaviour as Required<GenCluster<any>>
  const wrapped: GenCluster<any> = Object.create(behaviour)
  const name = clusterName(cluster)
  wrapped.handleJoin = function (pid: Pid, pidlist: readonly Pid[], state: unknown) {
    to.onEvent({ callback: 'handleJoin', member: self(), pid, pidlist })
    return b.handleJoin === undefined ? { state } : b.handleJoin.call(this, pid, pidlist, state)
  }
  wrapped.handleNodeJoined = function (pid: Pid, pidlist: readonly Pid[], state: unknown) {
    to.onEvent({ callback: 'handleNodeJoined', member: self(), pid, pidlist })
    return b.handleNodeJoined === undefined ? { state } : b.handleNodeJoined.call(this, pid, pidlist, state)
  }
  wrapped.handleLeave = function (pid: Pid, pidlist: readonly Pid[], info: ExitReason, state: unknown) {
    to.onEvent({ callback: 'handleLeave', member: self(), pid, pidlist, info })
    return b.handleLeave === undefined ? { state } : b.handleLeave.call(this, pid, pidlist, info, state)
  }
  wrapped.handleTakeover = function (previous: Pid | undefined, pidlist: readonly Pid[], state: unknown) {
    to.onEvent({ callback: 'handleTakeover', member: self(), pid: previous, pidlist })
    return b.handleTakeover === undefined ? { state } : b.handleTakeover.call(this, previous, pidlist, state)
  }
  // A member without handleInfo ignores infos that are not the cluster's own: so does this one.
  wrapped.handleInfo = function (message: unknown, state: unknown) {
    const m = message as { type?: unknown, name?: unknown, kept?: unknown } | null
    if (m?.type === 'name:conflict' && m.name === name) to.onConflict({ member: self(), kept: (m.kept ?? null) as Pid | null })
    return b.handleInfo === undefined ? { state } : b.handleInfo.call(this, message, state)
  }
  return wrapped
}
