/**
 * Typed errors of `@gen-cluster/core`. Each has a stable `name`; test and branch on `err.name`
 * (or `instanceof`), never on the message text.
 */
import type { ExitReason } from './exit-reason.js'
import { formatReason } from './exit-reason.js'
import type { Pid } from './pid.js'

/** Thrown when a call, link or lookup targets a process that does not exist (dead pid, unknown name). */
export class NoProcError extends Error {
  override name = 'NoProcError' as const
  readonly target: string
  constructor (target: string, message = `no process: ${target}`) {
    super(message)
    this.target = target
  }
}

/** Thrown when a call gets no reply within its timeout. */
export class CallTimeoutError extends Error {
  override name = 'CallTimeoutError' as const
  readonly timeout: number
  constructor (target: string, timeout: number) {
    super(`call to ${target} timed out after ${timeout} ms`)
    this.timeout = timeout
  }
}

/** Thrown when a call is aborted through its `AbortSignal`. */
export class CallAbortedError extends Error {
  override name = 'CallAbortedError' as const
  constructor (target: string, cause?: unknown) {
    super(`call to ${target} was aborted`, { cause })
  }
}

/** Thrown when the node of the target process is not connected (or, without distribution, is any other node). */
export class NodeDownError extends Error {
  override name = 'NodeDownError' as const
  readonly node: string
  constructor (node: string) {
    super(`node ${node} is not connected`)
    this.node = node
  }
}

/** Thrown to a caller when the server exits before replying; `reason` is the server's exit reason. */
export class CallExitError extends Error {
  override name = 'CallExitError' as const
  readonly reason: ExitReason
  constructor (target: string, reason: ExitReason) {
    super(`${target} exited during the call: ${formatReason(reason)}`, { cause: reason instanceof Error ? reason : undefined })
    this.reason = reason
  }
}

/** Exit reason of a process whose callback returned a value that is not a valid result for that callback. */
export class BadReturnError extends Error {
  override name = 'BadReturnError' as const
  readonly callback: string
  readonly value: unknown
  constructor (callback: string, value: unknown, rule: string) {
    super(`${callback} returned an invalid result ${preview(value)}: ${rule}`)
    this.callback = callback
    this.value = value
  }
}

/**
 * Thrown when code outside any process uses an API that must act on some node, and nothing says which:
 * several nodes run in this OS process. Pass `{ node }` (a core node or a `ClusterNode`), or make the
 * call from a process.
 */
export class AmbiguousNodeError extends Error {
  override name = 'AmbiguousNodeError' as const
  readonly nodes: readonly string[]
  constructor (api: string, nodes: readonly string[]) {
    super(`${api} was used outside any process, and this OS process runs ${nodes.length} nodes (${nodes.join(', ')}): say which one acts with { node } (a core node or a ClusterNode), or make the call from a process`)
    this.nodes = nodes
  }
}

/** Thrown when a `node` option is not a core node or something that holds one (a `ClusterNode`). */
export class InvalidNodeError extends TypeError {
  override name = 'InvalidNodeError' as const
  readonly value: unknown
  constructor (api: string, value: unknown) {
    super(`${api}: node must be a core node (createNode) or a ClusterNode (startNode), got ${value === null ? 'null' : typeof value}`)
    this.value = value
  }
}

/** Thrown by `createNode` (and so `startNode`) when a node of that name already runs in this OS process. */
export class NodeNameInUseError extends Error {
  override name = 'NodeNameInUseError' as const
  readonly nodeName: string
  constructor (name: string) {
    super(`a node named ${JSON.stringify(name)} already runs in this OS process: node names are unique (stop it first, or pick another name)`)
    this.nodeName = name
  }
}

/** Thrown when an API that needs a calling process (`self`, `link`, `monitor`, `receive`...) is used outside one. */
export class NotInProcessError extends Error {
  override name = 'NotInProcessError' as const
  constructor (api: string) {
    super(`${api} must be called from inside a process (spawn one, or use the test kit's probe)`)
  }
}

