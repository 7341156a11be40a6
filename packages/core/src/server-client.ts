/**
 * The client side of GenServer: `start`, `startLink`, `startMonitor`, `call`, `cast`, `reply`.
 * System requests (`stop`, `getState`, `upgrade`) are in `system.ts`; starts on another node in
 * `remote-start.ts`.
 */
import { AlreadyStartedError, BadReturnError, InitError, InitIgnoredError, NoGlobalRegistryError, StartTimeoutError } from './errors.js'
import type { CallOptions } from './call.js'
import * as calls from './call.js'
import type { ExitReason } from './exit-reason.js'
import { isExitReason } from './exit-reason.js'
import type { ArgOf, CallRequest, CastMessage, From, GenServer, ReplyOf, ServerRef, ServerTypes, Typed } from './gen-server.js'
import type { Dest, NameRegistry, ServerName } from './names.js'
import { checkServerName, describe } from './names.js'
import type { CoreNode } from './node.js'
import type { Pid, Ref } from './pid.js'
import type { Proc } from './process.js'
import { actingNode, currentProc } from './realm.js'
import type { NodeOption } from './realm.js'
import { enter, leave } from './scheduler.js'
import * as signals from './signals.js'
import { ServerLoop } from './server-loop.js'
import type { AnyServer } from './server-loop.js'
import { checkBehaviour } from './behaviour-check.js'

export { checkBehaviour } from './behaviour-check.js'

/** Options of `start`, `startLink` and `startMonitor`. */
export interface StartOptions extends NodeOption {
  /** Register the server under this name before `init` runs. */
  name?: ServerName
  /** Start with exits trapped (as supervisors' children that must run `terminate` on shutdown do). @default false */
  trapExit?: boolean
  /**
   * Milliseconds `init` may take; past them the server is killed and the start rejects with
   * `StartTimeoutError` (OTP's start timeout). @default Infinity
   */
  timeout?: number
}

/** A pid or name that carries no server type: calls through it are untyped. */
type Untyped = Dest & { readonly '~server'?: undefined }

/** A typed pid of a server of type `T`. */
export type ServerPid<T> = Pid & Typed<T>

/** Starts a server; resolves with its pid once `init` has returned. */
export async function start<T extends ServerTypes> (behaviour: GenServer<T>, arg: ArgOf<T>, opts: StartOptions = {}): Promise<ServerPid<T>> {
  const node = actingNode('start', undefined, checkStartOptions(opts).node)
  return (await startServer(node, behaviour as AnyServer, arg, opts, {})).pid as ServerPid<T>
}

/** Starts a server linked to the calling process (which must be a process). */
export async function startLink<T extends ServerTypes> (behaviour: GenServer<T>, arg: ArgOf<T>, opts: StartOptions = {}): Promise<ServerPid<T>> {
  const parent = currentProc()
  if (parent === undefined) throw new TypeError('startLink must be called from inside a process (use start outside one)')
  const node = actingNode('startLink', undefined, checkStartOptions(opts).node, parent)
  return (await startServer(node, behaviour as AnyServer, arg, opts, { linkTo: parent.pid })).pid as ServerPid<T>
}

/**
 * Starts a server monitored by the calling process (OTP 23's `start_monitor`), the monitor set before
 * `init` runs: resolves with the pid and the monitor's ref; a `DOWN` with that ref follows its exit
 * (also when `init` fails, after the rejection).
 */
export async function startMonitor<T extends ServerTypes> (behaviour: GenServer<T>, arg: ArgOf<T>, opts: StartOptions = {}): Promise<{ pid: ServerPid<T>, ref: Ref }> {
  const watcher = currentProc()
  if (watcher === undefined) throw new TypeError('startMonitor must be called from inside a process (the monitor needs a watcher)')
  const node = actingNode('startMonitor', undefined, checkStartOptions(opts).node, watcher)
  const started = await startServer(node, behaviour as AnyServer, arg, opts, { monitorBy: watcher })
  return { pid: started.pid as ServerPid<T>, ref: started.ref as Ref }
}

