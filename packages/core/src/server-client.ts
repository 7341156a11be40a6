/**
 * The client side of GenServer: `start`, `startLink`, `call`, `cast`, `reply`, `stop`, `getState`.
 */
import { AlreadyStartedError, BadReturnError, CallExitError, CallTimeoutError, InitError, InitIgnoredError, InvalidBehaviourError, NoGlobalRegistryError, NoProcError, NodeDownError, StopTimeoutError } from './errors.js'
import type { CallOptions } from './call.js'
import * as calls from './call.js'
import type { ExitReason } from './exit-reason.js'
import { isExitReason } from './exit-reason.js'
import type { ArgOf, CallRequest, CastMessage, From, GenServer, ReplyOf, ServerRef, ServerTypes, StateOf, Typed } from './gen-server.js'
import type { Dest, NameRegistry, ServerName } from './names.js'
import { checkServerName, describe } from './names.js'
import type { CoreNode } from './node.js'
import { Pid } from './pid.js'
import { Proc } from './process.js'
import type { Waiter } from './process.js'
import { currentProc, nodeFor, currentNode } from './api.js'
import { enter, leave } from './scheduler.js'
import * as signals from './signals.js'
import { ServerLoop, SystemRequest } from './server-loop.js'
import type { AnyServer } from './server-loop.js'

/** Options of `start` and `startLink`. */
export interface StartOptions {
  /** Register the server under this name before `init` runs. */
  name?: ServerName
  /** Node to start on. @default the calling process's node, else the default node */
  node?: CoreNode
  /** Start with exits trapped (as supervisors' children that must run `terminate` on shutdown do). @default false */
  trapExit?: boolean
}

/** A pid or name that carries no server type: calls through it are untyped. */
type Untyped = Dest & { readonly '~server'?: undefined }

/** A typed pid of a server of type `T`. */
export type ServerPid<T> = Pid & Typed<T>

const OPTIONAL_FNS = ['handleInfo', 'handleContinue', 'terminate', 'codeChange'] as const

/** Checks that `b` is a GenServer behaviour; throws `InvalidBehaviourError` naming the field otherwise. */
export function checkBehaviour (b: unknown): asserts b is AnyServer {
  if (typeof b !== 'object' || b === null) throw new InvalidBehaviourError('behaviour', 'must be an object of callbacks')
  const r = b as Record<string, unknown>
  if (typeof r.init !== 'function') throw new InvalidBehaviourError('init', 'must be a function')
  for (const table of ['handleCall', 'handleCast'] as const) {
    const t = r[table]
    if (t === undefined) continue
    if (typeof t !== 'object' || t === null) throw new InvalidBehaviourError(table, 'must be an object of handlers keyed by message type')
    for (const [k, v] of Object.entries(t)) if (typeof v !== 'function') throw new InvalidBehaviourError(`${table}.${k}`, 'must be a function')
  }
  for (const f of OPTIONAL_FNS) if (r[f] !== undefined && typeof r[f] !== 'function') throw new InvalidBehaviourError(f, 'must be a function')
  if (r.version !== undefined && typeof r.version !== 'string') throw new InvalidBehaviourError('version', 'must be a string')
}

/** Starts a server; resolves with its pid once `init` has returned. */
export function start<T extends ServerTypes> (behaviour: GenServer<T>, arg: ArgOf<T>, opts: StartOptions = {}): Promise<ServerPid<T>> {
  return startServer(behaviour as AnyServer, arg, opts, false) as Promise<ServerPid<T>>
}

/** Starts a server linked to the calling process (which must be a process). */
export function startLink<T extends ServerTypes> (behaviour: GenServer<T>, arg: ArgOf<T>, opts: StartOptions = {}): Promise<ServerPid<T>> {
  return startServer(behaviour as AnyServer, arg, opts, true) as Promise<ServerPid<T>>
}

