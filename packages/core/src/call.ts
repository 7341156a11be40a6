/**
 * Calls, casts and replies: the request/reply protocol of `gen_server`, in the mailbox.
 *
 * A call puts a {@link LocalCall} in the server's mailbox; the same object is the `from` the server's
 * handler receives and the waiter that fails the call if the server exits first (Erlang's call
 * monitor), so a local call allocates one object and one promise. It always ends: with the reply,
 * `CallTimeoutError` (default 5000 ms), `CallAbortedError` (its signal), `CallExitError` (the server
 * exited), `NoProcError` at once (dead pid, unknown name), or `NodeDownError` (its node is not
 * connected, or goes down while the call is in flight).
 */
import type { TimerHandle } from './clock.js'
import type { CallTag, RemoteName } from './distribution.js'
import { CallAbortedError, CallExitError, CallTimeoutError, NodeDownError, NoProcError } from './errors.js'
import type { ExitReason } from './exit-reason.js'
import type { Dest } from './names.js'
import { describe } from './names.js'
import type { CoreNode } from './node.js'
import { Pid } from './pid.js'
import type { Ref } from './pid.js'
import { Proc } from './process.js'
import type { Waiter } from './process.js'
import type { NodeRef } from './realm.js'

/** Options of `call`. */
export interface CallOptions {
  /**
   * Milliseconds to wait for the reply; `Infinity` waits as long as the server lives.
   * @default 5000
   */
  timeout?: number
  /** Ends the call early with `CallAbortedError`. */
  signal?: AbortSignal
  /**
   * The node the call is made from (a core node or a `ClusterNode`); needed outside any process only
   * when several nodes run in this OS process. @default the calling process's node, else the only node here
   */
  node?: NodeRef
}

export const DEFAULT_CALL_TIMEOUT = 5000

/** A cast in a mailbox. */
export class Cast {
  readonly message: unknown
  constructor (message: unknown) {
    this.message = message
  }
}

/** A call in a mailbox: `request`, and `from` to reply to. */
export interface CallMessage {
  readonly request: unknown
  readonly from: CallTag
}

/** A call between two processes of one node. */
export class LocalCall implements Waiter, CallTag, CallMessage {
  prev: Waiter | null = null
  next: Waiter | null = null
  readonly request: unknown
  readonly pid: Pid | undefined
  readonly target: Proc
  resolve!: (value: unknown) => void
  reject!: (err: Error) => void
  timer: TimerHandle | undefined = undefined
  signal: AbortSignal | undefined = undefined
  done = false
  #ref: Ref | undefined

  constructor (target: Proc, request: unknown, caller: Pid | undefined) {
    this.target = target
    this.request = request
    this.pid = caller
  }

  get from (): CallTag {
    return this
  }

  /** The call's reference (made on first use). */
  get ref (): Ref {
    this.#ref ??= this.target.node.makeRef()
    return this.#ref
  }

  settle (value: unknown): void {
    if (this.done) return
    this.#finish()
    this.resolve(value)
  }

  fail (err: Error): void {
    if (this.done) return
    this.#finish()
    this.reject(err)
  }

  exited (reason: ExitReason): void {
    this.fail(reason === 'noproc' ? new NoProcError(this.target.pid.toString()) : new CallExitError(this.target.pid.toString(), reason))
  }

  readonly onAbort = (): void => {
    this.fail(new CallAbortedError(this.target.pid.toString(), this.signal?.reason))
  }

  readonly onTimeout = (): void => {
    this.timer = undefined
    this.fail(new CallTimeoutError(this.target.pid.toString(), this.#timeout))
  }

  #timeout = DEFAULT_CALL_TIMEOUT

  arm (timeout: number, signal: AbortSignal | undefined): void {
    this.#timeout = timeout
    if (timeout !== Infinity) this.timer = this.target.node.clock.setTimeout(this.onTimeout, timeout)
    if (signal !== undefined) {
      this.signal = signal
      signal.addEventListener('abort', this.onAbort, { once: true })
    }
  }

  #finish (): void {
    this.done = true
    if (this.timer !== undefined) this.target.node.clock.clearTimeout(this.timer)
    if (this.signal !== undefined) this.signal.removeEventListener('abort', this.onAbort)
    if (this.target.alive) this.target.removeWaiter(this)
  }
}

/**
 * A call that came from another node; replying goes back through the distribution. It waits on the
 * target process like a local call, so if the target exits first the caller gets `CallExitError`
 * (no monitor needs to cross the wire for a call).
 */
export class IncomingCall implements CallMessage, CallTag, Waiter {
  prev: Waiter | null = null
  next: Waiter | null = null
  readonly request: unknown
  readonly pid: Pid | undefined
  readonly ref: Ref
  readonly node: CoreNode
  readonly target: Proc
  replied = false

  constructor (node: CoreNode, target: Proc, request: unknown, tag: CallTag) {
    this.node = node
    this.target = target
    this.request = request
    this.pid = tag.pid
    this.ref = tag.ref
  }