function checkStartOptions (opts: StartOptions): StartOptions {
  if (typeof opts !== 'object' || opts === null) throw new TypeError('start: options must be an object { name?, node?, trapExit?, timeout? }')
  if (opts.name !== undefined) checkServerName(opts.name)
  if (opts.timeout !== undefined) calls.checkTimeout('start', opts.timeout)
  return opts
}

/** Who else takes part in a start: a process to link (maybe of another node), or one to monitor. */
export interface StartLinks {
  readonly linkTo?: Pid | undefined
  readonly monitorBy?: Proc | undefined
}

/** Starts `behaviour` on `node`; the one implementation behind every start. */
export async function startServer (node: CoreNode, behaviour: AnyServer, arg: unknown, opts: StartOptions, links: StartLinks): Promise<{ pid: Pid, ref: Ref | undefined }> {
  checkBehaviour(behaviour)
  checkStartOptions(opts)
  const name = opts.name
  const local = typeof name === 'string' ? name : (name !== undefined && 'local' in name ? name.local : undefined)
  if (local !== undefined && node.names.has(local)) throw new AlreadyStartedError(local, node.whereis(local))
  const { linkTo, monitorBy } = links
  const proc = node.newProc(null)
  const loop = new ServerLoop(proc, behaviour, linkTo)
  proc.info = { behaviour: behaviour.name ?? 'gen_server', version: behaviour.version }
  proc.trapExit = opts.trapExit === true
  proc.handler = loop
  proc.busy = true
  if (linkTo !== undefined) signals.link(node, proc, linkTo)
  const ref = monitorBy === undefined ? undefined : signals.monitor(node, monitorBy, proc.pid)
  if (local !== undefined) node.register(local, proc.pid)
  const limit = opts.timeout ?? Infinity
  const deadline = node.clock.now() + limit
  if (local === undefined && name !== undefined) {
    // The start timeout covers the registration too (OTP registers in the new process, under it).
    await withinStart(node, proc, limit, registerElsewhere(node, proc, name as { global: string } | { via: NameRegistry, name: string }))
  }
  const timeout = limit === Infinity ? Infinity : Math.max(0, deadline - node.clock.now())
  const pid = await new Promise<Pid>((resolve, reject) => {
    let timer: unknown
    let settled = false
    const finish = (): boolean => {
      if (settled) return false
      settled = true
      if (timer !== undefined) node.clock.clearTimeout(timer)
      return true
    }
    const fail = (reason: ExitReason, err: Error): void => {
      if (!finish()) return
      if (linkTo !== undefined) signals.unlink(node, proc, linkTo)
      node.reportExit(proc, reason)
      node.terminate(proc, reason)
      reject(err)
    }
    if (timeout !== Infinity) timer = node.clock.setTimeout(() => { timer = undefined; fail('killed', new StartTimeoutError(limit)) }, timeout)
    const done = (r: unknown): void => {
      if (settled) return
      if (!proc.alive) {
        finish()
        reject(new InitError(proc.exitReason ?? 'killed'))
        return
      }
      if (typeof r === 'object' && r !== null) {
        const res = r as { state?: unknown, stop?: unknown, ignore?: unknown, continue?: unknown, timeout?: unknown }
        if ('state' in res && !('stop' in res) && !('ignore' in res)) {
          const bad = loop.checkAfter('init', res)
          if (bad === undefined) {
            finish()
            loop.state = res.state
            resolve(proc.pid)
            const next = loop.after('init', res)
            if (next !== undefined && typeof (next as Promise<unknown>).then === 'function') {
              (next as Promise<unknown>).then(() => { proc.settled() }, (err: unknown) => { loop.crashed(err); proc.settled() })
            } else proc.settled()
            return
          }
          fail(bad, new InitError(bad))
          return
        }
        if ('stop' in res && isExitReason(res.stop)) {
          fail(res.stop, new InitError(res.stop))
          return
        }
        if (res.ignore === true) {
          fail('normal', new InitIgnoredError())
          return
        }
      }
      const bad = new BadReturnError('init', r, 'expected { state, continue?, timeout? }, { stop: reason } or { ignore: true }')
      fail(bad, new InitError(bad))
    }
    const crashed = (err: unknown): void => {
      const reason = err instanceof Error ? err : new Error(`init threw: ${String(err)}`)
      fail(reason, new InitError(reason))
    }
    queueMicrotask(() => {
      if (!proc.alive) {
        finish()
        reject(new InitError(proc.exitReason ?? 'killed'))
        return
      }
      let r: unknown
      const prev = enter(proc)
      try {
        r = loop.invoke(behaviour.init as (a: unknown) => unknown, arg)
      } catch (err) {
        crashed(err)
        return
      } finally {
        leave(prev)
      }
      if (typeof r === 'object' && r !== null && typeof (r as Promise<unknown>).then === 'function') (r as Promise<unknown>).then(done, crashed)
      else done(r)
    })
  })
  return { pid, ref }
}

