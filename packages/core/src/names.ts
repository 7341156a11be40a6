/**
 * Ways to name a process, and the pluggable registry interface behind `{ via }` and `{ global }`.
 */
import type { RemoteName } from './distribution.js'
import { Pid } from './pid.js'

/**
 * A name registry a server can be registered in (`{ via: registry, name }`); the cluster's global
 * registry implements it and is what `{ global: name }` uses.
 */
export interface NameRegistry {
  /** Registers `pid` under `name`; resolves false if the name is taken. */
  registerName(name: string, pid: Pid): boolean | Promise<boolean>
  unregisterName(name: string): void | Promise<void>
  /** The pid registered under `name`, if any (a local, fast lookup). */
  whereisName(name: string): Pid | undefined
}

/** A process named through a registry. */
export interface ViaName {
  readonly via: NameRegistry
  readonly name: string
}

/** A process named in the cluster's global registry. */
export interface GlobalName {
  readonly global: string
}

/**
 * Anything a message or call can be addressed to: a pid, a locally registered name, a name on a
 * given node (`{ name, node }`), a global name, or a name in another registry.
 */
export type Dest = Pid | string | RemoteName | GlobalName | ViaName

/** How a server may be named when it starts: `'x'` is the same as `{ local: 'x' }`. */
export type ServerName = string | { readonly local: string } | GlobalName | ViaName

export const DEST_RULE = 'expected a Pid, a registered name (non-empty string), { name, node }, { global: name } or { via: registry, name }'

/** Checks that `dest` is a {@link Dest}; throws a `TypeError` that states the rule otherwise. */
export function checkDest (dest: unknown, api: string): asserts dest is Dest {
  if (dest instanceof Pid) return
  if (typeof dest === 'string') {
    if (dest.length > 0) return
  } else if (typeof dest === 'object' && dest !== null) {
    const d = dest as Record<string, unknown>
    if (typeof d.global === 'string' && d.global.length > 0) return
    if (typeof d.name === 'string' && d.name.length > 0) {
      if (typeof d.node === 'string' && d.node.length > 0) return
      if (isRegistry(d.via)) return
    }
  }
  throw new TypeError(`${api}: ${DEST_RULE}; got ${describe(dest)}`)
}

function isRegistry (value: unknown): value is NameRegistry {
  if (typeof value !== 'object' || value === null) return false
  const r = value as Record<string, unknown>
  return typeof r.registerName === 'function' && typeof r.whereisName === 'function' && typeof r.unregisterName === 'function'
}

/** Checks a {@link ServerName}; throws a `TypeError` that states the rule otherwise. */
export function checkServerName (name: unknown): asserts name is ServerName {
  if (typeof name === 'string' && name.length > 0) return
  if (typeof name === 'object' && name !== null) {
    const n = name as Record<string, unknown>
    if (typeof n.local === 'string' && n.local.length > 0) return
    if (typeof n.global === 'string' && n.global.length > 0) return
    if (typeof n.name === 'string' && n.name.length > 0 && isRegistry(n.via)) return
  }
  throw new TypeError(`name: expected a non-empty string, { local }, { global } or { via: registry, name }; got ${describe(name)}`)
}

/** A readable rendering of a destination or name for errors. */
export function describe (dest: unknown): string {
  if (dest instanceof Pid) return dest.toString()
  if (typeof dest === 'string') return JSON.stringify(dest)
  if (typeof dest === 'object' && dest !== null) {
    const d = dest as Record<string, unknown>
    if (typeof d.global === 'string') return `{ global: ${JSON.stringify(d.global)} }`
    if (typeof d.local === 'string') return JSON.stringify(d.local)
    if (typeof d.name === 'string' && typeof d.node === 'string') return `${JSON.stringify(d.name)} on ${d.node}`
    if (typeof d.name === 'string') return `{ via: …, name: ${JSON.stringify(d.name)} }`
  }
  return dest === null ? 'null' : typeof dest
}
