/**
 * The process side of a GenServer: dispatches each message to its callback, checks the result,
 * runs `handleContinue`, and stops through `terminate`. Contract: `gen-server.ts`.
 */
import { Cast, IncomingCall, LocalCall, failCall, reply } from './call.js'
import type { CallMessage } from './call.js'
import { BadReturnError, CodeChangeError, UnknownRequestError } from './errors.js'
import type { ExitReason } from './exit-reason.js'
import { formatReason, isCleanExit, isExitReason } from './exit-reason.js'
import type { GenServer, ServerStatus, TimeoutMessage } from './gen-server.js'
import { preview } from './errors.js'
import type { Pid } from './pid.js'
import type { ExitMessage, Proc, ProcessHandler } from './process.js'
import { runAs } from './scheduler.js'

const AsyncFunction = (async () => {}).constructor

/** A behaviour with its types erased, as the loop sees it. */
export type AnyServer = GenServer<any>
type Fn = (...args: any[]) => unknown

const CALL_RULE = 'expected { reply, state, continue? | timeout? }, { noreply: true, state, continue? | timeout? } or { stop: reason, state, reply? }'
const NOREPLY_RULE = 'expected { state, continue? | timeout? } or { stop: reason, state }'
const TIMEOUT_RULE = 'timeout must be a non-negative number of milliseconds or Infinity, and not given with continue'

/** One arming of a result's timeout; only the current one counts when it fires. */
class TimeoutToken {}


/** A request from `getState`, `stop` or `upgrade`, handled in mailbox order like any message. */
export class SystemRequest {
  constructor (
    readonly kind: 'getState' | 'stop' | 'upgrade',
    readonly arg: unknown,
    readonly resolve: (value: unknown) => void,
    readonly reject: (err: Error) => void
  ) {}
}

function isThenable (value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as PromiseLike<unknown>).then === 'function'
}

export class ServerLoop implements ProcessHandler {
  behaviour: AnyServer
  state: unknown = undefined
  readonly proc: Proc
  readonly parent: Pid | undefined
  /** The message being handled, for a crash report. */
  #current: unknown = undefined
  #timer: unknown = undefined
  #token: TimeoutToken | undefined = undefined
  /** The last `timeout` a result gave, re-armed after a system request (as OTP's loop does). */
  #timeoutMs: number | undefined = undefined

  constructor (proc: Proc, behaviour: AnyServer, parent: Pid | undefined) {
    this.proc = proc
    this.behaviour = behaviour
    this.parent = parent
  }

  inspect (): unknown {
    return this.state
  }

  /** The state as `formatStatus` shows it (the state itself without one): for introspection. */
  status (extra: { message?: unknown, reason?: ExitReason } = {}): ServerStatus {
    const status: ServerStatus = { state: this.state, ...extra }
    const format = this.behaviour.formatStatus as Fn | undefined
    if (format === undefined) return status
    try {
      const out = format.call(this.behaviour, status) as ServerStatus
      return typeof out === 'object' && out !== null && 'state' in out ? out : { ...status, state: '<formatStatus returned no state>' }
    } catch (err) {
      // Never the raw state: formatStatus exists to hide it.
      return { state: `<formatStatus threw: ${err instanceof Error ? err.message : preview(err)}>` }
    }
  }

