/**
 * Introspection: what an observer reads about a process.
 */
import { actingNode } from './realm.js'
import type { NodeOption } from './realm.js'
import { ServerLoop } from './server-loop.js'
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
  /** A GenServer's state as its `formatStatus` shows it (the state itself without one); undefined for plain processes. */
  readonly state?: unknown
}

/** A snapshot of a live process of a node of this OS process (the pid's); `undefined` if it is not alive. */
export function processInfo (pid: Pid, opts?: NodeOption): ProcessInfo | undefined {
  const proc = actingNode('processInfo', pid, opts?.node).lookup(pid)
  if (proc === undefined) return undefined
  const loop = proc.handler instanceof ServerLoop ? proc.handler : undefined
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
    version: proc.info?.version,
    ...(loop === undefined ? {} : { state: loop.status().state })
  }
}

export type { ExitReason }
