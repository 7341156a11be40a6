/**
 * Supervisor: OTP's `supervisor` behaviour. A supervisor is a GenServer that starts child processes
 * linked to itself, traps their exits, and restarts them by its strategy, within a restart intensity.
 * Children may be supervisors too, which makes a supervision tree.
 *
 * | API | what the supervisor does |
 * | --- | --- |
 * | `startSupervisor(spec)` / `startLinkSupervisor` | checks the spec, then starts each child in order; if one fails, terminates those started and fails with `InitError` (reason `ChildStartError`) |
 * | a child exits | by the child's `restart` and the `strategy`: nothing, forget it, or restart it (and maybe its siblings) |
 * | more than `intensity` restarts in `period` s | terminates every child, then exits `'shutdown'`: its parent decides |
 * | `stop(sup)`, its parent's exit signal | terminates every child in reverse start order (shutdown spec), then exits |
 * | `startChild(sup, spec)`, `terminateChild`, `restartChild`, `deleteChild` | manages children at run time |
 * | `startChild(sup, arg)`, `terminateChild(sup, pid)` (simple_one_for_one) | starts / ends a dynamic child of the template |
 * | `whichChildren(sup)`, `countChildren(sup)`, `getChildSpec(sup, id)` | reports the children |
 * | a significant child ends on its own (`autoShutdown`) | terminates every child, then exits `'shutdown'` |
 *
 * The run-time functions take `opts` (`timeout`, `signal`) for their call to the supervisor; the
 * timeout defaults to Infinity, as in OTP, since the supervisor answers only after what it is doing
 * (a restart, a shutdown).
 *
 * Strategies (`strategy`): `one_for_one` restarts only the child that exited; `one_for_all` restarts
 * all children; `rest_for_one` restarts the child and those started after it; `simple_one_for_one`
 * is `one_for_one` over dynamic children of one template.
 */
import type { CallOptions } from '../call.js'
import type { Pid } from '../pid.js'
import type { ServerPid, StartOptions } from '../server-client.js'
import { call, start, startLink } from '../server-client.js'
import type { ServerRef } from '../gen-server.js'
import { checkSupervisorSpec } from './spec.js'
import { supervisorServer } from './server.js'
import type { Outcome, SupervisorServer } from './server.js'

export { DEFAULT_INTENSITY, DEFAULT_PERIOD, DEFAULT_WORKER_SHUTDOWN } from './spec.js'

export type StrategyName = 'one_for_one' | 'one_for_all' | 'rest_for_one' | 'simple_one_for_one'

/**
 * When a child is restarted: `permanent` always; `transient` only after an abnormal exit (not
 * `'normal'`, `'shutdown'` or `{ shutdown }`); `temporary` never (and it is forgotten once it exits).
 */
export type RestartType = 'permanent' | 'transient' | 'temporary'

/**
 * How a child is stopped: `'brutal_kill'` kills it at once (`exit(pid, 'kill')`); a number of ms sends
 * `exit(pid, 'shutdown')` and kills it if it has not exited after that long (on the node's clock);
 * `Infinity` sends `'shutdown'` and waits as long as it takes (for supervisors: their own children
 * take the time they need).
 */
export type Shutdown = 'brutal_kill' | number

export type ChildType = 'worker' | 'supervisor'

/**
 * When the exits of *significant* children shut the supervisor down (with `'shutdown'`, its children
 * terminated first), as OTP 24's `auto_shutdown`: `never`; `any_significant`, when any significant
 * child ends on its own and is not restarted; `all_significant`, when the last one running does.
 * "On its own": not terminated by the supervisor (`terminateChild`, a sibling's restart).
 */
export type AutoShutdown = 'never' | 'any_significant' | 'all_significant'

/** A child of a supervisor. `A` is the argument of `start` (simple_one_for_one only). */
export interface ChildSpec<A = undefined> {
  /** Names the child within its supervisor; unique among its children. */
  readonly id: string
  /**
   * Starts the child *linked to the calling process* (the supervisor) and resolves with its pid, as
   * OTP's `{M, F, A}`: `start: () => startLink(worker, arg)`. Rejecting is a failed start; rejecting
   * with `InitIgnoredError` (an `init` that returned `{ ignore: true }`) is OTP's `ignore`: no process,
   * not an error. Under simple_one_for_one it receives the argument given to `startChild`.
   */
  readonly start: (arg: A) => Promise<Pid>
  /** @default 'permanent' */
  readonly restart?: RestartType
  /** @default 5000 for a worker, Infinity for a supervisor */
  readonly shutdown?: Shutdown
  /** @default 'worker' */
  readonly type?: ChildType
  /**
   * Its own exit (when not restarted) may shut the supervisor down, by the supervisor's
   * `autoShutdown`. Only for transient and temporary children, and only with an `autoShutdown`
   * other than `'never'`. @default false
   */
  readonly significant?: boolean
}

/** The restart intensity: at most `intensity` restarts in `period` seconds, else the supervisor gives up. */
export interface SupervisorFlags {
  /** @default 1 (OTP's default) */
  readonly intensity?: number
  /** In seconds, as in OTP. @default 5 */
  readonly period?: number
  /** See {@link AutoShutdown}. @default 'never' */
  readonly autoShutdown?: AutoShutdown
}

