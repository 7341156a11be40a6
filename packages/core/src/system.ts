/**
 * System requests to a GenServer, handled in mailbox order between two messages (OTP's `sys`):
 * `getState`, `stop`, and (through `upgrade.ts`) `upgrade`, to a server of this node or of another
 * connected node alike. Across nodes a request travels as one frame and ends as a call does: with
 * the answer, a timeout, `NoProcError`, `CallExitError`, or `NodeDownError` if the node goes down.
 */
import type { CallTag, RemoteName, SystemKind } from './distribution.js'
import { CallExitError, CallTimeoutError, InvalidBehaviourError, NoProcError, StartRefusedError, StopTimeoutError } from './errors.js'
import type { ExitReason } from './exit-reason.js'
import { isExitReason } from './exit-reason.js'
import type { ServerRef, StateOf } from './gen-server.js'
import type { Dest } from './names.js'
import { describe } from './names.js'
import type { CoreNode } from './node.js'
import { Pid } from './pid.js'
import { Proc } from './process.js'
import type { Waiter } from './process.js'
import { actingNode, currentProc } from './realm.js'
import type { NodeOption, NodeRef } from './realm.js'
import { checkTimeout, DEFAULT_CALL_TIMEOUT, requestRemote } from './call.js'
import { ServerLoop, SystemRequest } from './server-loop.js'
import { replyError } from './remote-start.js'

/** Options of `stop` and `getState`: a timeout, and the node that acts. */
export interface SystemOptions extends NodeOption {
  /** Milliseconds to wait (`Infinity`: as long as it takes). */
  timeout?: number
}

/** The error a request of `kind` ends with when `target` does not answer within `timeout` ms. */
function timedOut (kind: SystemKind): (target: string, timeout: number) => Error {
  return kind === 'stop' ? (t, ms) => new StopTimeoutError(t, ms) : (t, ms) => new CallTimeoutError(t, ms)
}

/**
 * Sends a system request to `server` (a pid, a name, `{ name, node }`, `{ global }`), on this node or
 * another. `getState` and `upgrade` resolve with the server's answer; `stop` with the exit reason once
 * the process has exited.
 */
export function systemRequest (server: ServerRef, kind: SystemKind, arg: unknown, timeout: number, explicit?: NodeRef): Promise<unknown> {
  let node: CoreNode
  let target: Proc | Pid | RemoteName | undefined
  const caller = currentProc()
  try {
    node = actingNode(kind, server, explicit, caller)
    target = node.resolve(server as Dest, kind)
  } catch (err) {
    return Promise.reject(err as Error)
  }
  if (target === undefined) return Promise.reject(new NoProcError(describe(server)))
  if (target instanceof Proc) return localRequest(target, kind, arg, timeout)
  let wire: unknown = arg
  if (kind === 'upgrade') {
    // Code does not cross the wire: the other node upgrades to what it exposes under that name.
    const { behaviour, extra } = arg as { behaviour: unknown, extra: unknown }
    const name = typeof behaviour === 'string' ? behaviour : node.exposedName(behaviour)
    if (name === undefined) {
      return Promise.reject(new InvalidBehaviourError('next', 'for a server on another node must be the name of a behaviour its node exposes (exposeBehaviour on every node), or a behaviour this node exposes under that same name'))
    }
    wire = { behaviour: name, extra }
  }
  const to = target
  return requestRemote(node, to.node, to instanceof Pid ? to.toString() : describe(to),
    { timeout, caller: caller?.node === node ? caller.pid : undefined, timedOut: timedOut(kind) },
    (tag) => { node.distribution.system(to, kind, wire, tag) })
}

function localRequest (proc: Proc, kind: SystemKind, arg: unknown, timeout: number): Promise<unknown> {
  if (!(proc.handler instanceof ServerLoop)) return Promise.reject(new TypeError(`${kind}: ${proc.pid.toString()} is not a GenServer`))
  if (kind === 'upgrade') {
    const a = arg as { behaviour: unknown, extra: unknown }
    if (typeof a.behaviour === 'string') {
      const b = proc.node.behaviours.get(a.behaviour)
      if (b === undefined) return Promise.reject(new StartRefusedError(a.behaviour, proc.node.name))
      arg = { behaviour: b, extra: a.extra }
    }
  }
  const { promise, resolve, reject } = Promise.withResolvers<unknown>()
  let timer: unknown
  const end = (): void => {
    if (timer !== undefined) proc.node.clock.clearTimeout(timer)
    timer = undefined
    if (proc.alive) proc.removeWaiter(waiter)
  }
  const waiter: Waiter = {
    prev: null,
    next: null,
    exited: (reason) => {
      end()
      if (kind === 'stop') resolve(reason)
      else reject(reason === 'noproc' ? new NoProcError(proc.pid.toString()) : new CallExitError(proc.pid.toString(), reason))
    }
  }
  proc.addWaiter(waiter)
  if (timeout !== Infinity) {
    timer = proc.node.clock.setTimeout(() => {
      timer = undefined
      end()
      reject(timedOut(kind)(proc.pid.toString(), timeout))
    }, timeout)
  }
  const answered = (value: unknown): void => {
    if (kind === 'stop') return
    end()
    resolve(value)
  }
  const failed = (err: Error): void => {
    end()
    reject(err)
  }
  proc.deliver(new SystemRequest(kind, arg, answered, failed))
  return promise
}