  get from (): CallTag {
    return this
  }

  /** Ends the call with a reply, or with an error; only the first ending counts. */
  end (value: unknown, error: Error | undefined): void {
    if (this.replied) return
    this.replied = true
    if (this.target.alive) this.target.removeWaiter(this)
    const dist = this.node.distribution
    if (!dist.isConnected(this.ref.node)) return
    if (error === undefined) {
      try {
        dist.reply(this, value)
        return
      } catch (err) {
        // The reply cannot cross: the caller gets why, the server carries on.
        error = err as Error
      }
    }
    dist.replyError(this, error)
  }

  exited (reason: ExitReason): void {
    this.end(undefined, reason === 'noproc' ? new NoProcError(this.target.pid.toString()) : new CallExitError(this.target.pid.toString(), reason))
  }
}

/** A call in flight to another node, in `node.remoteCalls` under its ref's id until it ends. */
export class RemoteCall {
  readonly node: CoreNode
  readonly ref: Ref
  /** The target's node. */
  readonly to: string
  readonly target: string
  readonly #resolve: (value: unknown) => void
  readonly #reject: (err: Error) => void
  readonly #timedOut: (target: string, timeout: number) => Error
  #timer: TimerHandle | undefined = undefined
  #signal: AbortSignal | undefined = undefined
  #timeout = 0

  constructor (node: CoreNode, to: string, target: string, resolve: (value: unknown) => void, reject: (err: Error) => void,
    timedOut: (target: string, timeout: number) => Error = (t, ms) => new CallTimeoutError(t, ms)) {
    this.node = node
    this.ref = node.makeRef()
    this.to = to
    this.target = target
    this.#resolve = resolve
    this.#reject = reject
    this.#timedOut = timedOut
  }

  arm (timeout: number, signal: AbortSignal | undefined): void {
    this.#timeout = timeout
    if (timeout !== Infinity) this.#timer = this.node.clock.setTimeout(this.onTimeout, timeout)
    if (signal !== undefined) {
      this.#signal = signal
      signal.addEventListener('abort', this.onAbort, { once: true })
    }
  }

