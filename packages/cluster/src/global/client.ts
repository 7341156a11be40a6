/**
 * The side of the node where `registerName` / `unregisterName` was called: a registration goes to the
 * coordinator (the smallest node of this node's view, maybe this one) and is retried with backoff
 * while the answer is 'retry' or the coordinator could not be reached, until the registry's
 * `timeoutMs`; an unregistration goes to the owner of the pid. Protocol: `protocol.ts`.
 */
import type { Effects } from './effects.js'
import type { Coordinator } from './coordinator.js'
import type { Registration } from './protocol.js'
import type { Replica } from './replica.js'

/** What the registry server answers its own node's API. Errors travel as values (a reply cannot fail). */
export type ApiAnswer =
  | { readonly ok: boolean }
  | { readonly error: 'timeout' }
  | { readonly error: 'nodedown', readonly node: string }

export interface ClientOptions {
  readonly timeoutMs: number
  readonly retryDelayMs: number
}

/** Longest wait between two attempts of one registration. */
const MAX_RETRY_DELAY_MS = 500

interface Attempt extends Registration {
  readonly replace: boolean
  readonly deadline: number
  readonly reply: (answer: ApiAnswer) => void
  tries: number
}

export class Client {
  readonly #replica: Replica
  readonly #coordinator: Coordinator
  readonly #fx: Effects
  readonly #opts: ClientOptions

  constructor (replica: Replica, coordinator: Coordinator, fx: Effects, opts: ClientOptions) {
    this.#replica = replica
    this.#coordinator = coordinator
    this.#fx = fx
    this.#opts = opts
  }

  register (r: Registration & { readonly replace?: boolean }, reply: (answer: ApiAnswer) => void): void {
    this.#try({ name: r.name, pid: r.pid, at: r.at, replace: r.replace === true, deadline: this.#fx.now() + this.#opts.timeoutMs, reply, tries: 0 })
  }

  unregister (name: string, reply: (answer: ApiAnswer) => void): void {
    const fx = this.#fx
    const e = this.#replica.lookup(name)
    if (e === undefined) {
      reply({ ok: true })
      return
    }
    if (fx.isLocal(e.pid)) {
      void this.#replica.release(name, e.pid).then(() => { fx.post(() => { reply({ ok: true }) }) })
      return
    }
    fx.call(e.pid.node, { type: 'unregister', name, pid: e.pid }, this.#opts.timeoutMs).then(
      () => { fx.post(() => { reply({ ok: true }) }) },
      (err: unknown) => {
        fx.post(() => {
          const kind = (err as Error | undefined)?.name
          // The owner's node is gone (its names go with it), or runs no registry: nobody else will drop it.
          if (kind === 'NodeDownError' || kind === 'NoProcError') {
            this.#replica.dropped(e.name, e.pid)
            reply({ ok: true })
          } else reply({ error: 'timeout' })
        })
      })
  }

  #try (a: Attempt): void {
    const fx = this.#fx
    const place = fx.placeOf(a.pid)
    if (place === 'stale') {
      a.reply({ ok: false }) // a pid of an earlier run of its node: dead
      return
    }
    if (place === 'disconnected') {
      a.reply({ error: 'nodedown', node: a.pid.node })
      return
    }
    const left = a.deadline - fx.now()
    if (left <= 0) {
      a.reply({ error: 'timeout' })
      return
    }
    const answered = (answer: unknown): void => { this.#answered(a, answer) }
    const first = fx.view()[0]
    if (first === undefined || fx.name < first) {
      this.#coordinator.submit({ name: a.name, pid: a.pid, at: a.at, replace: a.replace, done: answered })
      return
    }
    fx.call(first, { type: 'register', name: a.name, pid: a.pid, at: a.at, ...(a.replace ? { replace: true } : {}) }, left).then(
      (answer) => { fx.post(() => { answered(answer) }) },
      (err: unknown) => { fx.post(() => { answered(err) }) })
  }

  #answered (a: Attempt, answer: unknown): void {
    if (answer === true || answer === false) {
      a.reply({ ok: answer })
      return
    }
    // 'retry', or the coordinator went down, timed out, runs no registry yet, or answered nonsense.
    if (answer !== 'retry') this.#fx.log.debug('registration attempt failed; retrying', { name: a.name, answer: String(answer) })
    a.tries++
    const delay = Math.min(this.#opts.retryDelayMs * 2 ** (a.tries - 1), MAX_RETRY_DELAY_MS)
    if (this.#fx.now() + delay >= a.deadline) {
      a.reply({ error: 'timeout' })
      return
    }
    this.#fx.after(delay, () => { this.#try(a) })
  }
}