/** `step`, or past `ms` the process killed and `StartTimeoutError`. */
async function withinStart (node: CoreNode, proc: Proc, ms: number, step: Promise<void>): Promise<void> {
  if (ms === Infinity) return await step
  let timer: unknown
  const late = new Promise<never>((_resolve, reject) => {
    timer = node.clock.setTimeout(() => {
      node.terminate(proc, 'killed')
      reject(new StartTimeoutError(ms))
    }, ms)
  })
  try {
    await Promise.race([step, late])
  } finally {
    node.clock.clearTimeout(timer)
  }
}

async function registerElsewhere (node: CoreNode, proc: Proc, name: { global: string } | { via: NameRegistry, name: string }): Promise<void> {
  const registry = 'global' in name ? node.globalRegistry : name.via
  const key = 'global' in name ? name.global : name.name
  if (registry === undefined) {
    node.terminate(proc, 'normal')
    throw new NoGlobalRegistryError(key)
  }
  const ok = await registry.registerName(key, proc.pid)
  if (!ok) {
    node.terminate(proc, 'normal')
    throw new AlreadyStartedError(describe(name), registry.whereisName(key))
  }
  proc.onExit = () => {
    if (registry.whereisName(key)?.equals(proc.pid) === true) void registry.unregisterName(key)
  }
}

/**
 * Calls a server and resolves with its reply. Ends with `CallTimeoutError` after `timeout` ms (default
 * 5000), `CallAbortedError` on `signal`, `NoProcError` at once if there is no such process,
 * `CallExitError` if the server exits first, `NodeDownError` if its node is or goes down,
 * `UnknownRequestError` if the server has no handler for the request.
 * @example
 * const n = await call(counter, { type: 'add', by: 2 }) // n: number
 */
export function call<T extends ServerTypes, const R extends CallRequest<T>> (server: ServerRef<T>, request: R, opts?: CallOptions | number): Promise<ReplyOf<T, R>>
export function call (server: Untyped, request: unknown, opts?: CallOptions | number): Promise<unknown>
export function call (server: Dest, request: unknown, opts?: CallOptions | number): Promise<unknown> {
  const caller = currentProc()
  let node: CoreNode
  try {
    node = actingNode('call', server, typeof opts === 'object' && opts !== null ? opts.node : undefined, caller)
  } catch (err) {
    return Promise.reject(err as Error)
  }
  return calls.call(node, server, request, opts, caller?.node === node ? caller.pid : undefined)
}

/**
 * Sends a cast: fire and forget. A cast to a dead pid or a disconnected node is dropped; to an unknown
 * name, throws `NoProcError`.
 */
export function cast<T extends ServerTypes, const M extends CastMessage<T>> (server: ServerRef<T>, message: M, opts?: NodeOption): void
export function cast (server: Untyped, message: unknown, opts?: NodeOption): void
export function cast (server: Dest, message: unknown, opts?: NodeOption): void {
  const caller = currentProc()
  if (caller !== undefined && !caller.alive) return
  const node = actingNode('cast', server, opts?.node, caller)
  calls.cast(node, server, message, caller?.node === node ? caller.pid : undefined)
}

/** Replies to a call a handler answered with `{ noreply: true }`. A second reply is ignored. */
export function reply<R> (from: From<R>, value: R): void {
  calls.reply(from, value)
}
