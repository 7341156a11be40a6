/**
 * The process side of a GenServer: dispatches each message to its callback, checks the result,
 * runs `handleContinue`, and stops through `terminate`. Contract: `gen-server.ts`.
 */
import { Cast, IncomingCall, LocalCall, failCall, reply } from './call.js'
import type { CallMessage } from './call.js'
import { BadReturnError, CodeChangeError, UnknownRequestError } from './errors.js'
import type { ExitReason } from './exit-reason.js'
import { isExitReason } from './exit-reason.js'
import type { GenServer } from './gen-server.js'
import { preview } from './errors.js'
import type { Pid } from './pid.js'
import type { ExitMessage, Proc, ProcessHandler } from './process.js'
import { runAs } from './scheduler.js'

const AsyncFunction = (async () => {}).constructor

/** A behaviour with its types erased, as the loop sees it. */
export type AnyServer = GenServer<any>
type Fn = (...args: any[]) => unknown

const CALL_RULE = 'expected { reply, state, continue? }, { noreply: true, state, continue? } or { stop: reason, state, reply? }'
const NOREPLY_RULE = 'expected { state, continue? } or { stop: reason, state }'

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

  constructor (proc: Proc, behaviour: AnyServer, parent: Pid | undefined) {
    this.proc = proc
    this.behaviour = behaviour
    this.parent = parent
  }

  inspect (): unknown {
    return this.state
  }

  handle (message: unknown): unknown {
    if (message instanceof LocalCall || message instanceof IncomingCall) return this.#call(message)
    if (message instanceof Cast) return this.#cast(message.message)
    if (message instanceof SystemRequest) return this.#system(message)
    return this.#info(message)
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
      const res = r as { reply?: unknown, noreply?: unknown, stop?: unknown, state: unknown, continue?: unknown }
      const hasReply = 'reply' in res
      if ('stop' in res) {
        if (isExitReason(res.stop) && !('noreply' in res)) {
          this.state = res.state
          if (hasReply) reply(message.from, res.reply)
          return this.stop(res.stop)
        }
      } else if (hasReply && !('noreply' in res)) {
        this.state = res.state
        reply(message.from, res.reply)
        return res.continue === undefined ? undefined : this.#continue(res.continue)
      } else if (res.noreply === true && !hasReply) {
        this.state = res.state
        return res.continue === undefined ? undefined : this.#continue(res.continue)
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
      const res = r as { stop?: unknown, state: unknown, continue?: unknown }
      if (!('stop' in res)) {
        this.state = res.state
        return res.continue === undefined ? undefined : this.#continue(res.continue)
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
        return undefined
      case 'stop':
        return this.stop(request.arg as ExitReason)
      case 'upgrade':
        return this.#upgrade(request)
    }
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
    node.reportExit(this.proc, reason)
    node.terminate(this.proc, reason)
  }
}

