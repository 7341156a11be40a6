/**
 * @packageDocumentation
 * @module @gen-cluster/core
 *
 * `@gen-cluster/core`: Erlang/OTP's process model for TypeScript. Processes with mailboxes, pids,
 * links, monitors and exit signals, local names, and the GenServer behaviour, typed.
 *
 * | API | callback it runs on the server |
 * | --- | --- |
 * | `start(behaviour, arg)` / `startLink` | `init(arg)` |
 * | `call(server, { type: 'x', ... })` | `handleCall.x(request, from, state)` |
 * | `cast(server, { type: 'y', ... })` | `handleCast.y(message, state)` |
 * | `send(server, message)`, `DOWN`, `EXIT` | `handleInfo(message, state)` |
 * | a result with `continue: value` | `handleContinue(value, state)` |
 * | `stop(server, reason)`, a `stop` result, a crash | `terminate(reason, state)` |
 *
 * Processes of other nodes are reached through the node's `Distribution`; without a cluster every
 * other node is unreachable (`NodeDownError`, `DOWN` with `noconnection`).
 */
import './node-check.js'
export { Pid, Ref } from './pid.js'
export type { IdentityTuple } from './pid.js'
export type { ExitReason } from './exit-reason.js'
export { isExitReason, isCleanExit, formatReason } from './exit-reason.js'
export * from './errors.js'
export type { Clock, TimerHandle } from './clock.js'
export { systemClock } from './clock.js'
export type { Logger, LoggerFactory, LogLevel } from './logger.js'
export { stderrLogger, silentLogger } from './logger.js'
export type { Distribution, DistributionHost, RemoteName, CallTag, SystemKind, RemoteStartOptions } from './distribution.js'
export { localOnly } from './distribution.js'
export type { Dest, NameRegistry, ServerName, GlobalName, ViaName } from './names.js'
export type { DownMessage, ExitMessage, BehaviourInfo } from './process.js'
export { CoreNode } from './node.js'
export type { NodeInit, SpawnOptions } from './node.js'
export type { CallOptions } from './call.js'
export {
  createNode, defaultNode, forgetNode, spawn, self, send, register, unregister, whereis, registered,
  link, unlink, monitor, demonitor, exit, trapExit, makeRef, isAlive, processes
} from './api.js'
export type { ProcessContext, NodeRef, NodeOption } from './api.js'
export type {
  GenServer, ServerTypes, CallRequest, CallRequestOf, CastMessage, ReplyOf, From, ServerRef, Named, Typed, UntypedName,
  InitResult, CallResult, CastResult, InfoMessage, InfoOf, StateOf, ArgOf, Next, TimeoutMessage, ServerStatus, AnyGenServer
} from './gen-server.js'
export { defineServer, named } from './gen-server.js'
export { start, startLink, startMonitor, call, cast, reply } from './server-client.js'
export type { StartOptions, ServerPid } from './server-client.js'
export { stop, getState, stopProcesses } from './system.js'
export type { SystemOptions, StopProcessesOptions } from './system.js'
export { multiCall, abcast } from './multi-call.js'
export type { MultiOptions, MultiCallOptions, MultiCallResult } from './multi-call.js'
export { exposeBehaviour, startOn, MAX_BEHAVIOUR_NAME_BYTES } from './remote-start.js'
export type { StartOnOptions } from './remote-start.js'
export { processInfo } from './introspection.js'
export type { ProcessInfo } from './introspection.js'
export { upgrade, upgradeAll, loadBehaviour } from './upgrade.js'
export type { UpgradeResult, UpgradeOptions } from './upgrade.js'
export * from './supervisor/index.js'
