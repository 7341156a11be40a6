/**
 * The nodes of this OS process (JavaScript realm), and which of them acts for a call.
 *
 * One rule, for every API that acts on a node:
 * 1. `{ node }`, when given (a core node, or anything that holds one: a `ClusterNode`);
 * 2. else the calling process's node;
 * 3. else (code outside any process) the node the destination names, when it runs here (a pid of a
 *    node of this process, `{ name, node }` of one, a global name one of them knows);
 * 4. else the one node of this process, when exactly one runs (made on first use when none does);
 * 5. else `AmbiguousNodeError`, which says what to do: never a guess that would fail later with a
 *    misleading `NodeDownError`, or drop a cast silently.
 */
import { AmbiguousNodeError, InvalidNodeError, NodeNameInUseError } from './errors.js'
import type { NodeInit } from './node.js'
import { CoreNode } from './node.js'
import { Pid } from './pid.js'
import { Proc } from './process.js'
import { currentProcess } from './scheduler.js'

/** Says which node: a core node, or what holds one (a `ClusterNode` from `@gen-cluster/cluster`). */
export type NodeRef = CoreNode | { readonly core: CoreNode }

/** The `node` option: on which node an API acts. */
export interface NodeOption {
  /**
   * The node that acts (sends, calls, starts, looks up). Needed outside any process only when
   * several nodes run in this OS process.
   * @default the calling process's node; outside a process, the destination's node if it runs here, else the only node
   */
  node?: NodeRef
}

const realm = new Map<string, CoreNode>()
/** The node `defaultNode` made because none ran: it gives way to a node made later while it has no process. */
let implicit: CoreNode | undefined
let lastPid: Pid | undefined
let lastNode: CoreNode | undefined

/** Adds a new node to this OS process. Throws `NodeNameInUseError` if one of that name runs. */
export function createNode (init?: NodeInit): CoreNode {
  const name = init?.name ?? 'nonode@nohost'
  if (implicit !== undefined && implicit.name === name && implicit.procs.size === 0) forgetNode(implicit)
  if (realm.has(name)) throw new NodeNameInUseError(name)
  const node = new CoreNode(init)
  realm.set(node.name, node)
  lastPid = undefined
  lastNode = undefined
  return node
}

/**
 * The node for code outside any process when exactly one node runs in this OS process (one is made
 * on first use when none does). Throws `AmbiguousNodeError` when several run.
 */
export function defaultNode (api = 'defaultNode()'): CoreNode {
  if (implicit !== undefined && realm.size > 1 && implicit.procs.size === 0) forgetNode(implicit)
  if (realm.size === 1) return realm.values().next().value as CoreNode
  if (realm.size === 0) {
    implicit = createNode()
    return implicit
  }
  throw new AmbiguousNodeError(api, [...realm.keys()].sort())
}

/** Forgets `node` (after its processes are gone); its name can be used again. */
export function forgetNode (node: CoreNode): void {
  lastPid = undefined
  lastNode = undefined
  if (realm.get(node.name) === node) realm.delete(node.name)
  if (implicit === node) implicit = undefined
}

/** The node running here under `name`, if any. */
export function localNode (name: string): CoreNode | undefined {
  return realm.get(name)
}

/** The core node of a `node` option; throws `InvalidNodeError` for anything else. */
export function coreOf (ref: unknown, api: string): CoreNode {
  if (ref instanceof CoreNode) return ref
  const core = typeof ref === 'object' && ref !== null ? (ref as { core?: unknown }).core : undefined
  if (core instanceof CoreNode) return core
  throw new InvalidNodeError(api, ref)
}

/** The calling process, if any. */
export function currentProc (): Proc | undefined {
  const p = currentProcess()
  return p instanceof Proc ? p : undefined
}

/** The node that acts for `api` towards `dest` (rule above). */
export function actingNode (api: string, dest?: unknown, explicit?: NodeRef, caller: Proc | undefined = currentProc()): CoreNode {
  if (explicit !== undefined) return coreOf(explicit, api)
  if (caller !== undefined) return caller.node
  const named = destinationNode(dest)
  if (named !== undefined) return named
  return defaultNode(api)
}

/** The node of this OS process that `dest` names, if any. */
function destinationNode (dest: unknown): CoreNode | undefined {
  if (dest instanceof Pid) {
    // A sender often talks to the same pid many times in a row: remember the last answer.
    if (dest === lastPid && lastNode !== undefined) return lastNode
    const n = realm.get(dest.node)
    if (n !== undefined) {
      lastPid = dest
      lastNode = n
    }
    return n
  }
  if (typeof dest !== 'object' || dest === null) return undefined
  const d = dest as { global?: unknown, via?: { whereisName?: unknown }, name?: unknown, node?: unknown }
  if (typeof d.global === 'string') {
    for (const n of realm.values()) if (n.globalRegistry?.whereisName(d.global) !== undefined) return n
    return undefined
  }
  if (d.via !== undefined && typeof d.via?.whereisName === 'function' && typeof d.name === 'string') {
    const pid = (d.via.whereisName as (name: string) => unknown).call(d.via, d.name)
    return pid instanceof Pid ? realm.get(pid.node) : undefined
  }
  if (typeof d.node === 'string') return realm.get(d.node)
  return undefined
}
