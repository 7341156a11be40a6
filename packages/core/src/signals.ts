/**
 * Links, monitors and exit signals, with Erlang's semantics.
 *
 * - A link is two-way. When a process exits, each linked process gets an exit signal with the reason.
 *   A process that traps exits receives it as `{ type: 'EXIT', from, reason }`; one that does not dies
 *   with the same reason, unless the reason is `'normal'` (ignored).
 * - `exit(pid, 'kill')` cannot be trapped: the target dies with `'killed'`.
 * - A monitor is one-way and fires exactly once: a `{ type: 'DOWN', ref, pid, reason }` message, at
 *   once with `'noproc'` if the target does not exist, with `'noconnection'` if its node is
 *   unreachable or goes down.
 *
 * Exit signals to local processes are queued and performed by the scheduler between two callbacks,
 * so a process never dies in the middle of another process's code.
 */
import type { RemoteName } from './distribution.js'
import type { ExitReason } from './exit-reason.js'
import type { CoreNode } from './node.js'
import { Pid } from './pid.js'
import type { Ref } from './pid.js'
import type { DownMessage, ExitMessage, Proc } from './process.js'
import { scheduleSignal } from './scheduler.js'

/** Performs an exit signal arriving at `target` from `from`. */
export function receiveExitSignal (target: Proc, from: Pid, reason: ExitReason, linked: boolean): void {
  if (!target.alive) return
  if (linked) {
    // An exit signal of a link that was removed meanwhile (unlink) is dropped, as in Erlang.
    if (target.links?.delete(from.key) !== true) return
  }
  const node = target.node
  if (reason === 'kill' && !linked) {
    node.terminate(target, 'killed')
  } else if (target.trapExit) {
    const message: ExitMessage = { type: 'EXIT', from, reason }
    target.deliverNow(message)
  } else if (reason === 'normal') {
    if (from.equals(target.pid)) node.terminate(target, 'normal')
  } else {
    node.terminate(target, reason)
  }
}

/**
 * Queues an exit signal for `target`, to be performed between two callbacks. Until it is, messages
 * for `target` queue behind it (`Proc.deliver`), so a message sent after an exit signal never
 * overtakes it: Erlang's order of signals between one sender and one receiver.
 */
export function queueExitSignal (target: Proc, from: Pid, reason: ExitReason, linked: boolean): void {
  target.signalsPending++
  scheduleSignal(() => {
    target.signalsPending--
    receiveExitSignal(target, from, reason, linked)
  })
}

/** Sends an exit signal from `from` (a pid of `node`) to `to`. */
export function sendExit (node: CoreNode, from: Pid, to: Pid, reason: ExitReason, linked: boolean): void {
  if (node.isLocal(to)) {
    const target = node.procs.get(to.id)
    if (target !== undefined) queueExitSignal(target, from, reason, linked)
  } else if (to.node !== node.name && node.distribution.isConnected(to.node)) {
    node.distribution.exit(from, to, reason, linked)
  }
}

/** Links `proc` and `to`. A dead or unreachable `to` sends `proc` an exit signal (`noproc` / `noconnection`). */
export function link (node: CoreNode, proc: Proc, to: Pid): void {
  if (to.equals(proc.pid) || proc.links?.has(to.key) === true) return
  if (node.isLocal(to) || to.node === node.name) {
    const other = node.lookup(to)
    if (other === undefined) {
      queueExitSignal(proc, to, 'noproc', false)
      return
    }
    ;(proc.links ??= new Map()).set(to.key, to)
    ;(other.links ??= new Map()).set(proc.pid.key, proc.pid)
    return
  }
  if (!node.distribution.isConnected(to.node)) {
    queueExitSignal(proc, to, 'noconnection', false)
    return
  }
  ;(proc.links ??= new Map()).set(to.key, to)
  node.distribution.link(proc.pid, to)
}

export function unlink (node: CoreNode, proc: Proc, to: Pid): void {
  if (proc.links?.delete(to.key) !== true) return
  const other = node.lookup(to)
  if (other !== undefined) other.links?.delete(proc.pid.key)
  else if (to.node !== node.name && node.distribution.isConnected(to.node)) node.distribution.unlink(proc.pid, to)
}

/** Monitors `target` from `watcher`; returns the monitor's ref. */
export function monitor (node: CoreNode, watcher: Proc, target: Pid | string | RemoteName): Ref {
  const ref = node.makeRef()
  let local: Proc | undefined
  let remote: Pid | RemoteName | undefined
  let shown: Pid | RemoteName
  if (target instanceof Pid) {
    shown = target
    if (target.node === node.name) local = node.lookup(target)
    else remote = target
  } else if (typeof target === 'string') {
    shown = { name: target, node: node.name }
    local = node.names.get(target)
  } else {
    shown = target
    if (target.node === node.name) local = node.names.get(target.name)
    else remote = target
  }
  if (remote !== undefined) {
    if (!node.distribution.isConnected(remote.node)) {
      watcher.deliver(down(ref, shown, 'noconnection'))
      return ref
    }
    ;(watcher.monitors ??= new Map()).set(ref.key, { ref, pid: remote })
    node.distribution.monitor(watcher.pid, remote, ref)
    return ref
  }
  if (local === undefined) {
    watcher.deliver(down(ref, shown, 'noproc'))
    return ref
  }
  ;(watcher.monitors ??= new Map()).set(ref.key, { ref, pid: local.pid })
  ;(local.monitoredBy ??= new Map()).set(ref.key, shown instanceof Pid ? { ref, pid: watcher.pid } : { ref, pid: watcher.pid, name: shown })
  return ref
}

