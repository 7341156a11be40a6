/**
 * A process: a pid, a FIFO mailbox, and the links, monitors and callers that must hear of its exit.
 *
 * A process runs one message at a time, in one of two ways:
 * - a *handler* (used by behaviours): the scheduler hands it each message; if it returns a promise the
 *   process is busy, and gets no other message, until that promise settles;
 * - a *function* (`spawn(async ({ receive }) => ...)`): it pulls messages with `receive`.
 * Either way a throw or a rejection crashes the process with that error (let it crash); it never
 * escapes into the node.
 *
 * Internal: the public surface is `spawn`, `send` and friends in `api.ts`.
 */
import type { ExitReason } from './exit-reason.js'
import { ReceiveTimeoutError } from './errors.js'
import type { Pid, Ref } from './pid.js'
import { Queue } from './queue.js'
import type { Runnable } from './scheduler.js'
import { enter, leave, schedule, scheduleSignal } from './scheduler.js'
import type { TimerHandle } from './clock.js'
import type { CoreNode } from './node.js'
import type { RemoteName } from './distribution.js'

/** Message delivered when a monitored process ends (or did not exist: `reason` is `'noproc'`). */
export interface DownMessage {
  readonly type: 'DOWN'
  readonly ref: Ref
  /** The monitored process: its pid, or `{ name, node }` when it was monitored by name. */
  readonly pid: Pid | RemoteName
  readonly reason: ExitReason
}

/** Message delivered to a process that traps exits, in place of an exit signal. */
export interface ExitMessage {
  readonly type: 'EXIT'
  /** The process the signal came from. */
  readonly from: Pid
  readonly reason: ExitReason
}

/** What drives a behaviour's process: one call of `handle` per message. */
export interface ProcessHandler {
  /** Handles one message; a returned promise keeps the process busy until it settles. */
  handle(message: unknown): unknown
  /** The behaviour's state, for `getState` and introspection. */
  inspect?(): unknown
  /** The process has exited: release timers and the like. */
  exited?(reason: ExitReason): void
}

/** A monitor, as seen by the watched process (`pid` is the watcher). */
export interface MonitorEntry {
  readonly ref: Ref
  readonly pid: Pid
  /** Set when the watcher monitored by name: its `DOWN` shows the name, not the pid. */
  readonly name?: RemoteName
}

/** A monitor, as seen by the watcher (`pid` is the target: a pid, or a name on another node). */
export interface HeldMonitor {
  readonly ref: Ref
  readonly pid: Pid | RemoteName
}

/** Something waiting for this process to reply or exit (a call in flight). */
export interface Waiter {
  prev: Waiter | null
  next: Waiter | null
  /** Fails the waiter because the process exited with `reason`. */
  exited(reason: ExitReason): void
}

/** What a behaviour tells `processInfo` about itself. */
export interface BehaviourInfo {
  readonly behaviour: string
  readonly version: string | undefined
  readonly module?: string | undefined
}

interface Receiver {
  match: ((message: unknown) => boolean) | undefined
  resolve: (message: unknown) => void
  reject: (err: Error) => void
  timer: TimerHandle | undefined
}

export class Proc implements Runnable {
  readonly pid: Pid
  readonly node: CoreNode
  queued = false
  alive = true
  busy = false
  running = false
  trapExit = false
  name: string | undefined = undefined
  handled = 0
  exitReason: ExitReason | undefined = undefined
  mailbox: Queue<unknown> | null = null
  handler: ProcessHandler | null = null
  receiver: Receiver | null = null
  links: Map<string, Pid> | null = null
  /** Monitors this process holds, by ref key. */
  monitors: Map<string, HeldMonitor> | null = null
  /** Monitors held on this process, by ref key. */
  monitoredBy: Map<string, MonitorEntry> | null = null
  /** Calls waiting on this process: an intrusive list, so adding and removing are O(1). */
  waiters: Waiter | null = null
  info: BehaviourInfo | undefined = undefined
  /** Exit signals (and the messages queued behind them) not yet performed: see `deliver`. */
  signalsPending = 0
  /** Called once when the process has exited (behaviours release resources here). */
  onExit: ((reason: ExitReason) => void) | undefined = undefined

  constructor (node: CoreNode, pid: Pid) {
    this.node = node
    this.pid = pid
  }

  /**
   * Appends a message to the mailbox (or hands it to a matching pending `receive`). While an exit
   * signal to this process waits to be performed, the message waits behind it, in order: a message
   * never overtakes an exit signal sent before it (which, trapped, becomes an `EXIT` message).
   */
  deliver (message: unknown): void {
    if (!this.alive) return
    if (this.signalsPending > 0) {
      this.signalsPending++
      scheduleSignal(() => {
        this.signalsPending--
        if (this.alive) this.deliverNow(message)
      })
      return
    }
    this.deliverNow(message)
  }