/** Thrown when a name is registered twice, or a process that already has a name is registered again. */
export class AlreadyRegisteredError extends Error {
  override name = 'AlreadyRegisteredError' as const
  readonly registeredName: string
  constructor (name: string, detail: string) {
    super(`cannot register ${JSON.stringify(name)}: ${detail}`)
    this.registeredName = name
  }
}

/** Thrown by `start` when the server's name is already taken; `pid` is the holder. */
export class AlreadyStartedError extends Error {
  override name = 'AlreadyStartedError' as const
  readonly pid: Pid | undefined
  constructor (name: string, pid: Pid | undefined) {
    super(`a process is already registered as ${name}${pid === undefined ? '' : ` (${pid.toString()})`}`)
    this.pid = pid
  }
}

/** Thrown by `start` when `init` stops or crashes; `reason` is what it stopped with. */
export class InitError extends Error {
  override name = 'InitError' as const
  readonly reason: ExitReason
  constructor (reason: ExitReason) {
    super(`init failed: ${formatReason(reason)}`, { cause: reason instanceof Error ? reason : undefined })
    this.reason = reason
  }
}

/** Thrown by `start` when `init` did not return within the start's `timeout`: the server was killed. */
export class StartTimeoutError extends Error {
  override name = 'StartTimeoutError' as const
  readonly timeout: number
  constructor (timeout: number) {
    super(`init did not return within ${timeout} ms; the server was killed`)
    this.timeout = timeout
  }
}

/**
 * Thrown by `startOn` (and a remote `upgrade`) when the node does not expose a behaviour under that
 * name: a node starts for others only what it lists (`behaviours` option, `exposeBehaviour`).
 */
export class StartRefusedError extends Error {
  override name = 'StartRefusedError' as const
  readonly behaviour: string
  readonly node: string
  constructor (behaviour: string, node: string) {
    super(`node ${node} exposes no behaviour named ${JSON.stringify(behaviour)} (it lists what others may start or upgrade to with exposeBehaviour or the behaviours option)`)
    this.behaviour = behaviour
    this.node = node
  }
}

/** Thrown by `start` when `init` returned `{ ignore: true }`: no process is running. */
export class InitIgnoredError extends Error {
  override name = 'InitIgnoredError' as const
  constructor () {
    super('init returned ignore')
  }
}

/** Thrown when a `{ global: name }` is used on a node that has no global registry (no cluster). */
export class NoGlobalRegistryError extends Error {
  override name = 'NoGlobalRegistryError' as const
  constructor (name: string, message = `{ global: ${JSON.stringify(name)} } needs a cluster node with a global registry: await startGlobal(node) on it first`) {
    super(message)
  }
}

/** Thrown when a `stop` does not see the server exit within its timeout. */
export class StopTimeoutError extends Error {
  override name = 'StopTimeoutError' as const
  constructor (target: string, timeout: number) {
    super(`${target} did not stop within ${timeout} ms`)
  }
}

/** Thrown to a caller whose request has no handler on the server (its `type` is unknown); the server carries on. */
export class UnknownRequestError extends Error {
  override name = 'UnknownRequestError' as const
  readonly request: unknown
  constructor (server: string, request: unknown) {
    super(`${server} has no handleCall for request ${preview(request)}`)
    this.request = request
  }
}

/** Thrown when a behaviour given to `start` or `upgrade` is not a valid behaviour; names the field. */
export class InvalidBehaviourError extends TypeError {
  override name = 'InvalidBehaviourError' as const
  readonly field: string
  constructor (field: string, rule: string) {
    super(`invalid behaviour: ${field} ${rule}`)
    this.field = field
  }
}

/** Thrown by `upgrade` when the new code's `codeChange` throws; the server keeps its old code and state. */
export class CodeChangeError extends Error {
  override name = 'CodeChangeError' as const
  readonly fromVersion: string | undefined
  readonly toVersion: string | undefined
  constructor (from: string | undefined, to: string | undefined, cause: unknown) {
    super(`codeChange from ${from ?? '(none)'} to ${to ?? '(none)'} failed: ${cause instanceof Error ? cause.message : preview(cause)}`, { cause })
    this.fromVersion = from
    this.toVersion = to
  }
}