async function startServer (behaviour: AnyServer, arg: unknown, opts: StartOptions, linked: boolean): Promise<Pid> {
  checkBehaviour(behaviour)
  if (opts.name !== undefined) checkServerName(opts.name)
  const parent = currentProc()
  if (linked && parent === undefined) throw new TypeError('startLink must be called from inside a process (use start outside one)')
  const node = opts.node ?? currentNode()
  const name = opts.name
  const local = typeof name === 'string' ? name : (name !== undefined && 'local' in name ? name.local : undefined)
  if (local !== undefined && node.names.has(local)) throw new AlreadyStartedError(local, node.whereis(local))
  const proc = node.newProc(null)
  const loop = new ServerLoop(proc, behaviour, linked ? parent?.pid : undefined)
  proc.info = { behaviour: behaviour.name ?? 'gen_server', version: behaviour.version }
  proc.trapExit = opts.trapExit === true
  proc.handler = loop
  proc.busy = true
  if (linked && parent !== undefined) signals.link(node, parent, proc.pid)
  if (local !== undefined) node.register(local, proc.pid)
  else if (name !== undefined) await registerElsewhere(node, proc, name as { global: string } | { via: NameRegistry, name: string })
  return await new Promise<Pid>((resolve, reject) => {
    const fail = (reason: ExitReason, err: Error): void => {
      if (linked && parent !== undefined) signals.unlink(node, parent, proc.pid)
      loop.proc.node.reportExit(proc, reason)
      node.terminate(proc, reason)
      reject(err)
    }
    const done = (r: unknown): void => {
      if (!proc.alive) {
        reject(new InitError(proc.exitReason ?? 'killed'))
        return
      }
      if (typeof r === 'object' && r !== null) {
        const res = r as { state?: unknown, stop?: unknown, ignore?: unknown, continue?: unknown }
        if ('state' in res && !('stop' in res) && !('ignore' in res)) {
          loop.state = res.state
          resolve(proc.pid)
          const next = res.continue === undefined ? undefined : loop.afterNoreply('init', { state: res.state, continue: res.continue })
          if (next !== undefined && typeof (next as Promise<unknown>).then === 'function') {
            (next as Promise<unknown>).then(() => { proc.settled() }, (err: unknown) => { loop.crashed(err); proc.settled() })
          } else proc.settled()
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
      const bad = new BadReturnError('init', r, 'expected { state, continue? }, { stop: reason } or { ignore: true }')
      fail(bad, new InitError(bad))
    }
    const crashed = (err: unknown): void => {
      const reason = err instanceof Error ? err : new Error(`init threw: ${String(err)}`)
      fail(reason, new InitError(reason))
    }
    queueMicrotask(() => {
      if (!proc.alive) {
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
  return calls.call(nodeFor(server, caller), server, request, opts, caller?.pid)
}

/** Sends a cast: fire and forget. A cast to a dead pid or a disconnected node is dropped; to an unknown name, throws `NoProcError`. */
export function cast<T extends ServerTypes, const M extends CastMessage<T>> (server: ServerRef<T>, message: M): void
export function cast (server: Untyped, message: unknown): void
export function cast (server: Dest, message: unknown): void {
  const caller = currentProc()
  if (caller !== undefined && !caller.alive) return
  calls.cast(nodeFor(server, caller), server, message, caller?.pid)
}

/** Replies to a call a handler answered with `{ noreply: true }`. A second reply is ignored. */
export function reply<R> (from: From<R>, value: R): void {
  calls.reply(from, value)
}

/** The local GenServer process behind `server`. */
function localServer (server: ServerRef, api: string): Proc {
  const node = nodeFor(server)
  const target = node.resolve(server as Dest, api)
  if (target === undefined) throw new NoProcError(describe(server))
  if (!(target instanceof Proc)) throw new NodeDownError(target.node)
  if (!(target.handler instanceof ServerLoop)) throw new TypeError(`${api}: ${target.pid.toString()} is not a GenServer`)
  return target
}

/**
 * Sends a system request, handled in mailbox order. `getState` and `upgrade` resolve with the
 * server's answer; `stop` resolves with the exit reason once the process has exited.
 */
export function systemRequest (server: ServerRef, kind: 'getState' | 'stop' | 'upgrade', arg: unknown, timeout: number): Promise<unknown> {
  let proc: Proc
  try {
    proc = localServer(server, kind)
  } catch (err) {
    return Promise.reject(err as Error)
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
      else reject(new CallExitError(proc.pid.toString(), reason))
    }
  }
  proc.addWaiter(waiter)
  if (timeout !== Infinity) {
    timer = proc.node.clock.setTimeout(() => {
      timer = undefined
      end()
      reject(kind === 'stop' ? new StopTimeoutError(proc.pid.toString(), timeout) : new CallTimeoutError(proc.pid.toString(), timeout))
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

/**
 * Stops a server: it runs `terminate(reason, state)` after the messages already in its mailbox, then
 * exits with `reason`. Resolves once it has exited; rejects with `StopTimeoutError` after `timeout` ms.
 */
export async function stop (server: ServerRef, reason: ExitReason = 'normal', timeout = Infinity): Promise<void> {
  if (!isExitReason(reason)) throw new TypeError('stop: reason must be an exit reason')
  await systemRequest(server, 'stop', reason, timeout)
}

/** The server's current state, read between two messages (OTP's `sys:get_state`). */
export async function getState<T> (server: ServerRef<T>, timeout = calls.DEFAULT_CALL_TIMEOUT): Promise<unknown extends T ? unknown : StateOf<T>> {
  return await systemRequest(server, 'getState', undefined, timeout) as unknown extends T ? unknown : StateOf<T>
}
