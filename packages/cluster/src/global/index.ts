/**
 * The global name registry: Erlang's `global`, for gen-cluster nodes. A name is held by one pid in the
 * whole cluster; every node keeps a replica, so a lookup is local and fast.
 *
 * - `registerName(name, pid)` resolves true once *every connected node* holds the name (no
 *   register-then-lookup race), false if the name is held. Two nodes registering one name at the
 *   same moment: exactly one gets true.
 * - A name goes everywhere when its process exits or its node goes down.
 * - During a partition both sides may hold a name (as in Erlang). When they meet, a resolver settles
 *   it, alike on every node, and only the node of the losing pid acts on it, so the loser is told once.
 *
 * Protocol (idea, assumptions, trace, messages): `protocol.ts`; guarantees: `docs/consistency.md`.
 *
 * @example
 * const g = await startGlobal(node)                     // on every node of the cluster
 * await start(counter, 0, { node: node.core, name: { global: 'counter' } })
 * g.whereisName('counter')                              // the pid, on any node
 * await call({ global: 'counter' }, { type: 'get' })    // from a process of any node
 */
import { AlreadyStartedError, start, systemClock } from '@gen-cluster/core'
import type { GlobalName, NameRegistry, Pid, ServerTypes, Typed } from '@gen-cluster/core'
import { ClusterNode } from '../cluster-node.js'
import { InvalidNameError, InvalidOptionError } from '../errors.js'
import { nameProblem, SERVER_NAME } from './protocol.js'
import type { LockOptions } from './lock-client.js'
import { GlobalRegistryImpl } from './registry.js'
import { isResolver } from './resolve.js'
import type { Resolver } from './resolve.js'
import { GlobalState, globalServer } from './server.js'

export type { Resolver, ResolverFunction, NameConflictMessage } from './resolve.js'
export { CONFLICT_EXIT_REASON } from './resolve.js'
export { SERVER_NAME as GLOBAL_SERVER_NAME, MAX_NAME_BYTES } from './protocol.js'
export type { LockOptions } from './lock-client.js'
export { MAX_LOCKS, MAX_REQUESTER_BYTES } from './locks.js'

/**
 * A global name that remembers the type of its server: `call(globalName<Counter>('c'), request)` is
 * checked and typed. Throws `InvalidNameError` for a bad name.
 * @example
 * const COUNTER = globalName<Counter>('counter')
 * await start(counter, 0, { node, name: COUNTER })
 * const n = await call(COUNTER, { type: 'get' })   // n: number
 */
export function globalName<T extends ServerTypes> (name: string): GlobalName & Typed<T> {
  const problem = nameProblem(name)
  if (problem !== undefined) throw new InvalidNameError(name, problem)
  return { global: name }
}

/** Options of {@link startGlobal}. Every option is optional. */
export interface GlobalInit {
  /**
   * How a name held on both sides of a healed partition is settled (see {@link Resolver}).
   * @default 'notify': keep the earlier registration, tell the other pid `{ type: 'name:conflict', name, kept }`
   */
  resolver?: Resolver
  /** How long `registerName` / `unregisterName` may take, retries included. @default 5000 */
  timeoutMs?: number
  /** How long to wait for one node's answer to a commit or a drop; a node that does not answer is left out. @default 2000 */
  peerTimeoutMs?: number
  /** First wait before retrying a registration the coordinator could not take; doubles, up to 500 ms. @default 10 */
  retryDelayMs?: number
  /**
   * Stamps registrations, to tell the earlier of two; a scale shared by the nodes.
   * @default `Date.now` on the system clock; the node's clock otherwise (a virtual clock in tests)
   */
  now?: () => number
}

