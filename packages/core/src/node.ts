/**
 * A node: the process table, local names, and the exit of processes, on one `CoreNode`.
 *
 * Several nodes may live in one JavaScript realm (tests, simulations); they share the scheduler and
 * reach one another only through their distributions, exactly as nodes in separate OS processes do.
 * Links, monitors and exit signals are in `signals.ts`; calls in `call.ts`.
 */
import { randomInt } from 'node:crypto'
import type { Clock } from './clock.js'
import { systemClock } from './clock.js'
import type { CallTag, Distribution, DistributionHost, RemoteName } from './distribution.js'
import { localOnly } from './distribution.js'
import { AlreadyRegisteredError, NoProcError, NoGlobalRegistryError } from './errors.js'
import type { ExitReason } from './exit-reason.js'
import { formatReason, isCleanExit } from './exit-reason.js'
import type { Logger, LoggerFactory } from './logger.js'
import { stderrLogger } from './logger.js'
import type { Dest, NameRegistry } from './names.js'
import { checkDest, describe } from './names.js'
import { Pid, Ref } from './pid.js'
import type { ProcessHandler } from './process.js'
import { Proc } from './process.js'
import * as signals from './signals.js'
import * as calls from './call.js'
import type { AnyGenServer } from './gen-server.js'
import type { NodeRef } from './realm.js'
import { checkBehaviourName, startExposed } from './remote-start.js'
import { deliverSystem } from './system.js'
import { checkBehaviour } from './behaviour-check.js'

/** Options of {@link createNode}. Every option is optional. */
export interface NodeInit {
  /**
   * The node's name, `name@host` style; it appears in every pid of the node.
   * @default 'nonode@nohost'
   */
  name?: string
  /**
   * A number that differs each time a node of this name starts, so pids of an earlier run never
   * equal pids of this one. @default a random 31-bit integer
   */
  creation?: number
  /** Where time comes from. @default the system clock */
  clock?: Clock
  /** The way to other nodes. @default {@link localOnly}: no other node is reachable */
  distribution?: Distribution
  /** Registry behind `{ global: name }` (the cluster sets it). @default none */
  globalRegistry?: NameRegistry
  /** Component loggers. @default stderr, level from `GEN_CLUSTER_LOG` (default `warn`) */
  logger?: LoggerFactory
  /**
   * Behaviours this node exposes by name: other nodes may start them here (`startOn`) and upgrade
   * servers here to them (`upgrade(server, name)`). More with `exposeBehaviour`. @default none
   */
  behaviours?: Readonly<Record<string, AnyGenServer>>
}

/** Options of `spawn`. */
export interface SpawnOptions {
  /** Link the new process to the calling process. @default false */
  link?: boolean
  /** Start the new process with exits trapped. @default false */
  trapExit?: boolean
  /** The node to spawn on (a core node or a `ClusterNode`). @default the calling process's node, else the only node of this OS process */
  node?: NodeRef
}

export class CoreNode {
  readonly name: string
  readonly creation: number
  readonly clock: Clock
  readonly distribution: Distribution
  readonly log: Logger
  readonly logger: LoggerFactory
  globalRegistry: NameRegistry | undefined
  /** The pid that stands for code running outside any process (a test, a script's top level). */
  readonly rootPid: Pid
  /** Called for every message sent by a process of this node (the test kit records with it). */
  onSend: ((from: Pid | undefined, to: Dest, message: unknown) => void) | undefined = undefined
  readonly procs = new Map<number, Proc>()
  readonly names = new Map<string, Proc>()
  /** Behaviours exposed to other nodes by name (`startOn`, remote `upgrade`). */
  readonly behaviours = new Map<string, AnyGenServer>()
  /** Calls in flight to other nodes, by the id of their (local) ref. */
  readonly remoteCalls = new Map<number, calls.RemoteCall>()
  #nextId = 1
  #nextRef = 1

