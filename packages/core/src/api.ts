/**
 * The process API: spawn, send, self, names, links, monitors and exit signals.
 *
 * These functions act on the *current node*: the node of the calling process, or the default node
 * (`nonode@nohost`, made on first use) for code outside any process. Nodes made with `createNode`
 * have the same functions as methods, through {@link NodeApi}.
 */
import type { RemoteName } from './distribution.js'
import { NotInProcessError } from './errors.js'
import type { ExitReason } from './exit-reason.js'
import { isExitReason } from './exit-reason.js'
import type { Dest } from './names.js'
import type { NodeInit, SpawnOptions } from './node.js'
import { CoreNode } from './node.js'
import { Pid } from './pid.js'
import type { Ref } from './pid.js'
import { Proc } from './process.js'
import { currentProcess, runAs } from './scheduler.js'
import * as signals from './signals.js'

let defaultNodeInstance: CoreNode | undefined
/** The nodes of this realm, by name, so code outside any process reaches a pid's own node. */
const realm = new Map<string, CoreNode>()

/** Makes a node. Most programs use the default node and never call this; tests and clusters make several. */
export function createNode (init?: NodeInit): CoreNode {
  const node = new CoreNode(init)
  realm.set(node.name, node)
  lastPid = undefined
  lastNode = undefined
  return node
}

/** The node used by code outside any process. */
export function defaultNode (): CoreNode {
  if (defaultNodeInstance === undefined) {
    defaultNodeInstance = new CoreNode()
    if (!realm.has(defaultNodeInstance.name)) realm.set(defaultNodeInstance.name, defaultNodeInstance)
  }
  return defaultNodeInstance
}

/** Forgets `node` (after its processes are gone); its name can be used again. */
let lastPid: unknown
let lastNode: CoreNode | undefined

export function forgetNode (node: CoreNode): void {
  lastPid = undefined
  lastNode = undefined
  if (realm.get(node.name) === node) realm.delete(node.name)
  if (defaultNodeInstance === node) defaultNodeInstance = undefined
}

/**
 * The node that acts for the caller towards `dest`: the calling process's node; outside any process,
 * the node of `dest` if it is a pid of a node of this realm, else the default node.
 */
export function nodeFor (dest: unknown, caller: Proc | undefined = currentProc()): CoreNode {
  if (caller !== undefined) return caller.node
  let pid = dest
  if (typeof dest === 'object' && dest !== null && 'global' in dest) {
    // Outside any process: the first node of this realm whose global registry knows the name.
    const name = (dest as { global: unknown }).global
    for (const n of realm.values()) {
      if (n.globalRegistry !== undefined && typeof name === 'string' && n.globalRegistry.whereisName(name) !== undefined) return n
    }
  }
  if (typeof dest === 'object' && dest !== null && 'via' in dest) {
    const via = (dest as { via: { whereisName?: (name: string) => Pid | undefined }, name: string })
    pid = typeof via.via?.whereisName === 'function' ? via.via.whereisName(via.name) : undefined
  }
  if (pid instanceof Pid) {
    // A sender often talks to the same pid many times in a row: remember the last answer.
    if (pid === lastPid && lastNode !== undefined) return lastNode
    const n = realm.get(pid.node)
    if (n !== undefined && n.creation === pid.creation) {
      lastPid = pid
      lastNode = n
      return n
    }
  }
  return defaultNode()
}

/** The calling process, if any. */
export function currentProc (): Proc | undefined {
  const p = currentProcess()
  return p instanceof Proc ? p : undefined
}

/** The node of the calling process, or the default node. */
export function currentNode (): CoreNode {
  return currentProc()?.node ?? defaultNode()
}

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
  const n = opts.node ?? currentNode()
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
export function send (dest: Dest, message: unknown): void {
  const caller = currentProc()
  // Code of a killed process may still run after an await; a dead process sends nothing.
  if (caller !== undefined && !caller.alive) return
  nodeFor(dest, caller).send(dest, message, caller?.pid)
}

/** Registers `pid` under `name` on the pid's node (which must be a node of this realm). */
export function register (name: string, pid: Pid): void {
  nodeFor(pid).register(name, pid)
}

/** Removes a name of the current node (the calling process's, else the default node). */
export function unregister (name: string): boolean {
  return currentNode().unregister(name)
}

/** The pid registered under `name` on the current node (the calling process's, else the default node). */
export function whereis (name: string): Pid | undefined {
  return currentNode().whereis(name)
}

/** The locally registered names. */
export function registered (): string[] {
  return [...currentNode().names.keys()]
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

/** Sends an exit signal to `pid` (`'kill'` cannot be trapped). Outside a process, the sender is the node's root pid. */
export function exit (pid: Pid, reason: ExitReason): void {
  if (!(pid instanceof Pid)) throw new TypeError('exit: expected a Pid')
  if (!isExitReason(reason)) throw new TypeError('exit: reason must be an exit reason: normal, shutdown, { shutdown }, kill, killed, noproc, noconnection or an Error')
  const p = currentProc()
  const node = nodeFor(pid)
  signals.sendExit(node, p?.pid ?? node.rootPid, pid, reason, false)
}

/** Sets whether the calling process traps exits; returns the previous setting. */
export function trapExit (flag: boolean): boolean {
  const p = mustProc('trapExit')
  const prev = p.trapExit
  p.trapExit = flag
  return prev
}

/** A new unique reference. */
export function makeRef (): Ref {
  return currentNode().makeRef()
}

/** True if `pid` is a live process of the current node. */
export function isAlive (pid: Pid): boolean {
  return currentNode().lookup(pid) !== undefined
}

/** Pids of the processes of the current node. */
export function processes (): Pid[] {
  return [...currentNode().procs.values()].map(p => p.pid)
}
