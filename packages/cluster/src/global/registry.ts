/**
 * The global registry of one node, as its users see it: checks the input, reads the replica for
 * lookups, and asks the node's registry server for the rest. Not exported: `startGlobal` makes it.
 */
import { NoProcError, NodeDownError, Pid, call, self, spawn, stop } from '@gen-cluster/core'
import type { ServerPid } from '@gen-cluster/core'
import type { ClusterNode, NodeDownEvent, NodeUpEvent } from '../cluster-node.js'
import { GlobalRegistryStoppedError, GlobalRegistryTimeoutError, InvalidNameError, InvalidPidError, LockAbortedError } from '../errors.js'
import { lockOf, releaseLock, takeLock } from './lock-client.js'
import type { LockContext, LockOptions } from './lock-client.js'
import type { ApiAnswer } from './client.js'
import { nameProblem } from './protocol.js'
import type { GlobalServer, GlobalState } from './server.js'
import type { GlobalRegistry } from './index.js'

export interface RegistryOptions {
  readonly timeoutMs: number
  readonly peerTimeoutMs: number
  readonly now: () => number
}

export class GlobalRegistryImpl implements GlobalRegistry {
  readonly node: ClusterNode
  readonly #server: ServerPid<GlobalServer>
  readonly #state: GlobalState
  readonly #opts: RegistryOptions
  readonly #locking: LockContext
  #stopped = false

  readonly #onUp = (e: CustomEvent<NodeUpEvent>): void => {
    const node = e.detail.node
    this.#state.fx.post(() => { if (this.node.nodes().includes(node)) this.#state.nodeUp(node) })
  }

  readonly #onDown = (e: CustomEvent<NodeDownEvent>): void => {
    const node = e.detail.node
    this.#state.fx.post(() => { this.#state.nodeDown(node) })
  }

  constructor (node: ClusterNode, server: ServerPid<GlobalServer>, state: GlobalState, opts: RegistryOptions) {
    this.node = node
    this.#server = server
    this.#state = state
    this.#opts = opts
    this.#locking = { node, peerTimeoutMs: opts.peerTimeoutMs, random: Math.random }
    node.addEventListener('node:up', this.#onUp)
    node.addEventListener('node:down', this.#onDown)
  }

  async registerName (name: string, pid: Pid, opts: { signal?: AbortSignal } = {}): Promise<boolean> {
    checkName(name)
    if (!(pid instanceof Pid)) throw new InvalidPidError(pid)
    const answer = await this.#ask({ type: 'api:register', name, pid, at: this.#opts.now() }, opts.signal)
    if ('ok' in answer) return answer.ok
    if (answer.error === 'nodedown') throw new NodeDownError(answer.node)
    throw new GlobalRegistryTimeoutError('registerName', name, this.#opts.timeoutMs)
  }

  async reRegisterName (name: string, pid: Pid, opts: { signal?: AbortSignal } = {}): Promise<boolean> {
    checkName(name)
    if (!(pid instanceof Pid)) throw new InvalidPidError(pid)
    const answer = await this.#ask({ type: 'api:reregister', name, pid, at: this.#opts.now() }, opts.signal)
    if ('ok' in answer) return answer.ok
    if (answer.error === 'nodedown') throw new NodeDownError(answer.node)
    throw new GlobalRegistryTimeoutError('registerName', name, this.#opts.timeoutMs)
  }

  async setLock (resource: string, opts: LockOptions = {}): Promise<boolean> {
    const { request, nodes } = lockOf(this.#locking, resource, opts, opts.holder ?? self())
    if (this.#stopped) throw new GlobalRegistryStoppedError(this.node.name)
    return await takeLock(this.#locking, request, nodes, opts.retries ?? Infinity, opts.signal)
  }

  async delLock (resource: string, opts: LockOptions = {}): Promise<void> {
    const { request, nodes } = lockOf(this.#locking, resource, opts, opts.holder ?? self())
    await releaseLock(this.#locking, request, nodes)
  }

  async trans<T> (resource: string, fn: () => T | Promise<T>, opts: LockOptions = {}): Promise<T> {
    if (typeof fn !== 'function') throw new TypeError('trans: expected a function to run under the lock')
    const holder = opts.holder ?? self()
    if (!await this.setLock(resource, { ...opts, holder })) throw new LockAbortedError(resource)
    try {
      return await fn()
    } finally {
      await this.delLock(resource, { ...opts, holder })
    }
  }

  locks (): Array<{ resource: string, requester: string, holders: Pid[] }> {
    return this.#state.locks.list()
  }

  async unregisterName (name: string, opts: { signal?: AbortSignal } = {}): Promise<void> {
    checkName(name)
    let answer: ApiAnswer
    try {
      answer = await this.#ask({ type: 'api:unregister', name }, opts.signal)
    } catch (err) {
      // A stopped registry holds no names (core unregisters servers' names as they exit, during a stop too).
      if ((err as Error).name === 'GlobalRegistryStoppedError') return
      throw err
    }
    if ('error' in answer) throw new GlobalRegistryTimeoutError('unregisterName', name, this.#opts.timeoutMs)
  }

  whereisName (name: string): Pid | undefined {
    return typeof name === 'string' ? this.#state.replica.lookup(name)?.pid : undefined
  }

  sendName (name: string, message: unknown): void {
    checkName(name)
    const pid = this.whereisName(name)
    if (pid === undefined) throw new NoProcError(`{ global: ${JSON.stringify(name)} }`)
    this.node.core.send(pid, message, undefined)
  }

  registeredNames (): string[] {
    return this.#state.replica.names()
  }

  async stop (): Promise<void> {
    if (this.#stopped) return
    this.#stopped = true
    this.node.removeEventListener('node:up', this.#onUp)
    this.node.removeEventListener('node:down', this.#onDown)
    if (this.node.core.globalRegistry === this) this.node.core.globalRegistry = undefined
    await this.#onNode(async () => { await stop(this.#server, 'shutdown') }).catch(() => {})
  }

  /** Calls the registry server, from a process of its node whoever the caller is. */
  async #ask (request: ApiRequest, signal: AbortSignal | undefined): Promise<ApiAnswer> {
    if (this.#stopped) throw new GlobalRegistryStoppedError(this.node.name)
    const timeout = this.#opts.timeoutMs + this.#opts.peerTimeoutMs + 1000
    try {
      return await this.#onNode(async () => await call(this.#server, request, { timeout, signal }))
    } catch (err) {
      const n = (err as Error).name
      if (this.#stopped || n === 'NoProcError' || n === 'CallExitError') throw new GlobalRegistryStoppedError(this.node.name)
      throw err
    }
  }

  #onNode<T> (fn: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      spawn(async () => { await fn().then(resolve, reject) }, { node: this.node.core })
    })
  }
}

type ApiRequest =
  | { type: 'api:register' | 'api:reregister', name: string, pid: Pid, at: number }
  | { type: 'api:unregister', name: string }

function checkName (name: unknown): asserts name is string {
  const problem = nameProblem(name)
  if (problem !== undefined) throw new InvalidNameError(name, problem)
}