  constructor (init: NodeInit = {}) {
    const name = init.name ?? 'nonode@nohost'
    if (typeof name !== 'string' || name.length === 0) throw new TypeError('name: expected a non-empty string such as "a@host"')
    const creation = init.creation ?? randomInt(1, 2 ** 31)
    if (!Number.isSafeInteger(creation) || creation < 0) throw new TypeError('creation: expected a non-negative safe integer')
    this.name = name
    this.creation = creation
    this.clock = init.clock ?? systemClock
    this.distribution = init.distribution ?? localOnly()
    this.globalRegistry = init.globalRegistry
    this.logger = init.logger ?? stderrLogger()
    this.log = this.logger('core:process')
    this.rootPid = new Pid(name, 0, creation)
    if (init.behaviours !== undefined) {
      if (typeof init.behaviours !== 'object' || init.behaviours === null) throw new TypeError('behaviours: expected an object of behaviours by name')
      for (const [n, b] of Object.entries(init.behaviours)) this.expose(n, b)
    }
    this.distribution.attach(this.host())
  }

  /** Exposes `behaviour` under `name` to other nodes (replacing what that name exposed). */
  expose (name: string, behaviour: AnyGenServer): void {
    checkBehaviourName(name)
    checkBehaviour(behaviour)
    this.behaviours.set(name, behaviour)
  }

  /** The name under which this node exposes `behaviour`, if it does. */
  exposedName (behaviour: unknown): string | undefined {
    for (const [n, b] of this.behaviours) if (b === behaviour) return n
    return undefined
  }