/** A node's global registry. It is also `node.core.globalRegistry`, behind `{ global: name }`. */
export interface GlobalRegistry extends NameRegistry {
  readonly node: ClusterNode
  /**
   * Registers `pid` (a live process of this node or of a connected one) under `name`. Resolves true
   * once every connected node holds it; true also if `pid` already holds `name`; false if another pid
   * holds it, or `pid` is dead. Throws `InvalidNameError`, `InvalidPidError`, `NodeDownError` (the
   * pid's node is not connected), `GlobalRegistryTimeoutError`, `GlobalRegistryStoppedError`.
   */
  registerName(name: string, pid: Pid, opts?: { signal?: AbortSignal }): Promise<boolean>
  /**
   * Makes `name` refer to `pid`, on every connected node at once, whoever held it (Erlang's
   * `re_register_name`): no moment without a holder. Resolves false if `pid` is dead. Throws as
   * `registerName`.
   */
  reRegisterName(name: string, pid: Pid, opts?: { signal?: AbortSignal }): Promise<boolean>
  /**
   * Takes the global lock on `resource` for the holder (the calling process, or `opts.holder`, a
   * process of this node) on `opts.nodes` (default: this node and every connected one), as Erlang's
   * `global:set_lock`: resolves true once every node granted it; while another requester holds it,
   * tries again after a random wait, up to `retries` times (default: for ever; `signal` ends it),
   * then resolves false. The same requester may take it again (holders share it). A lock goes when
   * its holder exits, or on nodes that see the holder's node go down.
   */
  setLock(resource: string, opts?: LockOptions): Promise<boolean>
  /** Gives the holder's lock on `resource` back, on the same nodes. */
  delLock(resource: string, opts?: LockOptions): Promise<void>
  /**
   * Runs `fn` under the lock on `resource` and gives it back after, however `fn` ends (Erlang's
   * `global:trans`); throws `LockAbortedError` (without running `fn`) if the lock was not taken.
   */
  trans<T>(resource: string, fn: () => T | Promise<T>, opts?: LockOptions): Promise<T>
  /** The locks this node's table holds (resource, requester, holders), sorted. */
  locks(): Array<{ resource: string, requester: string, holders: Pid[] }>
  /** Removes `name`; resolves once every connected node has dropped it (at once if nobody holds it). */
  unregisterName(name: string, opts?: { signal?: AbortSignal }): Promise<void>
  /** The pid holding `name`, from this node's replica. */
  whereisName(name: string): Pid | undefined
  /** Sends `message` to the holder of `name`; throws `NoProcError` if nobody holds it. */
  sendName(name: string, message: unknown): void
  /** The names held, sorted. */
  registeredNames(): string[]
  /** Stops the registry of this node: its own names are dropped everywhere, `{ global }` stops working here. */
  stop(): Promise<void>
}

/**
 * Starts the global registry of `node` (a GenServer registered locally as `gen_cluster.global`) and
 * makes it `node.core.globalRegistry`. Start it on every node of the cluster; a node that starts it
 * late learns the names the others hold.
 */
export async function startGlobal (node: ClusterNode, init: GlobalInit = {}): Promise<GlobalRegistry> {
  if (!(node instanceof ClusterNode)) throw new InvalidOptionError('node', 'expected a ClusterNode')
  const resolver = init.resolver ?? 'notify'
  if (!isResolver(resolver)) throw new InvalidOptionError('resolver', "expected 'notify', 'exit', 'unregisterBoth' or a function (name, a, b) => 'a' | 'b' | 'none'")
  const timeoutMs = positive('timeoutMs', init.timeoutMs, 5000)
  const peerTimeoutMs = positive('peerTimeoutMs', init.peerTimeoutMs, 2000)
  const retryDelayMs = positive('retryDelayMs', init.retryDelayMs, 10)
  if (init.now !== undefined && typeof init.now !== 'function') throw new InvalidOptionError('now', 'expected a function returning a number')
  const clock = node.core.clock
  const now = init.now ?? (clock === systemClock ? Date.now : () => clock.now())
  const running = node.core.whereis(SERVER_NAME)
  if (running !== undefined) throw new AlreadyStartedError(SERVER_NAME, running)
  const log = node.core.logger('cluster:global')
  const state = new GlobalState(node, { resolver, timeoutMs, peerTimeoutMs, retryDelayMs, log })
  const pid = await start(globalServer, state, { node: node.core, name: SERVER_NAME })
  const registry = new GlobalRegistryImpl(node, pid, state, { timeoutMs, peerTimeoutMs, now })
  node.core.globalRegistry = registry
  state.fx.post(() => { state.started() })
  return registry
}

function positive (option: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new InvalidOptionError(option, 'expected a positive number of milliseconds')
  return value
}
