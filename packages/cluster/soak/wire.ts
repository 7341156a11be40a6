/**
 * What the soak's coordinator (`main.ts`) and its node processes (`node.ts`) say to each other:
 * one JSON object a line, commands on the node's stdin, events on its stdout.
 *
 * Times (`t`) are `performance.timeOrigin + performance.now()`, a scale the processes of one
 * machine share. Counters in {@link Stats} are cumulative over the node's incarnation (one
 * start of the node: one creation), so the last line of a killed incarnation still counts.
 */
import type { IdentityTuple } from '@gen-cluster/core'

/** A time that the processes of one machine share, in ms. */
export const now = (): number => performance.timeOrigin + performance.now()

/** Options every node gets on its command line, as one JSON argument. */
export interface NodeConfig {
  readonly name: string
  readonly home: string
  readonly seeds: readonly string[]
  readonly secret: string
  /** Servers that answer calls and take casts, on each node. */
  readonly sinks: number
  /** Concurrent call loops on each node. */
  readonly callers: number
  /** Cast-sending processes on each node, and the casts per second they send together. */
  readonly casters: number
  readonly castRate: number
  /** Concurrent register → whereis → unregister loops on each node. */
  readonly registrars: number
  /** Call timeout, ms; a call still outstanding `margin` ms after it is lost. */
  readonly callTimeout: number
  readonly margin: number
  /** The node exits by itself after this many ms (a bound, should the coordinator vanish). */
  readonly lifetime: number
}

/** Commands, on stdin. `peers` gives the load its targets; `stop` ends the load; `final` asks for {@link Stats} with `names`. */
export type Command =
  | { cmd: 'peers', sinks: Record<string, Array<{ pid: IdentityTuple }>> }
  | { cmd: 'start' }
  | { cmd: 'stop' }
  | { cmd: 'final' }

/** Outcomes of calls made on one node. */
export interface CallStats {
  started: number
  replies: number
  /** Replies that were not the value sent (must stay 0). */
  wrong: number
  /** Typed errors, by `err.name`. */
  errors: Record<string, number>
  /** Calls not ended yet, and those of them outstanding longer than timeout + margin (lost replies). */
  outstanding: number
  overdue: number
}

/** Casts sent by this node and received by its sinks. */
export interface CastStats {
  sent: number
  /** Casts not sent because the target's link had more than 1 MiB queued (backpressure). */
  held: number
  received: number
  /** A sequence number lower than or equal to the last one from the same sender: order broken. */
  violations: number
  /** Sequence numbers skipped (casts lost on a link that stayed up as far as the sender knew). */
  gaps: number
  /** The first violations, for the report. */
  samples: string[]
  /** Per (sender → sink) pair, `senderKey>sinkKey`: casts sent (sender side) and received (sink side), filled in on each line. */
  pairsSent: Record<string, number>
  pairsReceived: Record<string, number>
}

export interface RegistryStats {
  registered: number
  /** `registerName` answered false for a fresh name (must stay 0). */
  refused: number
  unregistered: number
  lookups: number
  /** `whereisName` on this node did not give the pid just registered (must stay 0). */
  lookupMiss: number
  errors: Record<string, number>
}

/** Each node's line, every second, on `final`, and after `stop` when the load has ended. */
export interface Stats {
  ev: 'stats'
  t: number
  node: string
  creation: number
  calls: CallStats
  casts: CastStats
  reg: RegistryStats
  /** Bytes, from `process.memoryUsage()`; `live` (every 5th line) is heapUsed just after a full GC. */
  mem: { rss: number, heapUsed: number, external: number, arrayBuffers: number, live?: number }
  /** CPU time used by the process so far (user + system), µs. */
  cpu: number
  /** Only on `final`: the global names this node's replica holds. */
  names?: string[]
}

/** The other events a node writes. */
export type NodeEvent =
  | { ev: 'ready', t: number, node: string, creation: number, address: string, sinks: Array<{ pid: IdentityTuple }> }
  | { ev: 'home', t: number, node: string, ms: number, attempts: number }
  | { ev: 'node:up', t: number, node: string, peer: string }
  | { ev: 'node:down', t: number, node: string, peer: string, reason: string }
  | { ev: 'stopped', t: number, node: string }
  | { ev: 'error', t: number, node: string, error: string }

export type Line = Stats | NodeEvent

/** Adds one to `counts[name]`. */
export function bump (counts: Record<string, number>, name: string, by = 1): void {
  counts[name] = (counts[name] ?? 0) + by
}
