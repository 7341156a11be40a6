/**
 * The supervisor's children: a table in start order (found by id and by pid), and the two things
 * done to a child: starting it with its spec, and shutting it down as its spec says.
 */
import { currentProc } from '../api.js'
import { InitIgnoredError } from '../errors.js'
import type { ExitReason } from '../exit-reason.js'
import { formatReason } from '../exit-reason.js'
import type { Logger } from '../logger.js'
import { Pid } from '../pid.js'
import type { Proc } from '../process.js'
import { link } from '../signals.js'
import type { ChildView } from './strategy.js'
import type { CheckedChildSpec } from './spec.js'
import type { ChildInfo, RestartType } from './supervisor.js'
import { isExpectedShutdown, shutdown } from './shutdown.js'

/** The supervisor's own process: its callbacks run as it, also after their awaits. */
export function me (): Proc {
  const proc = currentProc()
  if (proc === undefined) throw new Error('supervisor callback ran outside its process')
  return proc
}

export class Child implements ChildView {
  readonly id: string
  readonly spec: CheckedChildSpec
  /** What `start` is called with (the `startChild` argument of a dynamic child). */
  readonly arg: unknown
  /** True for the children of simple_one_for_one, which `whichChildren` shows without an id. */
  readonly dynamic: boolean
  pid: Pid | undefined = undefined
  /** The last process of a child that is not running (to find one that is restarting by its old pid). */
  lastPid: Pid | undefined = undefined
  /** A restart failed and is to be tried again. */
  restarting = false

  constructor (id: string, spec: CheckedChildSpec, arg: unknown, dynamic: boolean) {
    this.id = id
    this.spec = spec
    this.arg = arg
    this.dynamic = dynamic
  }

  get restart (): RestartType {
    return this.spec.restart
  }

  get running (): boolean {
    return this.pid !== undefined
  }

  get significant (): boolean {
    return this.spec.significant
  }

  info (): ChildInfo {
    return { id: this.dynamic ? undefined : this.id, pid: this.restarting ? 'restarting' : this.pid, type: this.spec.type }
  }
}

/** The children in start order; a restarted child keeps its place. */
export class ChildTable {
  readonly byId = new Map<string, Child>()
  readonly #byPid = new Map<string, Child>()
  /** Each child that is not running, by the key of its last process. */
  readonly #byLastPid = new Map<string, Child>()

  get (id: string): Child | undefined {
    return this.byId.get(id)
  }

  /** The running child whose process is `pid`. */
  ofPid (pid: Pid): Child | undefined {
    return this.#byPid.get(pid.key)
  }

  /** The child whose restart is being retried and whose last process was `pid` (OTP's `{restarting, Pid}`). */
  restartingOf (pid: Pid): Child | undefined {
    const child = this.#byLastPid.get(pid.key)
    return child?.restarting === true ? child : undefined
  }

  add (child: Child): void {
    this.byId.set(child.id, child)
  }

  delete (child: Child): void {
    this.byId.delete(child.id)
    this.setPid(child, undefined)
  }

  setPid (child: Child, pid: Pid | undefined): void {
    if (child.lastPid !== undefined) this.#byLastPid.delete(child.lastPid.key)
    child.lastPid = undefined
    if (child.pid !== undefined) {
      this.#byPid.delete(child.pid.key)
      if (pid === undefined && this.byId.get(child.id) === child) {
        child.lastPid = child.pid
        this.#byLastPid.set(child.pid.key, child)
      }
    }
    child.pid = pid
    if (pid !== undefined) this.#byPid.set(pid.key, child)
  }

  /** The children, in start order. */
  list (): Child[] {
    return [...this.byId.values()]
  }
}

export type StartOutcome = { readonly ok: true, readonly pid: Pid | undefined } | { readonly ok: false, readonly reason: unknown }

/**
 * Starts `child` from `sup`'s process (its `start` links it to the supervisor; the supervisor links
 * too, in case it did not). `pid` is undefined if the start was ignored.
 */
export async function startChildProcess (sup: Proc, table: ChildTable, child: Child): Promise<StartOutcome> {
  let pid: unknown
  try {
    pid = await child.spec.start(child.arg)
  } catch (err) {
    if (err instanceof InitIgnoredError) {
      table.setPid(child, undefined)
      return { ok: true, pid: undefined }
    }
    return { ok: false, reason: err }
  }
  if (!(pid instanceof Pid)) return { ok: false, reason: new TypeError(`start must resolve with a Pid, got ${String(pid)}`) }
  if (sup.alive) link(sup.node, sup, pid)
  table.setPid(child, pid)
  return { ok: true, pid }
}

/**
 * Shuts `children` down from `sup`'s process: one after the other in the order given, or (for the
 * dynamic children of simple_one_for_one) all at once. Their specs stay in the table.
 */
export async function terminateChildren (sup: Proc, table: ChildTable, children: readonly Child[], log: Logger, together = false): Promise<void> {
  const running = children.filter(c => c.pid !== undefined)
  const report = (child: Child, reason: ExitReason | undefined): void => {
    if (reason !== undefined && !isExpectedShutdown(child.spec.shutdown, reason)) {
      log.error('child shutdown error', { supervisor: sup.pid.toString(), child: child.id, reason: formatReason(reason) })
    }
    table.setPid(child, undefined)
  }
  if (together) {
    const reasons = await shutdown(sup, running.map(c => ({ pid: c.pid as Pid, shutdown: c.spec.shutdown })))
    for (const child of running) report(child, reasons.get((child.pid as Pid).key))
    return
  }
  for (const child of running) {
    const pid = child.pid as Pid
    const reasons = await shutdown(sup, [{ pid, shutdown: child.spec.shutdown }])
    report(child, reasons.get(pid.key))
  }
}