export interface StaticSupervisorSpec extends SupervisorFlags {
  /** @default 'one_for_one' */
  readonly strategy?: 'one_for_one' | 'one_for_all' | 'rest_for_one'
  /** The children, in start order. */
  readonly children: readonly ChildSpec[]
}

export interface SimpleSupervisorSpec<A = any> extends SupervisorFlags {
  readonly strategy: 'simple_one_for_one'
  /** The one template every dynamic child is started from. */
  readonly children: readonly [ChildSpec<A>]
}

export type SupervisorSpec = StaticSupervisorSpec | SimpleSupervisorSpec

/** A child as `whichChildren` reports it. */
export interface ChildInfo {
  /** `undefined` for the dynamic children of simple_one_for_one. */
  readonly id: string | undefined
  /** The pid; `'restarting'` while a failed restart waits to be tried again; `undefined` if not running. */
  readonly pid: Pid | 'restarting' | undefined
  readonly type: ChildType
}

/** What `countChildren` reports. */
export interface ChildCounts {
  /** Child specs (1 for simple_one_for_one). */
  readonly specs: number
  /** Children running. */
  readonly active: number
  /** Children of type `supervisor` (running ones under simple_one_for_one). */
  readonly supervisors: number
  readonly workers: number
}

/** Options of `startSupervisor`: those of `start`, but a supervisor always traps exits. */
export type SupervisorOptions = Omit<StartOptions, 'trapExit'>
export type SupervisorPid = ServerPid<SupervisorServer>
export type SupervisorRef = ServerRef<SupervisorServer>

/**
 * Starts a supervisor; resolves once every child has started. Throws `InvalidSupervisorSpecError` or
 * `InvalidChildSpecError` (naming the field) at once for a bad spec.
 * @example
 * const sup = await startSupervisor({
 *   strategy: 'one_for_one',
 *   children: [{ id: 'counter', start: () => startLink(counter, 0) }]
 * })
 */
export async function startSupervisor (spec: SupervisorSpec, opts: SupervisorOptions = {}): Promise<SupervisorPid> {
  return await start(supervisorServer, checkSupervisorSpec(spec), { ...opts, trapExit: true })
}

/** Starts a supervisor linked to the calling process (a process, often a parent supervisor). */
export async function startLinkSupervisor (spec: SupervisorSpec, opts: SupervisorOptions = {}): Promise<SupervisorPid> {
  return await startLink(supervisorServer, checkSupervisorSpec(spec), { ...opts, trapExit: true })
}

/** Supervisor calls wait as long as the supervisor lives unless told otherwise (a shutdown may take a while). */
function callOptions (opts: CallOptions): CallOptions {
  return { timeout: Infinity, ...opts }
}

async function unwrap<T> (outcome: Promise<Outcome<T>>): Promise<T> {
  const o = await outcome
  if (!o.ok) throw o.error
  return o.value
}

/**
 * one_for_one, one_for_all, rest_for_one: adds a child spec (at the end of the start order) and
 * starts it. simple_one_for_one: starts a dynamic child, calling the template's `start(specOrArg)`.
 * Resolves with the pid (`undefined` if the start was ignored). Throws `InvalidChildSpecError`
 * (also for an id in use) or `ChildStartError`.
 */
export async function startChild (sup: SupervisorRef, specOrArg: unknown, opts: CallOptions = {}): Promise<Pid | undefined> {
  return await unwrap(call(sup, { type: 'startChild', specOrArg }, callOptions(opts)))
}

/**
 * Terminates a child as its `shutdown` says: by id (its spec stays, unless it is temporary), or by
 * pid under simple_one_for_one (it is forgotten). Throws `ChildNotFoundError`.
 */
export async function terminateChild (sup: SupervisorRef, child: string | Pid, opts: CallOptions = {}): Promise<void> {
  await unwrap(call(sup, { type: 'terminateChild', child }, callOptions(opts)))
}

/** Starts again a child that was terminated. Throws `ChildNotFoundError`, `ChildRunningError`, `ChildStartError`, `WrongStrategyError`. */
export async function restartChild (sup: SupervisorRef, id: string, opts: CallOptions = {}): Promise<Pid | undefined> {
  return await unwrap(call(sup, { type: 'restartChild', id }, callOptions(opts)))
}

/** Forgets the spec of a terminated child. Throws `ChildNotFoundError`, `ChildRunningError`, `WrongStrategyError`. */
export async function deleteChild (sup: SupervisorRef, id: string, opts: CallOptions = {}): Promise<void> {
  await unwrap(call(sup, { type: 'deleteChild', id }, callOptions(opts)))
}

/**
 * The spec of child `id` (or, by pid, of a running child; under simple_one_for_one, the template),
 * with its defaults filled in (OTP's `get_childspec`). Throws `ChildNotFoundError`.
 */
export async function getChildSpec (sup: SupervisorRef, child: string | Pid, opts: CallOptions = {}): Promise<Required<ChildSpec<any>>> {
  return await unwrap(call(sup, { type: 'getChildSpec', child }, callOptions(opts)))
}

/** The children, in start order. */
export async function whichChildren (sup: SupervisorRef, opts: CallOptions = {}): Promise<ChildInfo[]> {
  return await call(sup, { type: 'whichChildren' }, callOptions(opts))
}

export async function countChildren (sup: SupervisorRef, opts: CallOptions = {}): Promise<ChildCounts> {
  return await call(sup, { type: 'countChildren' }, callOptions(opts))
}