/** A system request from another node arrives for `to`: it is answered as a call. */
export function deliverSystem (node: CoreNode, to: Pid | string, kind: SystemKind, arg: unknown, tag: CallTag): void {
  const dist = node.distribution
  const answer = (value: unknown): void => {
    if (!dist.isConnected(tag.ref.node)) return
    try {
      dist.reply(tag, value)
    } catch (err) {
      replyError(node, tag, err)
    }
  }
  const fail = (err: Error): void => { if (dist.isConnected(tag.ref.node)) replyError(node, tag, err) }
  const proc = typeof to === 'string' ? node.names.get(to) : node.lookup(to)
  if (proc === undefined) {
    fail(new NoProcError(typeof to === 'string' ? describe({ name: to, node: node.name }) : to.toString()))
    return
  }
  localRequest(proc, kind, arg, Infinity).then(answer, fail)
}

/**
 * Stops a server: it runs `terminate(reason, state)` after the messages already in its mailbox, then
 * exits with `reason`. Resolves once it has exited; rejects with `StopTimeoutError` after `timeout`
 * ms (default Infinity), `NoProcError` if there is no such server, `NodeDownError` if its node is or
 * goes down. A bad `reason` or `timeout` throws a `TypeError` before anything is sent.
 */
export async function stop (server: ServerRef, reason: ExitReason = 'normal', opts: number | SystemOptions = Infinity): Promise<void> {
  if (!isExitReason(reason)) throw new TypeError('stop: reason must be an exit reason: normal, shutdown, { shutdown }, kill, killed, noproc, noconnection or an Error')
  const { timeout, node } = checkSystemOptions('stop', opts, Infinity)
  const exited = await systemRequest(server, 'stop', reason, timeout, node) as ExitReason
  // As gen_server:stop: the server must end with the reason it was asked to end with. Another one (its
  // terminate threw, it crashed first, it was killed) is the caller's error.
  if (!sameReason(exited, reason)) {
    const target = server instanceof Pid ? server.toString() : describe(server as Dest)
    throw exited === 'noproc' ? new NoProcError(target) : new CallExitError(target, exited)
  }
}

/** Two exit reasons alike: equal atoms, `{ shutdown }` with alike terms, errors of one name and message (an error that crossed the wire is a copy). */
function sameReason (a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (a instanceof Error && b instanceof Error) return a.name === b.name && a.message === b.message
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null && 'shutdown' in a && 'shutdown' in b) {
    return sameReason(a.shutdown, b.shutdown) || JSON.stringify(a.shutdown) === JSON.stringify(b.shutdown)
  }
  return false
}

/** The server's current state, read between two messages (OTP's `sys:get_state`); on any connected node. */
export async function getState<T> (server: ServerRef<T>, opts: number | SystemOptions = DEFAULT_CALL_TIMEOUT): Promise<unknown extends T ? unknown : StateOf<T>> {
  const { timeout, node } = checkSystemOptions('getState', opts, DEFAULT_CALL_TIMEOUT)
  return await systemRequest(server, 'getState', undefined, timeout, node) as unknown extends T ? unknown : StateOf<T>
}

/** Checks `timeout | { timeout?, node? }`; throws a `TypeError` that states the rule otherwise. */
export function checkSystemOptions (api: string, opts: unknown, fallback: number): { timeout: number, node: NodeRef | undefined } {
  if (typeof opts === 'number' || opts === undefined) return { timeout: checkTimeout(api, opts ?? fallback), node: undefined }
  if (typeof opts !== 'object' || opts === null) throw new TypeError(`${api}: expected a timeout in ms or { timeout?, node? }`)
  const o = opts as SystemOptions
  return { timeout: checkTimeout(api, o.timeout === undefined ? fallback : o.timeout), node: o.node }
}

/** Options of `stopProcesses`. */
export interface StopProcessesOptions {
  /** The exit reason of every process. @default 'shutdown' */
  reason?: ExitReason
  /** Milliseconds each server may take to stop (its `terminate`); then it is killed. @default 5000 */
  timeout?: number
}

/**
 * Stops every process of `node`, newest first, as OTP stops applications in reverse start order:
 * each GenServer that no live process of the node supervises is stopped with `reason` (its
 * `terminate` runs; a supervisor stops its children first) and waited for up to `timeout` ms, then
 * killed; every other process then exits with `reason`. Their links and monitors on other nodes
 * hear `reason`, not `noconnection`, as long as the node is still connected.
 */
export async function stopProcesses (node: NodeRef, opts: StopProcessesOptions = {}): Promise<void> {
  const core = actingNode('stopProcesses', undefined, node)
  const reason = opts.reason ?? 'shutdown'
  if (!isExitReason(reason)) throw new TypeError('stopProcesses: reason must be an exit reason')
  const timeout = checkTimeout('stopProcesses', opts.timeout ?? 5000)
  const newestFirst = (): Proc[] => [...core.procs.values()].sort((x, y) => y.pid.id - x.pid.id)
  for (const proc of newestFirst()) {
    const loop = proc.handler
    if (!proc.alive || !(loop instanceof ServerLoop)) continue
    if (loop.parent !== undefined && core.lookup(loop.parent) !== undefined) continue
    await localRequest(proc, 'stop', reason, timeout).catch(() => { core.terminate(proc, 'killed') })
  }
  for (const proc of newestFirst()) {
    if (!proc.alive) continue
    if (proc.handler instanceof ServerLoop) await localRequest(proc, 'stop', reason, timeout).catch(() => { core.terminate(proc, 'killed') })
    else core.terminate(proc, reason)
  }
}