/** Removes a monitor; with `flush`, also removes its `DOWN` message if one already arrived. */
export function demonitor (node: CoreNode, watcher: Proc, ref: Ref, flush: boolean): boolean {
  const entry = watcher.monitors?.get(ref.key)
  if (entry !== undefined) {
    watcher.monitors?.delete(ref.key)
    const local = entry.pid instanceof Pid ? node.lookup(entry.pid) : undefined
    if (local !== undefined) local.monitoredBy?.delete(ref.key)
    else if (entry.pid.node !== node.name && node.distribution.isConnected(entry.pid.node)) {
      node.distribution.demonitor(watcher.pid, entry.pid, ref)
    }
  }
  if (flush && watcher.mailbox !== null) {
    watcher.mailbox.removeAll(m => isDown(m) && m.ref.equals(ref))
  }
  return entry !== undefined
}

/** Everything that follows the exit of `proc`: exit signals to links, `DOWN` to watchers, monitors dropped. */
export function propagateExit (node: CoreNode, proc: Proc, reason: ExitReason): void {
  const { links, monitoredBy, monitors } = proc
  proc.links = null
  proc.monitoredBy = null
  proc.monitors = null
  if (links !== null) {
    for (const pid of links.values()) sendExit(node, proc.pid, pid, reason, true)
  }
  if (monitoredBy !== null) {
    for (const { ref, pid, name } of monitoredBy.values()) {
      if (node.isLocal(pid)) {
        const watcher = node.procs.get(pid.id)
        if (watcher !== undefined) {
          watcher.monitors?.delete(ref.key)
          watcher.deliver(down(ref, name ?? proc.pid, reason))
        }
      } else if (pid.node !== node.name && node.distribution.isConnected(pid.node)) {
        node.distribution.down(pid, proc.pid, ref, reason)
      }
    }
  }
  if (monitors !== null) {
    for (const { ref, pid } of monitors.values()) {
      const target = pid instanceof Pid ? node.lookup(pid) : undefined
      if (target !== undefined) target.monitoredBy?.delete(ref.key)
      else if (pid.node !== node.name && node.distribution.isConnected(pid.node)) node.distribution.demonitor(proc.pid, pid, ref)
    }
  }
}

function down (ref: Ref, pid: Pid | RemoteName, reason: ExitReason): DownMessage {
  return { type: 'DOWN', ref, pid, reason }
}

/** True if `message` is a `DOWN` message. */
export function isDown (message: unknown): message is DownMessage {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'DOWN' && 'ref' in message
}

// ---- entry points for the distribution ----------------------------------------------------------

export function remoteExitSignal (node: CoreNode, to: Pid, from: Pid, reason: ExitReason, linked: boolean): void {
  const target = node.lookup(to)
  if (target !== undefined) queueExitSignal(target, from, reason, linked)
}

export function remoteLink (node: CoreNode, local: Pid, remote: Pid): void {
  const proc = node.lookup(local)
  if (proc === undefined) {
    if (node.distribution.isConnected(remote.node)) node.distribution.exit(local, remote, 'noproc', true)
    return
  }
  ;(proc.links ??= new Map()).set(remote.key, remote)
}

export function remoteMonitor (node: CoreNode, target: Pid | string, watcher: Pid, ref: Ref): void {
  const proc = typeof target === 'string' ? node.names.get(target) : node.lookup(target)
  if (proc === undefined) {
    const shown = typeof target === 'string' ? new Pid(node.name, 0, node.creation) : target
    if (node.distribution.isConnected(watcher.node)) node.distribution.down(watcher, shown, ref, 'noproc')
    return
  }
  ;(proc.monitoredBy ??= new Map()).set(ref.key, { ref, pid: watcher })
}

export function remoteDemonitor (node: CoreNode, target: Pid | string, ref: Ref): void {
  const proc = typeof target === 'string' ? node.names.get(target) : node.lookup(target)
  proc?.monitoredBy?.delete(ref.key)
}

export function monitorFired (node: CoreNode, watcher: Pid, ref: Ref, target: Pid, reason: ExitReason): void {
  const proc = node.lookup(watcher)
  const held = proc?.monitors?.get(ref.key)
  // Only the node of the monitored process may fire the monitor.
  if (proc === undefined || held === undefined || held.pid.node !== target.node) return
  proc.monitors?.delete(ref.key)
  // A monitor by name shows the name it was made with, as a local one does.
  proc.deliver(down(ref, held.pid instanceof Pid ? target : held.pid, reason))
}

/** The connection to `lost` is gone: links to it break with `noconnection`, monitors on it fire. */
export function nodeDown (node: CoreNode, lost: string): void {
  for (const proc of node.procs.values()) {
    if (proc.links !== null) {
      for (const pid of proc.links.values()) {
        if (pid.node === lost) {
          queueExitSignal(proc, pid, 'noconnection', true)
        }
      }
    }
    if (proc.monitors !== null) {
      for (const [key, { ref, pid }] of proc.monitors) {
        if (pid.node === lost) {
          proc.monitors.delete(key)
          proc.deliver(down(ref, pid, 'noconnection'))
        }
      }
    }
    if (proc.monitoredBy !== null) {
      for (const [key, { pid }] of proc.monitoredBy) if (pid.node === lost) proc.monitoredBy.delete(key)
    }
  }
}

