/**
 * `example_cluster_srv`, the original gen_cluster's example server, ported: a GenCluster member that
 * does nothing but report its cluster callbacks, so you can watch processes join, leave and take the
 * cluster's name over. Each callback is reported through the `onEvent` function of its init arg, if
 * given, with the member's pidlist after the event. It is what `gen-cluster start` hosts without
 * `--module` (the CLI narrates its callbacks itself, as for any module: it passes no `onEvent`).
 *
 * @example
 * const member = await startMember(exampleClusterSrv, { onEvent: (e) => console.log(e) }, { node, cluster: 'demo' })
 * await call(member, { type: 'ping' })   // { pong: <member pid> }
 */
import { self } from '@gen-cluster/core'
import type { ExitReason, Pid, ServerTypes } from '@gen-cluster/core'
import { defineCluster } from '@gen-cluster/cluster'
import type { NameConflictMessage } from '@gen-cluster/cluster'

/** The cluster callbacks of a GenCluster. */
export type ClusterCallbackName = 'handleJoin' | 'handleNodeJoined' | 'handleLeave' | 'handleTakeover'

/** One callback run by one member. */
export interface ClusterSrvEvent {
  readonly callback: ClusterCallbackName
  /** The member that ran it. */
  readonly member: Pid
  /** The joiner, the leaver, or the previous holder (none on a takeover without one). */
  readonly pid: Pid | undefined
  /** The member's pidlist after the event. */
  readonly pidlist: readonly Pid[]
  /** For handleLeave: the leaver's exit reason (`'noconnection'` when its node went down). */
  readonly info?: ExitReason
}

/** Reported when the registry settled a clash over the cluster's name against this member (after a heal). */
export interface ClusterSrvConflict {
  readonly member: Pid
  /** The holder that stays (this member then merges into it), or null if neither stays. */
  readonly kept: Pid | null
}

/** What `info` answers: the member's own count of what it has seen. */
export interface ClusterSrvInfo {
  readonly member: Pid
  readonly joins: number
  readonly leaves: number
  readonly takeovers: number
}

/** What the example cluster server's `init` takes: where to report, both optional. */
export interface ClusterSrvArg {
  onEvent?: (event: ClusterSrvEvent) => void
  onConflict?: (event: ClusterSrvConflict) => void
}

export interface ClusterSrv extends ServerTypes {
  arg: ClusterSrvArg | undefined
  state: { me: Pid, onEvent: (event: ClusterSrvEvent) => void, onConflict: (event: ClusterSrvConflict) => void, joins: number, leaves: number, takeovers: number }
  info: NameConflictMessage
  calls: {
    /** Answers with the member's pid: a liveness check across nodes. */
    ping: { reply: { pong: Pid } }
    /** The member's counts of joins, leaves and takeovers seen. */
    info: { reply: ClusterSrvInfo }
  }
}

/** The example cluster server. Start it with `startMember(exampleClusterSrv, { onEvent }, { node, cluster })`. */
export const exampleClusterSrv = defineCluster<ClusterSrv>({
  init: (arg) => ({ state: { me: self(), onEvent: arg?.onEvent ?? (() => {}), onConflict: arg?.onConflict ?? (() => {}), joins: 0, leaves: 0, takeovers: 0 } }),
  handleInfo: (m, s) => {
    if (m.type === 'name:conflict') s.onConflict({ member: s.me, kept: m.kept })
    return { state: s }
  },
  handleCall: {
    ping: (_req, _from, s) => ({ reply: { pong: s.me }, state: s }),
    info: (_req, _from, s) => ({ reply: { member: s.me, joins: s.joins, leaves: s.leaves, takeovers: s.takeovers }, state: s })
  },
  handleJoin: (pid, pidlist, s) => {
    s.onEvent({ callback: 'handleJoin', member: s.me, pid, pidlist })
    return { state: { ...s, joins: s.joins + 1 } }
  },
  handleNodeJoined: (pid, pidlist, s) => {
    s.onEvent({ callback: 'handleNodeJoined', member: s.me, pid, pidlist })
    return { state: { ...s, joins: s.joins + 1 } }
  },
  handleLeave: (pid, pidlist, info, s) => {
    s.onEvent({ callback: 'handleLeave', member: s.me, pid, pidlist, info })
    return { state: { ...s, leaves: s.leaves + 1 } }
  },
  handleTakeover: (previous, pidlist, s) => {
    s.onEvent({ callback: 'handleTakeover', member: s.me, pid: previous, pidlist })
    return { state: { ...s, takeovers: s.takeovers + 1 } }
  }
})
