/**
 * The inspector: a small GenServer that `gen-cluster start` runs on every node under the local name
 * `gen_cluster.inspector`, so `gen-cluster ctl` (a hidden node, connected to its seed only, and
 * taking no part in the global registry) can read the cluster's view through one member node.
 *
 * | call | reply |
 * | --- | --- |
 * | `{ type: 'nodes' }` | this node and the nodes connected to it (hidden ones left out), sorted |
 * | `{ type: 'names' }` | the global names this node's registry replica holds, with their holders |
 * | `{ type: 'members', cluster? }` | the pidlist of the cluster's name holder (default: the cluster this node hosts) |
 * | `{ type: 'ps', node? }` | the processes of this node, or of a connected node (asked through its inspector) |
 *
 * Every reply is plain data (pids as their `key` strings), an `InspectorError` when it cannot answer.
 * Calls that wait on another node run in a helper process, so the inspector itself never waits.
 */
import { call, defineServer, processes, processInfo, reply, spawn } from '@gen-cluster/core'
import type { From, ServerTypes } from '@gen-cluster/core'
import { leader, pidlist } from '@gen-cluster/cluster'
import type { ClusterNode, GlobalRegistry } from '@gen-cluster/cluster'

/** The local name of the inspector on every node started by `gen-cluster start`. */
export const INSPECTOR_NAME = 'gen_cluster.inspector'

/** How long the inspector waits for another node when it relays a request. */
const RELAY_TIMEOUT_MS = 5000

export interface InspectorError { readonly error: string }
export interface NodesReply { readonly node: string, readonly nodes: string[] }
export interface NamesReply { readonly node: string, readonly names: Array<{ name: string, holder: string | null }> }
export interface MembersReply { readonly cluster: string, readonly holder: string, readonly members: string[] }
/** One process of `ps`: `processInfo`, made plain. */
export interface ProcessRow {
  readonly pid: string
  readonly name: string | null
  readonly behaviour: string | null
  readonly status: string
  readonly messageQueueLength: number
  readonly messagesHandled: number
  readonly links: string[]
  readonly trapExit: boolean
}
export interface PsReply { readonly node: string, readonly processes: ProcessRow[] }

export interface Inspector extends ServerTypes {
  arg: InspectorState
  state: InspectorState
  calls: {
    nodes: { reply: NodesReply }
    names: { reply: NamesReply | InspectorError }
    members: { request: { cluster?: string }, reply: MembersReply | InspectorError }
    ps: { request: { node?: string }, reply: PsReply | InspectorError }
  }
}

export interface InspectorState {
  readonly node: ClusterNode
  /** The cluster this node hosts a member of: what `members` reports by default. */
  readonly cluster: string
  /** This node's global registry, whose replica `names` reads. */
  readonly registry?: GlobalRegistry
}

export function isInspectorError (r: unknown): r is InspectorError {
  return typeof r === 'object' && r !== null && typeof (r as { error?: unknown }).error === 'string'
}

function ps (node: ClusterNode): PsReply {
  const rows: ProcessRow[] = []
  for (const pid of processes()) {
    const info = processInfo(pid)
    if (info === undefined) continue
    rows.push({
      pid: info.pid.key,
      name: info.registeredName ?? null,
      behaviour: info.behaviour ?? null,
      status: info.status,
      messageQueueLength: info.messageQueueLength,
      messagesHandled: info.messagesHandled,
      links: info.links.map(p => p.key),
      trapExit: info.trapExit
    })
  }
  return { node: node.name, processes: rows }
}

/** Answers `from` later with what `work` gives (an `InspectorError` if it throws), from a helper process. */
function later<R> (node: ClusterNode, from: From<R | InspectorError>, work: () => Promise<R>): void {
  spawn(async () => {
    try {
      reply(from, await work())
    } catch (err) {
      reply(from, { error: `${(err as Error).name}: ${(err as Error).message}` })
    }
  }, { node: node.core })
}

export const inspector = defineServer<Inspector>({
  name: 'gen_cluster.inspector',
  init: (s) => ({ state: s }),
  handleCall: {
    nodes: (_r, _from, s) => ({ reply: { node: s.node.name, nodes: [s.node.name, ...s.node.nodes()].sort() }, state: s }),
    names: (_r, _from, s) => {
      const registry = s.registry
      if (registry === undefined) return { reply: { error: `node ${s.node.name} runs no global registry` }, state: s }
      const names = registry.registeredNames().map(name => ({ name, holder: registry.whereisName(name)?.key ?? null }))
      return { reply: { node: s.node.name, names }, state: s }
    },
    members: (r, from, s) => {
      const cluster = r.cluster ?? s.cluster
      const holder = leader(s.node, cluster)
      if (holder === undefined) return { reply: { error: `no cluster named "${cluster}" (nobody holds its name)` }, state: s }
      later(s.node, from, async () => ({ cluster, holder: holder.key, members: (await pidlist(holder, { timeout: RELAY_TIMEOUT_MS })).map(p => p.key) }))
      return { noreply: true, state: s }
    },
    ps: (r, from, s) => {
      if (r.node === undefined || r.node === s.node.name) return { reply: ps(s.node), state: s }
      const target = r.node
      if (!s.node.nodes().includes(target)) return { reply: { error: `node ${target} is not connected to ${s.node.name}; see ctl nodes` }, state: s }
      later(s.node, from, async () => await call({ name: INSPECTOR_NAME, node: target }, { type: 'ps' }, RELAY_TIMEOUT_MS) as PsReply | InspectorError)
      return { noreply: true, state: s }
    }
  }
})
