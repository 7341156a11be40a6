/**
 * Global locks: Erlang's `global:set_lock` / `del_lock` / `trans`, served by the registry server of
 * every node. Each node keeps its own lock table; a lock is taken on a set of nodes by asking each
 * (`lock-client.ts`) and holds only if all granted it.
 *
 * On one node a resource is free, or held by one *requester* (any string; by default the holding
 * process): a LOCK by the same requester is granted again (another holder joins), by another is
 * refused. Each holder is monitored: when it exits, or its node goes down (`noconnection`), its
 * locks go, on every node that granted them. Messages (calls to `gen_cluster.global`):
 *  9. LOCK `{ resource, requester, pid }` → `true` | `false` (held by another requester, or the table
 *     is full) — `pid` must be a process of the caller's node.
 * 10. UNLOCK `{ resource, requester, pid }` → `'ok'`.
 */
import { Pid } from '@gen-cluster/core'
import type { Ref } from '@gen-cluster/core'
import type { Effects } from './effects.js'
import { isName } from './protocol.js'

/** Most locks (resource × holder) one node's table holds; beyond, a LOCK is refused. */
export const MAX_LOCKS = 100_000
/** Longest requester id, in UTF-8 bytes. */
export const MAX_REQUESTER_BYTES = 255

export interface LockRequest {
  readonly resource: string
  readonly requester: string
  readonly pid: Pid
}

interface Held {
  readonly requester: string
  /** Holders by pid key, each with its monitor. */
  readonly holders: Map<string, { readonly pid: Pid, readonly ref: Ref }>
}

export function isLockRequest (v: unknown): v is LockRequest {
  if (typeof v !== 'object' || v === null) return false
  const r = v as Record<string, unknown>
  return isName(r.resource) && typeof r.requester === 'string' && r.requester.length > 0 &&
    Buffer.byteLength(r.requester) <= MAX_REQUESTER_BYTES && r.pid instanceof Pid
}

export class Locks {
  readonly #fx: Effects
  readonly #byResource = new Map<string, Held>()
  readonly #byRef = new Map<string, { readonly resource: string, readonly pid: Pid }>()

  constructor (fx: Effects) {
    this.#fx = fx
  }

  /** LOCK: grants `resource` to `pid` for `requester` unless another requester holds it here. */
  lock (r: LockRequest): boolean {
    const held = this.#byResource.get(r.resource)
    if (held !== undefined && held.requester !== r.requester) return false
    if (held?.holders.has(r.pid.key) === true) return true
    if (this.#byRef.size >= MAX_LOCKS) return false
    const entry = held ?? { requester: r.requester, holders: new Map() }
    const ref = this.#fx.monitor(r.pid)
    entry.holders.set(r.pid.key, { pid: r.pid, ref })
    this.#byRef.set(ref.key, { resource: r.resource, pid: r.pid })
    this.#byResource.set(r.resource, entry)
    return true
  }

  /** UNLOCK: `pid` no longer holds `resource` for `requester`. */
  unlock (r: LockRequest): void {
    const held = this.#byResource.get(r.resource)
    if (held === undefined || held.requester !== r.requester) return
    const h = held.holders.get(r.pid.key)
    if (h === undefined) return
    this.#fx.demonitor(h.ref)
    this.#drop(r.resource, held, r.pid.key, h.ref)
  }

  /** A monitored holder ended (or its node went down); false if `ref` is not a lock's. */
  down (ref: Ref): boolean {
    const at = this.#byRef.get(ref.key)
    if (at === undefined) return false
    const held = this.#byResource.get(at.resource)
    if (held !== undefined) this.#drop(at.resource, held, at.pid.key, ref)
    return true
  }

  /** The resources held here, with their requester and holders (for introspection and tests). */
  list (): Array<{ resource: string, requester: string, holders: Pid[] }> {
    return [...this.#byResource].map(([resource, h]) => ({ resource, requester: h.requester, holders: [...h.holders.values()].map(x => x.pid) }))
      .sort((a, b) => a.resource < b.resource ? -1 : a.resource > b.resource ? 1 : 0)
  }

  #drop (resource: string, held: Held, pidKey: string, ref: Ref): void {
    held.holders.delete(pidKey)
    this.#byRef.delete(ref.key)
    if (held.holders.size === 0) this.#byResource.delete(resource)
  }
}
