/**
 * The process API: spawn, send, self, names, links, monitors and exit signals.
 *
 * These functions act on a node chosen by one rule (`realm.ts`): `{ node }` when given, else the
 * calling process's node, else (outside any process) the node the destination names when it runs
 * here, else the only node of this OS process; with several and nothing to choose, they throw
 * `AmbiguousNodeError`.
 */
import type { RemoteName } from './distribution.js'
import { NotInProcessError } from './errors.js'
import type { ExitReason } from './exit-reason.js'
import { isExitReason } from './exit-reason.js'
import type { Dest } from './names.js'
import type { SpawnOptions } from './node.js'
import { Pid } from './pid.js'
import type { Ref } from './pid.js'
import type { Proc } from './process.js'
import { actingNode, currentProc } from './realm.js'
import type { NodeOption } from './realm.js'
import { runAs } from './scheduler.js'
import * as signals from './signals.js'

export { createNode, defaultNode, forgetNode, currentProc } from './realm.js'
export type { NodeRef, NodeOption } from './realm.js'

function mustProc (api: string): Proc {
  const p = currentProc()
  if (p === undefined || !p.alive) throw new NotInProcessError(api)
  return p
}

/** What a spawned function gets: its own pid and its mailbox. */
export interface ProcessContext {
  readonly self: Pid
  /**
   * Takes the first message of the mailbox for which `match` is true (any message without `match`),
   * waiting for one if need be. With `timeout` (ms), rejects with `ReceiveTimeoutError` if none comes.
   */
  receive<T = unknown>(opts?: { match?: (message: unknown) => boolean, timeout?: number }): Promise<T>
}

/**
 * Starts a process running `fn`. When `fn` returns the process exits `normal`; when it throws or
 * rejects, the process crashes with that error (and linked processes hear of it).
 * @example
 * const echo = spawn(async ({ receive }) => {
 *   for (;;) {
 *     const { from, text } = await receive<{ from: Pid, text: string }>()
 *     send(from, text)
 *   }
 * })
 */
export function spawn (fn: (ctx: ProcessContext) => unknown, opts: SpawnOptions = {}): Pid {
  if (typeof fn !== 'function') throw new TypeError('spawn: expected a function')
  const n = actingNode('spawn', undefined, opts.node)
  const parent = opts.link === true ? mustProc('spawn({ link: true })') : undefined
  const proc = n.newProc(null)
  proc.trapExit = opts.trapExit === true
  if (parent !== undefined) signals.link(n, parent, proc.pid)
  const ctx: ProcessContext = {
    self: proc.pid,
    receive: (o) => proc.receive(o?.match, o?.timeout)
  }
  queueMicrotask(() => {
    if (!proc.alive) return
    let result: unknown
    try {
      result = runAs(proc, () => fn(ctx))
    } catch (err) {
      n.crash(proc, err)
      return
    }
    Promise.resolve(result).then(() => { n.terminate(proc, 'normal') }, (err: unknown) => { n.crash(proc, err) })
  })
  return proc.pid
}

/** The pid of the calling process. Throws `NotInProcessError` outside a process. */
export function self (): Pid {
  return mustProc('self()').pid
}

/**
 * Sends `message` to `dest`. A message to a dead pid, or to a node that is not connected, is dropped
 * silently, as in Erlang; a message to an unregistered name throws `NoProcError`.
 */
export function send (dest: Dest, message: unknown, opts?: NodeOption): void {
  const caller = currentProc()
  // Code of a killed process may still run after an await; a dead process sends nothing.
  if (caller !== undefined && !caller.alive) return
  const node = actingNode('send', dest, opts?.node, caller)
  node.send(dest, message, caller?.node === node ? caller.pid : undefined)
}

/** Registers `pid` (a process of the acting node) under `name` on that node. */
export function register (name: string, pid: Pid, opts?: NodeOption): void {
  actingNode('register', pid, opts?.node).register(name, pid)
}

/** Removes a locally registered name of the acting node; false if it was not registered. */
export function unregister (name: string, opts?: NodeOption): boolean {
  return actingNode('unregister', undefined, opts?.node).unregister(name)
}

/** The pid registered under `name` on the acting node. */
export function whereis (name: string, opts?: NodeOption): Pid | undefined {
  return actingNode('whereis', undefined, opts?.node).whereis(name)
}

/** The names registered on the acting node. */
export function registered (opts?: NodeOption): string[] {
  return [...actingNode('registered', undefined, opts?.node).names.keys()]
}

/** Links the calling process with `pid`. */
export function link (pid: Pid): void {
  if (!(pid instanceof Pid)) throw new TypeError('link: expected a Pid')
  const p = mustProc('link')
  signals.link(p.node, p, pid)
}

export function unlink (pid: Pid): void {
  if (!(pid instanceof Pid)) throw new TypeError('unlink: expected a Pid')
  const p = mustProc('unlink')
  signals.unlink(p.node, p, pid)
}

/** Monitors a process (a pid, a local name, or `{ name, node }`); exactly one `DOWN` message will follow. */
export function monitor (target: Pid | string | RemoteName): Ref {
  if (!(target instanceof Pid) && typeof target !== 'string' && (typeof target !== 'object' || target === null || typeof target.name !== 'string' || typeof target.node !== 'string')) {
    throw new TypeError('monitor: expected a Pid, a registered name or { name, node }')
  }
  const p = mustProc('monitor')
  return signals.monitor(p.node, p, target)
}

/** Removes a monitor. With `flush`, a `DOWN` already in the mailbox is removed too. */
export function demonitor (ref: Ref, opts: { flush?: boolean } = {}): boolean {
  const p = mustProc('demonitor')
  return signals.demonitor(p.node, p, ref, opts.flush === true)
}

/** Sends an exit signal to `pid` (`'kill'` cannot be trapped). Outside a process, the sender is the acting node's root pid. */
export function exit (pid: Pid, reason: ExitReason, opts?: NodeOption): void {
  if (!(pid instanceof Pid)) throw new TypeError('exit: expected a Pid')
  if (!isExitReason(reason)) throw new TypeError('exit: reason must be an exit reason: normal, shutdown, { shutdown }, kill, killed, noproc, noconnection or an Error')
  const p = currentProc()
  const node = actingNode('exit', pid, opts?.node, p)
  signals.sendExit(node, p?.node === node ? p.pid : node.rootPid, pid, reason, false)
}

/** Sets whether the calling process traps exits; returns the previous setting. */
export function trapExit (flag: boolean): boolean {
  const p = mustProc('trapExit')
  const prev = p.trapExit
  p.trapExit = flag
  return prev
}

/** A new unique reference, made by the acting node. */
export function makeRef (opts?: NodeOption): Ref {
  return actingNode('makeRef', undefined, opts?.node).makeRef()
}

/** True if `pid` is a live process of its node, which must run in this OS process (Erlang's `is_process_alive`). */
export function isAlive (pid: Pid, opts?: NodeOption): boolean {
  if (!(pid instanceof Pid)) throw new TypeError('isAlive: expected a Pid')
  return actingNode('isAlive', pid, opts?.node).lookup(pid) !== undefined
}

/** Pids of the processes of the acting node. */
export function processes (opts?: NodeOption): Pid[] {
  return [...actingNode('processes', undefined, opts?.node).procs.values()].map(p => p.pid)
}
