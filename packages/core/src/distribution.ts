/**
 * The seam between a node and the network. Everything addressed to a process of another node goes
 * through the node's `Distribution`; what comes in from the network enters through the
 * {@link DistributionHost} the node hands to it in `attach`.
 *
 * The node itself keeps the Erlang semantics for unreachable nodes, whatever the distribution: a
 * message to a node that is not connected is dropped, a monitor on one fires `DOWN` with
 * `'noconnection'` at once, a link to one delivers an exit signal `'noconnection'`, and a call to one
 * fails at once with `NodeDownError`. When a connected node goes down, the distribution calls
 * `host.nodeDown(node)` and the same happens to every monitor, link and call in flight towards it.
 *
 * Without a cluster, a node uses {@link localOnly}: no other node is ever connected.
 */
import type { ExitReason } from './exit-reason.js'
import type { Pid, Ref } from './pid.js'

/** A process named on a given node: Erlang's `{Name, Node}`. */
export interface RemoteName {
  readonly name: string
  readonly node: string
}

/** Who a reply goes to: the calling process (if any) and the call's reference. */
export interface CallTag {
  readonly pid: Pid | undefined
  readonly ref: Ref
}

/**
 * The system requests a server answers between two messages: OTP's `sys` for gen_server.
 * @internal The seam between `@gen-cluster/core` and a distribution (what `@gen-cluster/cluster` implements); not for applications.
 */
export type SystemKind = 'getState' | 'stop' | 'upgrade'

/**
 * What a system request carries to another node: for `stop` the exit reason; for `upgrade` the
 * name under which that node exposes the new behaviour, and `extra` for `codeChange`.
 */
export type SystemArg = unknown

/**
 * Options of a start on another node (`startOn`), as they cross.
 * @internal The seam between `@gen-cluster/core` and a distribution (what `@gen-cluster/cluster` implements); not for applications.
 */
export interface RemoteStartOptions {
  /** A local name on that node, or `{ global }`. */
  readonly name?: string | { readonly global: string }
  /** Link the new server to the caller (set before `init` runs). */
  readonly link: boolean
  /** Milliseconds `init` may take. */
  readonly timeout: number
}

/**
 * Ways out of the node. Each method is called only for a node for which `isConnected` was true.
 * @internal The seam between `@gen-cluster/core` and a distribution (what `@gen-cluster/cluster` implements); not for applications.
 */
export interface Distribution {
  /** Called once by the node that uses this distribution. */
  attach(host: DistributionHost): void
  /** True if messages can be sent to `node` now. */
  isConnected(node: string): boolean
  /** The nodes connected now (visible ones: not hidden tools), for `multiCall` and `abcast`. */
  connectedNodes(): string[]
  send(to: Pid, message: unknown, from: Pid | undefined): void
  sendNamed(to: RemoteName, message: unknown, from: Pid | undefined): void
  /** A GenServer cast (to a pid, or a name on that node). */
  cast(to: Pid | RemoteName, message: unknown, from: Pid | undefined): void
  /**
   * Starts a call. It ends through `host.callReplied(tag.ref, value)` or `host.callFailed(tag.ref, err)`
   * on this node: the other node fails it (`NoProcError`, `CallExitError`) if the target does not
   * exist or exits before replying, so no monitor needs to cross for a call.
   */
  call(to: Pid | RemoteName, request: unknown, tag: CallTag): void
  /**
   * A system request to a server of another node; it ends as a call does, through `host.callReplied`
   * (the state, the upgrade result, or the exit reason once a stopped server has exited) or
   * `host.callFailed`.
   */
  system(to: Pid | RemoteName, kind: SystemKind, arg: SystemArg, tag: CallTag): void
  /** Starts the behaviour `node` exposes as `behaviour`; ends as a call, with the new pid. */
  start(node: string, behaviour: string, arg: unknown, opts: RemoteStartOptions, tag: CallTag): void
  /** Replies to a caller on another node. */
  reply(tag: CallTag, value: unknown): void
  /** Ends a caller's call on another node with an error (e.g. `UnknownRequestError`). */
  replyError(tag: CallTag, error: Error): void
  link(from: Pid, to: Pid): void
  unlink(from: Pid, to: Pid): void
  /** An exit signal; `linked` is true when it comes from the exit of a linked process. */
  exit(from: Pid, to: Pid, reason: ExitReason, linked: boolean): void
  monitor(watcher: Pid, target: Pid | RemoteName, ref: Ref): void
  demonitor(watcher: Pid, target: Pid | RemoteName, ref: Ref): void
  /** Tells a watcher on another node that the process it monitored has ended. */
  down(watcher: Pid, target: Pid, ref: Ref, reason: ExitReason): void
}

/**
 * Ways into the node, for its distribution.
 * @internal The seam between `@gen-cluster/core` and a distribution (what `@gen-cluster/cluster` implements); not for applications.
 */
export interface DistributionHost {
  readonly name: string
  readonly creation: number
  deliver(to: Pid, message: unknown): void
  deliverNamed(name: string, message: unknown): void
  deliverCast(to: Pid | string, message: unknown): void
  deliverCall(to: Pid | string, request: unknown, tag: CallTag): void
  /** A system request from another node for a server here; answered through `reply` / `replyError`. */
  deliverSystem(to: Pid | string, kind: SystemKind, arg: SystemArg, tag: CallTag): void
  /** A start of an exposed behaviour asked by another node; answered with the pid or an error. */
  startExposed(behaviour: string, arg: unknown, opts: RemoteStartOptions, tag: CallTag): void
  /** A reply from node `from`; ignored unless the call with `ref` went to that node. */
  callReplied(ref: Ref, value: unknown, from: string): void
  callFailed(ref: Ref, error: Error, from: string): void
  exitSignal(to: Pid, from: Pid, reason: ExitReason, linked: boolean): void
  link(local: Pid, remote: Pid): void
  unlink(local: Pid, remote: Pid): void
  monitor(target: Pid | string, watcher: Pid, ref: Ref): void
  demonitor(target: Pid | string, ref: Ref): void
  monitorDown(watcher: Pid, ref: Ref, target: Pid, reason: ExitReason): void
  /** The connection to `node` is lost: fail everything in flight towards it with `noconnection`. */
  nodeDown(node: string): void
}

function unreachable (): never {
  throw new Error('localOnly distribution: no other node is connected')
}

/**
 * The distribution of a node outside any cluster: no other node is ever reachable.
 * @internal The seam between `@gen-cluster/core` and a distribution (what `@gen-cluster/cluster` implements); not for applications.
 */
export function localOnly (): Distribution {
  return {
    attach () {},
    isConnected: () => false,
    connectedNodes: () => [],
    system: unreachable,
    start: unreachable,
    send: unreachable,
    sendNamed: unreachable,
    cast: unreachable,
    call: unreachable,
    reply: unreachable,
    replyError: unreachable,
    link: unreachable,
    unlink: unreachable,
    exit: unreachable,
    monitor: unreachable,
    demonitor: unreachable,
    down: unreachable
  }
}