  /** A new unique reference. */
  makeRef (): Ref {
    return new Ref(this.name, this.#nextRef++, this.creation)
  }

  /** True if `ref` was made by this node's current run. */
  isLocalRef (ref: Ref): boolean {
    return ref.node === this.name && ref.creation === this.creation
  }

  /** True if `pid` belongs to this node's current run. */
  isLocal (pid: Pid): boolean {
    return pid.node === this.name && pid.creation === this.creation
  }

  /** The live local process of `pid`, if any. */
  lookup (pid: Pid): Proc | undefined {
    if (pid.creation !== this.creation || pid.node !== this.name) return undefined
    return this.procs.get(pid.id)
  }

  /** Creates a process. With a `handler` it is message driven; without one it pulls with `receive`. */
  newProc (handler: ProcessHandler | null): Proc {
    const proc = new Proc(this, new Pid(this.name, this.#nextId++, this.creation))
    proc.handler = handler
    this.procs.set(proc.pid.id, proc)
    return proc
  }

  // ---- names --------------------------------------------------------------------------------

  register (name: string, pid: Pid): void {
    if (typeof name !== 'string' || name.length === 0) throw new TypeError('register: name must be a non-empty string')
    if (!(pid instanceof Pid)) throw new TypeError('register: pid must be a Pid')
    const proc = this.lookup(pid)
    if (proc === undefined) throw new NoProcError(pid.toString())
    const holder = this.names.get(name)
    if (holder !== undefined) throw new AlreadyRegisteredError(name, `already registered to ${holder.pid.toString()}`)
    if (proc.name !== undefined) throw new AlreadyRegisteredError(name, `${pid.toString()} is already registered as ${JSON.stringify(proc.name)}`)
    proc.name = name
    this.names.set(name, proc)
  }

  /** Removes a local name; false if it was not registered. */
  unregister (name: string): boolean {
    const proc = this.names.get(name)
    if (proc === undefined) return false
    this.names.delete(name)
    proc.name = undefined
    return true
  }

  whereis (name: string): Pid | undefined {
    return this.names.get(name)?.pid
  }

  /**
   * Resolves a destination to a local process, or to a pid / name on another node.
   * Unknown names throw `NoProcError`; a dead local pid resolves to `undefined`.
   */
  resolve (dest: Dest, api: string): Proc | Pid | RemoteName | undefined {
    if (dest instanceof Pid) return this.isLocal(dest) ? this.procs.get(dest.id) : (dest.node === this.name ? undefined : dest)
    checkDest(dest, api)
    if (typeof dest === 'string') {
      const proc = this.names.get(dest)
      if (proc === undefined) throw new NoProcError(describe(dest))
      return proc
    }
    if ('global' in dest) {
      if (this.globalRegistry === undefined) throw new NoGlobalRegistryError(dest.global)
      const pid = this.globalRegistry.whereisName(dest.global)
      if (pid === undefined) throw new NoProcError(describe(dest))
      return this.resolve(pid, api)
    }
    if ('via' in dest) {
      const pid = dest.via.whereisName(dest.name)
      if (pid === undefined) throw new NoProcError(describe(dest))
      return this.resolve(pid, api)
    }
    if (dest.node === this.name) {
      const proc = this.names.get(dest.name)
      if (proc === undefined) throw new NoProcError(describe(dest))
      return proc
    }
    return dest
  }

  // ---- messages -----------------------------------------------------------------------------

  /** Sends `message` to `dest`. A message to a dead pid or an unreachable node is dropped, as in Erlang. */
  send (dest: Dest, message: unknown, from: Pid | undefined): void {
    if (message === undefined) throw new TypeError('send: the message must not be undefined')
    if (this.onSend !== undefined) this.onSend(from, dest, message)
    const target = this.resolve(dest, 'send')
    if (target instanceof Proc) target.deliver(message)
    else if (target instanceof Pid) {
      if (this.distribution.isConnected(target.node)) this.distribution.send(target, message, from)
    } else if (target !== undefined && this.distribution.isConnected(target.node)) {
      this.distribution.sendNamed(target, message, from)
    }
  }

  // ---- exits --------------------------------------------------------------------------------

  /** Ends `proc` with `reason`: every link, monitor and waiting caller hears of it. */
  terminate (proc: Proc, reason: ExitReason): void {
    if (!proc.alive) return
    proc.alive = false
    proc.exitReason = reason
    this.procs.delete(proc.pid.id)
    if (proc.name !== undefined && this.names.get(proc.name) === proc) this.names.delete(proc.name)
    if (proc.receiver !== null) {
      if (proc.receiver.timer !== undefined) this.clock.clearTimeout(proc.receiver.timer)
      proc.receiver = null
    }
    proc.mailbox = null
    for (let w = proc.waiters; w !== null;) {
      const next = w.next
      w.prev = null
      w.next = null
      w.exited(reason)
      w = next
    }
    proc.waiters = null
    proc.handler?.exited?.(reason)
    signals.propagateExit(this, proc, reason)
    if (proc.onExit !== undefined) {
      try {
        proc.onExit(reason)
      } catch (err) {
        this.log.error('onExit hook threw', { pid: proc.pid.toString(), err })
      }
    }
  }

  /** A crash: the process ends with `err` as its reason, and a crash report is logged. */
  crash (proc: Proc, err: unknown): void {
    if (!proc.alive) return
    const reason = err instanceof Error ? err : new Error(`thrown value: ${String(err)}`, { cause: err })
    this.log.error('process crashed', { pid: proc.pid.toString(), name: proc.name, reason: formatReason(reason), stack: reason.stack })
    this.terminate(proc, reason)
  }

  /** Logs the abnormal exit of a behaviour (OTP's crash report). */
  reportExit (proc: Proc, reason: ExitReason): void {
    if (!isCleanExit(reason)) {
      this.log.error('process exited', { pid: proc.pid.toString(), name: proc.name, reason: formatReason(reason), stack: reason instanceof Error ? reason.stack : undefined })
    }
  }

  // ---- what the distribution calls ------------------------------------------------------------

  /** The entry points for this node's distribution. */
  host (): DistributionHost {
    return {
      name: this.name,
      creation: this.creation,
      deliver: (to, message) => { this.lookup(to)?.deliver(message) },
      deliverNamed: (name, message) => { this.names.get(name)?.deliver(message) },
      deliverCast: (to, message) => { calls.deliverRemoteCast(this, to, message) },
      deliverCall: (to, request, tag) => { calls.deliverRemoteCall(this, to, request, tag) },
      deliverSystem: (to, kind, arg, tag) => { deliverSystem(this, to, kind, arg, tag) },
      startExposed: (behaviour, arg, opts, tag) => { startExposed(this, behaviour, arg, opts, tag) },
      callReplied: (ref, value, from) => { calls.remoteReplied(this, ref, value, from) },
      callFailed: (ref, error, from) => { calls.remoteFailed(this, ref, error, from) },
      exitSignal: (to, from, reason, linked) => { signals.remoteExitSignal(this, to, from, reason, linked) },
      link: (local, remote) => { signals.remoteLink(this, local, remote) },
      unlink: (local, remote) => { this.lookup(local)?.links?.delete(remote.key) },
      monitor: (target, watcher, ref) => { signals.remoteMonitor(this, target, watcher, ref) },
      demonitor: (target, ref) => { signals.remoteDemonitor(this, target, ref) },
      monitorDown: (watcher, ref, target, reason) => { signals.monitorFired(this, watcher, ref, target, reason) },
      nodeDown: (node) => {
        signals.nodeDown(this, node)
        calls.nodeDown(this, node)
      }
    }
  }

}
