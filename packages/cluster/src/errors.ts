/**
 * Typed errors of `@gen-cluster/cluster`. Each has a stable `name`; test and branch on `err.name`
 * (or `instanceof`), never on the message text.
 */

/** Thrown when a start option (listen address, seed, node name, secret…) is invalid; `option` names it. */
export class InvalidOptionError extends Error {
  override name = 'InvalidOptionError' as const
  /** The option at fault, e.g. `'listen'`, `'seeds'`, `'name'`, `'secret'`. */
  readonly option: string
  /** The system's error code when the system refused it (`'EADDRINUSE'`, `'EADDRNOTAVAIL'`, `'EACCES'` for `listen`). */
  readonly code?: string
  constructor (option: string, message: string, options?: ErrorOptions & { code?: string }) {
    super(`invalid option ${option}: ${message}`, options)
    this.option = option
    if (options?.code !== undefined) this.code = options.code
  }
}

/** Thrown when the cluster secret file is unreadable, malformed, or accessible by group or others. */
export class SecretFileError extends Error {
  override name = 'SecretFileError' as const
  /** Always `'secretFile'`: the option that points at the file (or would, for the default one). */
  readonly option = 'secretFile' as const
  /** Absolute path of the file at fault. */
  readonly path: string
  constructor (path: string, message: string, options?: ErrorOptions) {
    super(`secret file ${path}: ${message}`, options)
    this.path = path
  }
}

/** Thrown when a node's key file is unreadable, malformed, or accessible by group or others. */
export class NodeKeyError extends Error {
  override name = 'NodeKeyError' as const
  /** Absolute path of the key file. */
  readonly path: string
  constructor (path: string, message: string, options?: ErrorOptions) {
    super(`node key ${path}: ${message}`, options)
    this.path = path
  }
}

/** Thrown when a node's creation counter file is unreadable or holds no valid creation number. */
export class CreationFileError extends Error {
  override name = 'CreationFileError' as const
  /** Absolute path of the creation file. */
  readonly path: string
  constructor (path: string, message: string, options?: ErrorOptions) {
    super(`creation file ${path}: ${message}`, options)
    this.path = path
  }
}

/**
 * Thrown by `startNode` when another live OS process runs the node of this name from this home (it
 * holds `<home>/nodes/<name>/running`): one identity, one running node. The running node is not touched.
 */
export class NodeRunningError extends Error {
  override name = 'NodeRunningError' as const
  /** The node's full name. */
  readonly node: string
  /** The OS process id of the running node. */
  readonly pid: number
  constructor (node: string, home: string, pid: number) {
    super(`node ${node} already runs from ${home} (OS process ${pid}); stop it first, or start this one with another name or home`)
    this.node = node
    this.pid = pid
  }
}

/**
 * Why the cluster refused this node at the handshake: a node of its name but another identity (key)
 * is connected there (`'name-in-use'`). Emitted as `node:refused`; the node does not retry that peer.
 */
export class NodeNameRefusedError extends Error {
  override name = 'NodeNameRefusedError' as const
  readonly node: string
  readonly by: string
  constructor (node: string, by: string) {
    const who = by === node ? `another node named ${node} (another key: another home or machine) answered` : `${by} is connected to another node named ${node} (another key: another home or machine)`
    super(`the cluster refused this node: ${who}; start this one with another name, or stop the other`)
    this.node = node
    this.by = by
  }
}

/** Thrown to a sender when one message would make a frame larger than the link's `maxFrameBytes`. */
export class FrameTooLargeError extends Error {
  override name = 'FrameTooLargeError' as const
  readonly bytes: number
  readonly maxBytes: number
  constructor (bytes: number, maxBytes: number) {
    super(`a message of ${bytes} bytes exceeds the maximum frame of ${maxBytes} bytes`)
    this.bytes = bytes
    this.maxBytes = maxBytes
  }
}

/** Thrown when a process-group name is not a non-empty string of at most 255 bytes (UTF-8); `group` is the value given. */
export class InvalidGroupError extends TypeError {
  override name = 'InvalidGroupError' as const
  readonly group: unknown
  constructor (group: unknown, rule: string) {
    super(`invalid process group ${typeof group === 'string' ? JSON.stringify(group.length > 40 ? `${group.slice(0, 40)}…` : group) : typeof group}: ${rule}`)
    this.group = group
  }
}

/** Thrown when a process group's `join` or `leave` is given something that is not a Pid (or a list of Pids). */
export class InvalidGroupMemberError extends TypeError {
  override name = 'InvalidGroupMemberError' as const
  readonly value: unknown
  constructor (value: unknown) {
    super(`a group member must be a Pid or an array of Pids, got ${value === null ? 'null' : Array.isArray(value) ? 'an array holding something else' : typeof value}`)
    this.value = value
  }
}

/** Thrown when a scope's `join` or `leave` is given a pid of another node: a node speaks only for its own processes. */
export class NotLocalMemberError extends Error {
  override name = 'NotLocalMemberError' as const
  readonly pid: string
  readonly node: string
  constructor (pid: string, node: string) {
    super(`${pid} is not a process of ${node}: join and leave it through its own node's scope`)
    this.pid = pid
    this.node = node
  }
}

/** Thrown when a global name is not a string of 1 to 255 bytes (UTF-8); `value` is what was given. */
export class InvalidNameError extends TypeError {
  override name = 'InvalidNameError' as const
  readonly value: unknown
  constructor (value: unknown, rule: string) {
    super(`invalid global name: ${rule}`)
    this.value = value
  }
}

/** Thrown when the global registry is given something other than a `Pid` where a pid is required. */
export class InvalidPidError extends TypeError {
  override name = 'InvalidPidError' as const
  readonly value: unknown
  constructor (value: unknown) {
    super(`expected a Pid, got ${value === null ? 'null' : typeof value}`)
    this.value = value
  }
}

/**
 * Thrown when a global registry operation did not finish within the registry's `timeoutMs` (no
 * coordinator answered, or the nodes' views kept disagreeing). A registration that timed out may
 * still have happened: `whereisName` tells.
 */
export class GlobalRegistryTimeoutError extends Error {
  override name = 'GlobalRegistryTimeoutError' as const
  readonly operation: 'registerName' | 'unregisterName'
  readonly globalName: string
  readonly timeout: number
  constructor (operation: 'registerName' | 'unregisterName', globalName: string, timeout: number) {
    super(`${operation}(${JSON.stringify(globalName)}) did not finish within ${timeout} ms`)
    this.operation = operation
    this.globalName = globalName
    this.timeout = timeout
  }
}

/** Thrown by the operations of a global registry that was stopped (or whose node stopped). */
export class GlobalRegistryStoppedError extends Error {
  override name = 'GlobalRegistryStoppedError' as const
  readonly node: string
  constructor (node: string) {
    super(`the global registry of ${node} is stopped`)
    this.node = node
  }
}

/** Thrown (as the member's exit reason) when a GenCluster member cannot join its cluster after its retries. */
export class ClusterJoinError extends Error {
  override name = 'ClusterJoinError' as const
  readonly cluster: string
  constructor (cluster: string, attempts: number) {
    super(`could not join cluster ${JSON.stringify(cluster)} after ${attempts} attempts`)
    this.cluster = cluster
  }
}

/** Thrown by `trans` when its lock could not be taken within its retries; the function did not run. */
export class LockAbortedError extends Error {
  override name = 'LockAbortedError' as const
  readonly resource: string
  constructor (resource: string) {
    super(`could not take the global lock on ${JSON.stringify(resource)}: another requester holds it`)
    this.resource = resource
  }
}
