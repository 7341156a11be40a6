/**
 * Introspection: what an observer reads about a process.
 */
import { nodeFor } from './api.js'
import type { RemoteName } from './distribution.js'
import type { ExitReason } from './exit-reason.js'
import type { Pid, Ref } from './pid.js'

/** A snapshot of one process (OTP's `process_info`). */
export interface ProcessInfo {
  readonly pid: Pid
  /** `running` (in a callback, or awaiting an async one), `runnable` (queued), `waiting` (idle). */
  readonly status: 'running' | 'runnable' | 'waiting'
  readonly registeredName: string | undefined
  readonly messageQueueLength: number
  readonly links: Pid[]
  /** Monitors this process holds. */
  readonly monitors: Array<{ ref: Ref, pid: Pid | RemoteName }>
  /** Processes monitoring this one. */
  readonly monitoredBy: Pid[]
  readonly trapExit: boolean
  /** Messages taken from the mailbox so far. */
  readonly messagesHandled: number
  /** `gen_server` (or the behaviour's `name`) for behaviours; undefined for plain processes. */
  readonly behaviour: string | undefined
  readonly version: string | undefined
}

/** A snapshot of a live process of the caller's node (or of the pid's node); `undefined` if it is not alive. */
export function processInfo (pid: Pid): ProcessInfo | undefined {
  const proc = nodeFor(pid).lookup(pid)
  if (proc === undefined) return undefined
  return {
    pid: proc.pid,
    status: proc.status as ProcessInfo['status'],
    registeredName: proc.name,
    messageQueueLength: proc.mailbox?.length ?? 0,
    links: proc.links === null ? [] : [...proc.links.values()],
    monitors: proc.monitors === null ? [] : [...proc.monitors.values()].map(({ ref, pid }) => ({ ref, pid })),
    monitoredBy: proc.monitoredBy === null ? [] : [...proc.monitoredBy.values()].map(e => e.pid),
    trapExit: proc.trapExit,
    messagesHandled: proc.handled,
    behaviour: proc.info?.behaviour,
    version: proc.info?.version
  }
}

export type { ExitReason }