  readonly onTimeout = (): void => {
    this.#timer = undefined
    this.fail(this.#timedOut(this.target, this.#timeout))
  }

  readonly onAbort = (): void => { this.fail(new CallAbortedError(this.target, this.#signal?.reason)) }

  settle (value: unknown): void {
    if (this.#end()) this.#resolve(value)
  }

  fail (err: Error): void {
    if (this.#end()) this.#reject(err)
  }

  #end (): boolean {
    if (!this.node.remoteCalls.delete(this.ref.id)) return false
    if (this.#timer !== undefined) this.node.clock.clearTimeout(this.#timer)
    this.#signal?.removeEventListener('abort', this.onAbort)
    return true
  }
}

/** Checks a timeout (ms, or Infinity); throws a `TypeError` that states the rule otherwise. */
export function checkTimeout (api: string, timeout: unknown): number {
  if (typeof timeout !== 'number' || Number.isNaN(timeout) || timeout < 0) {
    throw new TypeError(`${api}: timeout must be a non-negative number of milliseconds or Infinity, got ${typeof timeout === 'number' ? String(timeout) : typeof timeout}`)
  }
  return timeout
}

export function checkCallOptions (opts: CallOptions | number | undefined, api = 'call', fallback = DEFAULT_CALL_TIMEOUT): { timeout: number, signal: AbortSignal | undefined } {
  if (opts === undefined) return { timeout: fallback, signal: undefined }
  if (typeof opts !== 'number' && (typeof opts !== 'object' || opts === null)) throw new TypeError(`${api}: options must be a number of milliseconds or { timeout?, signal?, node? }`)
  const o = typeof opts === 'number' ? { timeout: opts } : opts
  const timeout = checkTimeout(api, o.timeout === undefined ? fallback : o.timeout)
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) throw new TypeError(`${api}: signal must be an AbortSignal`)
  return { timeout, signal: o.signal }
}

/** Calls `dest` from `caller` (undefined outside a process). */
export function call (node: CoreNode, dest: Dest, request: unknown, opts: CallOptions | number | undefined, caller: Pid | undefined): Promise<unknown> {
  let target
  let timeout: number
  let signal: AbortSignal | undefined
  try {
    ({ timeout, signal } = checkCallOptions(opts))
    if (request === undefined) throw new TypeError('call: the request must not be undefined')
    target = node.resolve(dest, 'call')
  } catch (err) {
    return Promise.reject(err as Error)
  }
  if (target === undefined) return Promise.reject(new NoProcError(describe(dest)))
  if (signal?.aborted === true) return Promise.reject(new CallAbortedError(describe(dest), signal.reason))
  if (target instanceof Proc) {
    const c = new LocalCall(target, request, caller)
    const promise = new Promise<unknown>((resolve, reject) => {
      c.resolve = resolve
      c.reject = reject
    })
    target.addWaiter(c)
    c.arm(timeout, signal)
    target.deliver(c)
    return promise
  }
  return callRemote(node, target, request, timeout, signal, caller)
}

function callRemote (node: CoreNode, target: Pid | RemoteName, request: unknown, timeout: number, signal: AbortSignal | undefined, caller: Pid | undefined): Promise<unknown> {
  return requestRemote(node, target.node, target instanceof Pid ? target.toString() : describe(target), { timeout, signal, caller },
    (tag) => { node.distribution.call(target, request, tag) })
}

/** What a request to another node needs besides its content. */
export interface RemoteRequestOptions {
  readonly timeout: number
  readonly signal?: AbortSignal | undefined
  /** The calling process (undefined outside a process). */
  readonly caller: Pid | undefined
  /** The error of a timeout. @default `CallTimeoutError` */
  readonly timedOut?: (target: string, timeout: number) => Error
}

/**
 * Sends a request to node `to` with `send(tag)` and waits for its answer (REPLY or REPLY_ERROR with
 * the tag's ref), its timeout, its signal, or the node going down: it always ends.
 */
export function requestRemote (node: CoreNode, to: string, target: string, opts: RemoteRequestOptions, send: (tag: CallTag) => void): Promise<unknown> {
  if (!node.distribution.isConnected(to)) return Promise.reject(new NodeDownError(to))
  if (opts.signal?.aborted === true) return Promise.reject(new CallAbortedError(target, opts.signal.reason))
  let rc!: RemoteCall
  const promise = new Promise<unknown>((resolve, reject) => {
    rc = new RemoteCall(node, to, target, resolve, reject, opts.timedOut)
  })
  node.remoteCalls.set(rc.ref.id, rc)
  rc.arm(opts.timeout, opts.signal)
  try {
    send({ pid: opts.caller, ref: rc.ref })
  } catch (err) {
    // The request cannot cross (it does not encode, or is too large): it ends with that error.
    rc.fail(err as Error)
  }
  return promise
}

/** Sends a cast to `dest`; like `send`, it never fails for a dead or unreachable target. */
export function cast (node: CoreNode, dest: Dest, message: unknown, from: Pid | undefined): void {
  if (message === undefined) throw new TypeError('cast: the message must not be undefined')
  if (node.onSend !== undefined) node.onSend(from, dest, new Cast(message))
  const target = node.resolve(dest, 'cast')
  if (target instanceof Proc) target.deliver(new Cast(message))
  else if (target !== undefined && node.distribution.isConnected(target.node)) node.distribution.cast(target, message, from)
}

/** Replies to a call; a second reply to the same call is ignored. */
export function reply (from: CallTag, value: unknown): void {
  if (from instanceof LocalCall) from.settle(value)
  else if (from instanceof IncomingCall) from.end(value, undefined)
  else throw new TypeError('reply: `from` must be the `from` a call handler was given')
}

/** Ends a call with an error for its caller (the server itself carries on). */
export function failCall (from: CallTag, err: Error): void {
  if (from instanceof LocalCall) from.fail(err)
  else if (from instanceof IncomingCall) from.end(undefined, err)
}

/** A cast from another node arrives for `to`. */
export function deliverRemoteCast (node: CoreNode, to: Pid | string, message: unknown): void {
  const proc = typeof to === 'string' ? node.names.get(to) : node.lookup(to)
  proc?.deliver(new Cast(message))
}

/** A call from another node arrives for `to`. */
export function deliverRemoteCall (node: CoreNode, to: Pid | string, request: unknown, tag: CallTag): void {
  const proc = typeof to === 'string' ? node.names.get(to) : node.lookup(to)
  if (proc === undefined) {
    if (node.distribution.isConnected(tag.ref.node)) node.distribution.replyError(tag, new NoProcError(describe(to)))
    return
  }
  const call = new IncomingCall(node, proc, request, tag)
  proc.addWaiter(call)
  proc.deliver(call)
}

/** The reply to a call this node made to another node. */
export function remoteReplied (node: CoreNode, ref: Ref, value: unknown, from: string): void {
  const rc = node.isLocalRef(ref) ? node.remoteCalls.get(ref.id) : undefined
  // Only the node the call went to may answer it (another node guessing the ref is ignored).
  if (rc !== undefined && rc.to === from) rc.settle(value)
}

/** A call this node made to another node ended with an error there. */
export function remoteFailed (node: CoreNode, ref: Ref, error: Error, from: string): void {
  const rc = node.isLocalRef(ref) ? node.remoteCalls.get(ref.id) : undefined
  if (rc !== undefined && rc.to === from) rc.fail(error)
}

/** Fails every call in flight to `lost` with `NodeDownError`. */
export function nodeDown (node: CoreNode, lost: string): void {
  for (const rc of [...node.remoteCalls.values()]) {
    if (rc.to === lost) rc.fail(new NodeDownError(lost))
  }
}