  handle (message: unknown): unknown {
    if (message instanceof TimeoutToken && message !== this.#token) return undefined
    const wasArmed = this.#timeoutMs
    this.#disarm()
    if (message instanceof TimeoutToken) {
      this.#token = undefined
      this.#timeoutMs = undefined
      return this.#info({ type: 'timeout' } satisfies TimeoutMessage)
    }
    this.#token = undefined
    this.#current = message
    // A system request (getState, upgrade…) keeps the running timeout, as in OTP; any other message
    // ends it, and only its own result's `timeout` arms a new one.
    if (!(message instanceof SystemRequest)) this.#timeoutMs = undefined
    if (message instanceof LocalCall || message instanceof IncomingCall) return this.#call(message)
    if (message instanceof Cast) return this.#cast(message.message)
    if (message instanceof SystemRequest) {
      this.#timeoutMs = wasArmed
      return this.#system(message)
    }
    return this.#info(message)
  }

  exited (): void {
    this.#disarm()
    this.#token = undefined
  }

  #disarm (): void {
    if (this.#timer !== undefined) this.proc.node.clock.clearTimeout(this.#timer)
    this.#timer = undefined
  }

  /** Arms a result's timeout: a `timeout` info unless a message arrives within `ms`. */
  #arm (ms: number): void {
    this.#timeoutMs = ms
    if (ms === Infinity) return
    const token = new TimeoutToken()
    this.#token = token
    if ((this.proc.mailbox?.length ?? 0) > 0) return
    this.#timer = this.proc.node.clock.setTimeout(() => {
      this.#timer = undefined
      if (this.#token === token && this.proc.alive && (this.proc.mailbox?.length ?? 0) === 0) this.proc.deliver(token)
    }, ms)
  }

  /** A `BadReturnError` if a result's `continue` / `timeout` break the rule, else undefined. */
  checkAfter (name: string, r: { continue?: unknown, timeout?: unknown }): BadReturnError | undefined {
    if (r.timeout === undefined) return undefined
    const t = r.timeout
    if (typeof t !== 'number' || Number.isNaN(t) || t < 0 || r.continue !== undefined) return new BadReturnError(name, r, TIMEOUT_RULE)
    return undefined
  }

  /** What follows a valid result: its `continue`, or the arming of its `timeout`. */
  after (name: string, r: { continue?: unknown, timeout?: unknown }): unknown {
    const bad = this.checkAfter(name, r)
    if (bad !== undefined) return this.stop(bad)
    if (r.continue !== undefined) return this.#continue(r.continue)
    if (r.timeout !== undefined) this.#arm(r.timeout as number)
    else this.#timeoutMs = undefined
    return undefined
  }

  /** Calls a callback as this process; async functions keep `self()` across their awaits. */
  invoke (fn: Fn, a: unknown, b?: unknown, c?: unknown): unknown {
    if (fn.constructor === AsyncFunction) return runAs(this.proc, () => fn.call(this.behaviour, a, b, c))
    return fn.call(this.behaviour, a, b, c)
  }

  #call (message: CallMessage): unknown {
    const request = message.request as { type?: unknown }
    const handlers = this.behaviour.handleCall as Record<string, Fn> | undefined
    const type = typeof request === 'object' && request !== null ? request.type : undefined
    if (handlers == null || typeof type !== 'string' || !Object.hasOwn(handlers, type) || typeof handlers[type] !== 'function') {
      failCall(message.from, new UnknownRequestError(this.proc.pid.toString(), request))
      return undefined
    }
    let result: unknown
    try {
      result = this.invoke(handlers[type], request, message.from, this.state)
    } catch (err) {
      return this.crashed(err)
    }
    if (isThenable(result)) return result.then(r => this.#afterCall(message, r), err => this.crashed(err))
    return this.#afterCall(message, result)
  }

  #afterCall (message: CallMessage, r: unknown): unknown {
    if (typeof r === 'object' && r !== null && 'state' in r) {
      const res = r as { reply?: unknown, noreply?: unknown, stop?: unknown, state: unknown, continue?: unknown, timeout?: unknown }
      const hasReply = 'reply' in res
      if ('stop' in res) {
        if (isExitReason(res.stop) && !('noreply' in res)) {
          this.state = res.state
          if (hasReply) reply(message.from, res.reply)
          return this.stop(res.stop)
        }
      } else if (hasReply && !('noreply' in res) && this.checkAfter('handleCall', res) === undefined) {
        this.state = res.state
        reply(message.from, res.reply)
        return this.after('handleCall', res)
      } else if (res.noreply === true && !hasReply && this.checkAfter('handleCall', res) === undefined) {
        this.state = res.state
        return this.after('handleCall', res)
      }
    }
    return this.stop(new BadReturnError('handleCall', r, CALL_RULE))
  }

  #cast (message: unknown): unknown {
    const handlers = this.behaviour.handleCast as Record<string, Fn> | undefined
    const type = typeof message === 'object' && message !== null ? (message as { type?: unknown }).type : undefined
    if (handlers == null || typeof type !== 'string' || !Object.hasOwn(handlers, type) || typeof handlers[type] !== 'function') {
      this.proc.node.log.warn('cast with no handler dropped', { pid: this.proc.pid.toString(), message: preview(message) })
      return undefined
    }
    return this.#run('handleCast', handlers[type], message)
  }

  #info (message: unknown): unknown {
    const exit = message as ExitMessage
    if (this.parent !== undefined && exit?.type === 'EXIT' && this.proc.trapExit && this.parent.equals(exit.from)) {
      return this.stop(exit.reason)
    }
    const handleInfo = this.behaviour.handleInfo as Fn | undefined
    if (handleInfo === undefined) {
      this.proc.node.log.warn('unexpected message dropped', { pid: this.proc.pid.toString(), message: preview(message) })
      return undefined
    }
    return this.#run('handleInfo', handleInfo, message)
  }

  #continue (value: unknown): unknown {
    const handleContinue = this.behaviour.handleContinue as Fn | undefined
    if (handleContinue === undefined) return this.stop(new BadReturnError('handleContinue', value, 'a callback returned `continue` but the server has no handleContinue'))
    return this.#run('handleContinue', handleContinue, value)
  }

  /** Runs a callback whose result is `{ state, continue? }` or `{ stop, state }`. */
  #run (name: string, fn: Fn, message: unknown): unknown {
    let result: unknown
    try {
      result = this.invoke(fn, message, this.state)
    } catch (err) {
      return this.crashed(err)
    }
    if (isThenable(result)) return result.then(r => this.afterNoreply(name, r), err => this.crashed(err))
    return this.afterNoreply(name, result)
  }

  afterNoreply (name: string, r: unknown): unknown {
    if (typeof r === 'object' && r !== null && 'state' in r) {
      const res = r as { stop?: unknown, state: unknown, continue?: unknown, timeout?: unknown }
      if (!('stop' in res) && this.checkAfter(name, res) === undefined) {
        this.state = res.state
        return this.after(name, res)
      }
      if (isExitReason(res.stop)) {
        this.state = res.state
        return this.stop(res.stop)
      }
    }
    return this.stop(new BadReturnError(name, r, NOREPLY_RULE))
  }

  #system (request: SystemRequest): unknown {
    switch (request.kind) {
      case 'getState':
        request.resolve(this.state)
        return this.#resume()
      case 'stop':
        return this.stop(request.arg as ExitReason)
      case 'upgrade': {
        const r = this.#upgrade(request)
        return isThenable(r) ? r.then(() => this.#resume()) : this.#resume()
      }
    }
  }

  /** After a system request, the timeout the last result gave runs again, in full (OTP). */
  #resume (): undefined {
    if (this.#timeoutMs !== undefined && this.proc.alive) this.#arm(this.#timeoutMs)
    return undefined
  }

  /**
   * Swaps the code between two messages: the new behaviour's `codeChange` maps the state, then the
   * process carries on with the new code. If `codeChange` throws, the old code and state stay.
   */
  #upgrade (request: SystemRequest): unknown {
    const { behaviour: next, extra } = request.arg as { behaviour: AnyServer, extra: unknown }
    const from = this.behaviour.version
    const codeChange = next.codeChange as Fn | undefined
    const swap = (state: unknown): void => {
      this.behaviour = next
      this.state = state
      this.proc.info = { behaviour: next.name ?? 'gen_server', version: next.version, module: this.proc.info?.module }
      request.resolve({ from, to: next.version })
    }
    const refuse = (err: unknown): void => {
      request.reject(new CodeChangeError(from, next.version, err))
    }
    if (codeChange === undefined) {
      swap(this.state)
      return undefined
    }
    let result: unknown
    try {
      result = codeChange.constructor === AsyncFunction
        ? runAs(this.proc, () => codeChange.call(next, from, this.state, extra))
        : codeChange.call(next, from, this.state, extra)
    } catch (err) {
      refuse(err)
      return undefined
    }
    if (isThenable(result)) return result.then(swap, refuse)
    swap(result)
    return undefined
  }

  /** A callback threw: the server stops with the error. */
  crashed (err: unknown): unknown {
    const reason = err instanceof Error ? err : new Error(`thrown value: ${preview(err)}`, { cause: err })
    return this.stop(reason)
  }

  /** Stops the server: `terminate` (if any), then the exit. */
  stop (reason: ExitReason): unknown {
    const terminate = this.behaviour.terminate as Fn | undefined
    if (terminate !== undefined) {
      let result: unknown
      try {
        result = this.invoke(terminate, reason, this.state)
      } catch (err) {
        this.#exit(err instanceof Error ? err : new Error(`terminate threw: ${preview(err)}`))
        return undefined
      }
      if (isThenable(result)) {
        return result.then(() => { this.#exit(reason) }, (err: unknown) => { this.#exit(err instanceof Error ? err : new Error(`terminate rejected: ${preview(err)}`)) })
      }
    }
    this.#exit(reason)
    return undefined
  }

  #exit (reason: ExitReason): void {
    const node = this.proc.node
    if (!isCleanExit(reason)) {
      // OTP's crash report: the reason, the last message, the state (as formatStatus shows them).
      const status = this.status({ message: this.#current, reason })
      node.log.error('server terminating', {
        pid: this.proc.pid.toString(),
        name: this.proc.name,
        reason: formatReason(status.reason ?? reason),
        lastMessage: preview(describeMessage(status.message)),
        state: preview(status.state),
        stack: reason instanceof Error ? reason.stack : undefined
      })
    }
    node.terminate(this.proc, reason)
  }
}


/** A mailbox entry as a crash report shows it: a call's request, a cast's message, a system request's kind. */
function describeMessage (m: unknown): unknown {
  if (m instanceof LocalCall || m instanceof IncomingCall) return { call: m.request }
  if (m instanceof Cast) return { cast: m.message }
  if (m instanceof SystemRequest) return { system: m.kind }
  return m
}