/** Thrown by `receive({ timeout })` when no matching message came in time. */
export class ReceiveTimeoutError extends Error {
  override name = 'ReceiveTimeoutError' as const
  readonly timeout: number
  constructor (timeout: number) {
    super(`no matching message within ${timeout} ms`)
    this.timeout = timeout
  }
}

/** A short, safe rendering of a value for error messages. */
export function preview (value: unknown): string {
  try {
    const s = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value, (_k, v: unknown) => typeof v === 'bigint' ? `${v}n` : v) ?? String(value))
    return s.length > 200 ? `${s.slice(0, 200)}…` : s
  } catch {
    return Object.prototype.toString.call(value)
  }
}

/** Thrown by `startSupervisor` when the supervisor spec (strategy, intensity, period, children) breaks a rule; names the field. */
export class InvalidSupervisorSpecError extends TypeError {
  override name = 'InvalidSupervisorSpecError' as const
  readonly field: string
  constructor (field: string, rule: string) {
    super(`invalid supervisor spec: ${field} ${rule}`)
    this.field = field
  }
}

/** Thrown when a child spec (at `startSupervisor` or `startChild`) has a missing, wrong or duplicate field; `field` names it, `child` is the child's id or index. */
export class InvalidChildSpecError extends TypeError {
  override name = 'InvalidChildSpecError' as const
  readonly field: string
  readonly child: string | number | undefined
  constructor (field: string, rule: string, child?: string | number) {
    super(`invalid child spec${child === undefined ? '' : ` ${typeof child === 'number' ? `#${child}` : JSON.stringify(child)}`}: ${field} ${rule}`)
    this.field = field
    this.child = child
  }
}

/** Thrown by `startChild` / `restartChild` when the child's `start` fails; also the exit reason of a supervisor whose child failed to start in `init`. */
export class ChildStartError extends Error {
  override name = 'ChildStartError' as const
  readonly childId: string | undefined
  readonly reason: unknown
  constructor (childId: string | undefined, reason: unknown) {
    super(`child ${childId === undefined ? '(dynamic)' : JSON.stringify(childId)} failed to start: ${reason instanceof Error ? `${reason.name}: ${reason.message}` : preview(reason)}`, { cause: reason })
    this.childId = childId
    this.reason = reason
  }
}

/** Thrown by `terminateChild`, `restartChild` and `deleteChild` when the supervisor has no child with that id (or pid). */
export class ChildNotFoundError extends Error {
  override name = 'ChildNotFoundError' as const
  readonly child: string
  constructor (child: string) {
    super(`no child ${child} in this supervisor`)
    this.child = child
  }
}

/** Thrown by `restartChild` and `deleteChild` when the child is running (terminate it first). */
export class ChildRunningError extends Error {
  override name = 'ChildRunningError' as const
  readonly childId: string
  constructor (childId: string) {
    super(`child ${JSON.stringify(childId)} is running; terminate it first`)
    this.childId = childId
  }
}

/**
 * Thrown by `restartChild` and `deleteChild` when the child's restarts keep failing and the supervisor
 * is retrying them (`whichChildren` shows its pid as `'restarting'`). The supervisor carries on
 * retrying; `terminateChild` stops the retries.
 */
export class ChildRestartingError extends Error {
  override name = 'ChildRestartingError' as const
  readonly childId: string
  constructor (childId: string) {
    super(`child ${JSON.stringify(childId)} is restarting (its restarts failed and are being retried); terminateChild stops the retries`)
    this.childId = childId
  }
}

/** Thrown when a supervisor operation does not exist for the supervisor's strategy (`restartChild` on simple_one_for_one, ...). */
export class WrongStrategyError extends Error {
  override name = 'WrongStrategyError' as const
  readonly operation: string
  readonly strategy: string
  constructor (operation: string, strategy: string, rule: string) {
    super(`${operation} on a ${strategy} supervisor: ${rule}`)
    this.operation = operation
    this.strategy = strategy
  }
}