  /** Appends a message now, ahead of any pending signal (for the `EXIT` a trapped exit signal becomes). */
  deliverNow (message: unknown): void {
    const receiver = this.receiver
    if (receiver !== null) {
      let matched: boolean
      try {
        matched = receiver.match === undefined || receiver.match(message)
      } catch (err) {
        // The receiver's own `match` threw: its `receive` fails, never the sender's `send`.
        matched = false
        this.receiver = null
        if (receiver.timer !== undefined) this.node.clock.clearTimeout(receiver.timer)
        receiver.reject(err instanceof Error ? err : new Error(`match threw: ${String(err)}`, { cause: err }))
      }
      if (matched) {
        this.receiver = null
        if (receiver.timer !== undefined) this.node.clock.clearTimeout(receiver.timer)
        this.handled++
        receiver.resolve(message)
        return
      }
    }
    if (this.mailbox === null) this.mailbox = new Queue()
    this.mailbox.push(message)
    if (this.handler !== null && !this.busy) schedule(this)
  }

  runSlice (slice: number): number {
    const handler = this.handler
    const mailbox = this.mailbox
    if (handler === null || mailbox === null) return 0
    let n = 0
    const prev = enter(this)
    this.running = true
    try {
      while (n < slice && this.alive && !this.busy && mailbox.length > 0) {
        const message = mailbox.shift()
        n++
        this.handled++
        let result: unknown
        try {
          result = handler.handle(message)
        } catch (err) {
          this.node.crash(this, err)
          break
        }
        if (result !== undefined && typeof (result as PromiseLike<unknown>).then === 'function') {
          this.busy = true
          ;(result as PromiseLike<unknown>).then(() => this.#settled(), (err: unknown) => {
            this.#settled()
            this.node.crash(this, err)
          })
        }
      }
    } finally {
      this.running = false
      leave(prev)
    }
    if (this.alive && !this.busy && mailbox.length > 0) schedule(this)
    return n
  }

  /** Marks the end of async work (an async callback, init): the next message may run. */
  settled (): void {
    this.#settled()
  }

  #settled (): void {
    this.busy = false
    if (this.alive && this.mailbox !== null && this.mailbox.length > 0) schedule(this)
  }

  /** Pulls the first message (that `match` accepts) from the mailbox, waiting for one if need be. */
  receive<T = unknown> (match?: (message: unknown) => boolean, timeout?: number): Promise<T> {
    if (this.receiver !== null) return Promise.reject(new TypeError('receive: this process is already waiting in receive'))
    if (timeout !== undefined && (typeof timeout !== 'number' || Number.isNaN(timeout) || timeout < 0)) {
      return Promise.reject(new TypeError(`receive: timeout must be a non-negative number of milliseconds or Infinity, got ${String(timeout)}`))
    }
    const mailbox = this.mailbox
    if (mailbox !== null && mailbox.length > 0) {
      let found: unknown
      try {
        found = match === undefined ? mailbox.shift() : mailbox.take(match)
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new Error(`match threw: ${String(err)}`, { cause: err }))
      }
      if (found !== undefined) {
        this.handled++
        return Promise.resolve(found as T)
      }
    }
    if (!this.alive) return new Promise<T>(() => {})
    return new Promise<T>((resolve, reject) => {
      const receiver: Receiver = { match, resolve: resolve as (m: unknown) => void, reject, timer: undefined }
      if (timeout !== undefined && timeout !== Infinity) {
        receiver.timer = this.node.clock.setTimeout(() => {
          if (this.receiver !== receiver) return
          this.receiver = null
          reject(new ReceiveTimeoutError(timeout))
        }, timeout)
      }
      this.receiver = receiver
    })
  }

  /** Adds a waiter that fails if this process exits first. */
  addWaiter (w: Waiter): void {
    w.prev = null
    w.next = this.waiters
    if (this.waiters !== null) this.waiters.prev = w
    this.waiters = w
  }

  removeWaiter (w: Waiter): void {
    if (w.prev !== null) w.prev.next = w.next
    else if (this.waiters === w) this.waiters = w.next
    if (w.next !== null) w.next.prev = w.prev
    w.prev = null
    w.next = null
  }

  get status (): 'running' | 'runnable' | 'waiting' | 'exited' {
    if (!this.alive) return 'exited'
    if (this.running || this.busy) return 'running'
    if (this.queued) return 'runnable'
    // A process driven by a function runs its own code (or awaits its own work) unless it waits in receive.
    if (this.handler === null && this.receiver === null) return 'running'
    return 'waiting'
  }
}
