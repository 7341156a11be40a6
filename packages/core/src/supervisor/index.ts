/**
 * The supervisor part of `@gen-cluster/core`: OTP's `supervisor` behaviour, its specs, and the pure
 * restart strategies (exported so users can reason about, and test, what a supervisor will do).
 */
export {
  startSupervisor, startLinkSupervisor, startChild, terminateChild, restartChild, deleteChild, getChildSpec,
  whichChildren, countChildren, DEFAULT_INTENSITY, DEFAULT_PERIOD, DEFAULT_WORKER_SHUTDOWN
} from './supervisor.js'
export type {
  SupervisorSpec, StaticSupervisorSpec, SimpleSupervisorSpec, SupervisorFlags, ChildSpec, RestartType,
  Shutdown, ChildType, StrategyName, AutoShutdown, ChildInfo, ChildCounts, SupervisorOptions, SupervisorPid, SupervisorRef
} from './supervisor.js'
export type { SupervisorServer } from './server.js'
export { decide, shouldRestart, recordRestart, strategies } from './decide.js'
export type { SupervisorView, Decision } from './decide.js'
export type { Action, ChildExit, ChildView, Strategy } from './strategy.js'
