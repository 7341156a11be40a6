/**
 * Every effect of the registry server, in one place: calls and casts to the registry servers of other
 * nodes, monitors, messages and exit signals to local processes, and timers. All of it runs in the
 * registry server's process; what finishes later (a call's answer, a timer) never acts directly, it
 * `post`s a continuation into the server's mailbox, so the server's state changes in one process, one
 * message at a time.
 */
import { call, cast, demonitor, exit, monitor } from '@gen-cluster/core'
import type { ExitReason, Logger, Pid, Ref, TimerHandle } from '@gen-cluster/core'
import type { ClusterNode } from '../cluster-node.js'
import { SERVER_NAME } from './protocol.js'

/** A continuation for the registry server's mailbox. A peer cannot forge one: it is a class instance. */
export class Internal {
  constructor (readonly run: () => void) {}
}

/** An answer from one node: its value, or the Error its call ended with. */
export type Answers = ReadonlyArray<readonly [node: string, answer: unknown]>

export class Effects {
  readonly cluster: ClusterNode
  readonly log: Logger
  /** How long to wait for a peer's answer to COMMIT, DROP or UNREGISTER. */
  readonly peerTimeoutMs: number
  readonly #timers = new Set<TimerHandle>()
  #self: Pid | undefined

  constructor (cluster: ClusterNode, log: Logger, peerTimeoutMs: number) {
    this.cluster = cluster
    this.log = log
    this.peerTimeoutMs = peerTimeoutMs
  }

  get name (): string {
    return this.cluster.name
  }

  now (): number {
    return this.cluster.core.clock.now()
  }

  attach (self: Pid): void {
    this.#self = self
  }

  /** The connected nodes that take part (not hidden ones), sorted. */
  view (): string[] {
    return this.cluster.nodes()
  }

  isLocal (pid: Pid): boolean {
    return this.cluster.core.isLocal(pid)
  }

  alive (pid: Pid): boolean {
    return this.cluster.core.lookup(pid) !== undefined
  }

  /** Where `pid` lives as seen from here: this node, a connected node, a gone run of one, or unknown. */
  placeOf (pid: Pid): 'local' | 'connected' | 'stale' | 'disconnected' {
    const core = this.cluster.core
    if (pid.node === core.name) return pid.creation === core.creation ? 'local' : 'stale'
    const peer = this.cluster.membership.peers.get(pid.node)
    if (peer === undefined || peer.hello.hidden) return 'disconnected'
    return peer.hello.creation === pid.creation ? 'connected' : 'stale'
  }

  /** True if `pid` is of this node's run or of the current run of a connected node. */
  reachable (pid: Pid): boolean {
    const place = this.placeOf(pid)
    return place === 'local' || place === 'connected'
  }

  cast (node: string, message: object): void {
    try {
      cast({ name: SERVER_NAME, node }, message, { node: this.cluster })
    } catch (err) {
      this.log.warn('could not send to a peer registry', { node, err })
    }
  }

  call (node: string, request: object, timeout = this.peerTimeoutMs): Promise<unknown> {
    try {
      return call({ name: SERVER_NAME, node }, request, { timeout, node: this.cluster })
    } catch (err) {
      return Promise.reject(err as Error)
    }
  }

  /** Calls `nodes` at once; resolves when each has answered, failed, timed out or gone down. */
  async callAll (nodes: readonly string[], request: object): Promise<Answers> {
    return await Promise.all(nodes.map(async (node) => [node, await this.call(node, request).catch((err: unknown) => err)] as const))
  }

  /** Runs `fn` later, in the registry server's process. */
  post (fn: () => void): void {
    if (this.#self !== undefined) this.cluster.core.send(this.#self, new Internal(fn), undefined)
  }

  after (ms: number, fn: () => void): void {
    const clock = this.cluster.core.clock
    const t = clock.setTimeout(() => {
      this.#timers.delete(t)
      this.post(fn)
    }, ms)
    this.#timers.add(t)
  }

  monitor (pid: Pid): Ref {
    return monitor(pid)
  }

  demonitor (ref: Ref): void {
    demonitor(ref, { flush: true })
  }

  /** Sends a message to a local process. */
  notify (pid: Pid, message: unknown): void {
    this.cluster.core.send(pid, message, this.#self)
  }

  exit (pid: Pid, reason: ExitReason): void {
    exit(pid, reason, { node: this.cluster })
  }

  /** Cancels every timer (the server is stopping). */
  stop (): void {
    for (const t of this.#timers) this.cluster.core.clock.clearTimeout(t)
    this.#timers.clear()
  }
}
