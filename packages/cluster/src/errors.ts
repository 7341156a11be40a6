/**
 * Typed errors of `@gen-cluster/cluster`. Each has a stable `name`; test and branch on `err.name`
 * (or `instanceof`), never on the message text.
 */

/** Thrown when a start option (listen address, seed, node name, secret…) is invalid; `option` names it. */
export class InvalidOptionError extends Error {
  override name = 'InvalidOptionError' as const
  /** The option at fault, e.g. `'listen'`, `'seeds'`, `'name'`, `'secret'`. */
  readonly option: string
  constructor (option: string, message: string, options?: ErrorOptions) {
    super(`invalid option ${option}: ${message}`, options)
    this.option = option
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
