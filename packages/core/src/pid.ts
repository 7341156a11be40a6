/**
 * Process and reference identities.
 *
 * A `Pid` names a process on a node: the node's name, a number unique on that node, and the node's
 * *creation* (a number that changes each time the node starts), so a pid from before a restart of a
 * node never equals a pid from after it. A `Ref` is a unique reference (for monitors and calls) with
 * the same three parts. Both compare by value (`equals`), print readably (`<a@host.42.7>`,
 * `#Ref<a@host.9.7>`), and have a plain serialisable form (`toJSON` / `Pid.from`) to cross the wire.
 */

/** The serialisable form of a {@link Pid} or {@link Ref}: `[node, id, creation]`. */
export type IdentityTuple = readonly [node: string, id: number, creation: number]

function checkParts (kind: string, node: unknown, id: unknown, creation: unknown): void {
  if (typeof node !== 'string' || node.length === 0) {
    throw new TypeError(`${kind} node must be a non-empty string, got ${String(node)}`)
  }
  if (!Number.isSafeInteger(id) || (id as number) < 0) {
    throw new TypeError(`${kind} id must be a non-negative safe integer, got ${String(id)}`)
  }
  if (!Number.isSafeInteger(creation) || (creation as number) < 0) {
    throw new TypeError(`${kind} creation must be a non-negative safe integer, got ${String(creation)}`)
  }
}

/** The identity of a process. Compare with {@link Pid.equals}, never with `===`. */
export class Pid {
  /** Name of the node the process lives on, e.g. `a@host`. */
  readonly node: string
  /** Number of the process, unique on its node for one creation. */
  readonly id: number
  /** Creation of the node when the process was spawned. */
  readonly creation: number
  #key: string | undefined

  constructor (node: string, id: number, creation: number) {
    checkParts('Pid', node, id, creation)
    this.node = node
    this.id = id
    this.creation = creation
  }

  /** True if `other` is a pid of the same process. */
  equals (other: unknown): boolean {
    return other instanceof Pid && other.id === this.id && other.creation === this.creation && other.node === this.node
  }

  /** A string usable as a map key: equal pids have equal keys. */
  get key (): string {
    this.#key ??= `${this.node}.${this.id}.${this.creation}`
    return this.#key
  }

  toString (): string {
    return `<${this.key}>`
  }

  /** The serialisable form. */
  toJSON (): { pid: IdentityTuple } {
    return { pid: [this.node, this.id, this.creation] }
  }

  /** Rebuilds a pid from {@link Pid.toJSON}'s output or a tuple. */
  static from (value: { pid: IdentityTuple } | IdentityTuple): Pid {
    const t = Array.isArray(value) ? value : (value as { pid: IdentityTuple }).pid
    if (!Array.isArray(t) || t.length !== 3) throw new TypeError('Pid.from expects [node, id, creation] or { pid: [...] }')
    return new Pid(t[0], t[1], t[2])
  }

  /** True if `value` is a pid. */
  static isPid (value: unknown): value is Pid {
    return value instanceof Pid
  }
}

/** A unique reference, made by `makeRef()`, `monitor()` and calls. Compare with {@link Ref.equals}. */
export class Ref {
  readonly node: string
  readonly id: number
  readonly creation: number

  constructor (node: string, id: number, creation: number) {
    checkParts('Ref', node, id, creation)
    this.node = node
    this.id = id
    this.creation = creation
  }

  equals (other: unknown): boolean {
    return other instanceof Ref && other.id === this.id && other.creation === this.creation && other.node === this.node
  }

  get key (): string {
    return `${this.node}.${this.id}.${this.creation}`
  }

  toString (): string {
    return `#Ref<${this.key}>`
  }

  toJSON (): { ref: IdentityTuple } {
    return { ref: [this.node, this.id, this.creation] }
  }

  static from (value: { ref: IdentityTuple } | IdentityTuple): Ref {
    const t = Array.isArray(value) ? value : (value as { ref: IdentityTuple }).ref
    if (!Array.isArray(t) || t.length !== 3) throw new TypeError('Ref.from expects [node, id, creation] or { ref: [...] }')
    return new Ref(t[0], t[1], t[2])
  }
}
