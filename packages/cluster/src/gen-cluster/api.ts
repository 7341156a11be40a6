/**
 * Starting GenCluster members, and asking a cluster about itself.
 *
 * | API | what it does |
 * | --- | --- |
 * | `startMember(behaviour, arg, { node, cluster })` / `startLinkMember` | starts a member on `node`; resolves once it has joined (or founded) the cluster |
 * | `pidlist(member)` | the member's pidlist |
 * | `leader(node, cluster)` | the holder of the cluster's name, as `node` sees it (a local lookup) |
 * | `broadcast(node, cluster, message)` | sends `message` to every member (as an info); resolves with how many |
 * | `multiCall(node, cluster, request, { timeout })` | calls every member; one result per member, reply or error |
 */
import { call, NoGlobalRegistryError, NoProcError, send, spawn, start, startLink } from '@gen-cluster/core'
import type { ArgOf, CallOptions, CallRequest, InfoOf, Named, Pid, ReplyOf, ServerPid, ServerTypes, UntypedName } from '@gen-cluster/core'
import type { ClusterNode } from '../cluster-node.js'
import { InvalidOptionError } from '../errors.js'
import { clusterName } from './gen-cluster.js'
import type { GenCluster } from './gen-cluster.js'
import { memberBehaviour, PIDLIST } from './member.js'

/** Options of `startMember`. */
export interface MemberInit {
  /** The node to start on; it must run the global registry (`startGlobal`). */
  node: ClusterNode
  /** The cluster's name; members with the same name form one cluster. */
  cluster: string
  /** Time for one join attempt (a call to the holder). @default 5000 */
  joinTimeoutMs?: number
  /** Retries of a failed join attempt, with backoff from 10 ms doubling to 500 ms. @default 20 */
  joinRetries?: number
}

function prepare (behaviour: GenCluster<any>, init: MemberInit): { wrapped: ReturnType<typeof memberBehaviour>, core: ClusterNode['core'] } {
  if (typeof init?.cluster !== 'string' || init.cluster.length === 0 || Buffer.byteLength(init.cluster) > 200) {
    throw new InvalidOptionError('cluster', 'must be a non-empty string of at most 200 bytes')
  }
  const core = init.node?.core
  if (core === undefined) throw new InvalidOptionError('node', 'must be a ClusterNode')
  const registry = core.globalRegistry
  if (registry === undefined) {
    throw new NoGlobalRegistryError(clusterName(init.cluster), `startMember needs the global registry on ${core.name}: await startGlobal(node) first (the start order is startNode → startGlobal → startPg → members)`)
  }
  const wrapped = memberBehaviour(behaviour, {
    node: core,
    cluster: init.cluster,
    name: clusterName(init.cluster),
    registry,
    clock: core.clock,
    log: core.logger('cluster:gen-cluster'),
    joinTimeoutMs: init.joinTimeoutMs ?? 5000,
    joinRetries: init.joinRetries ?? 20,
    isConnected: (node) => node === core.name || core.distribution.isConnected(node)
  })
  return { wrapped, core }
}

/** Starts a member of `init.cluster` on `init.node`; resolves with its pid once it is a member. */
export async function startMember<T extends ServerTypes> (behaviour: GenCluster<T>, arg: ArgOf<T>, init: MemberInit): Promise<ServerPid<T>> {
  const { wrapped, core } = prepare(behaviour as GenCluster<any>, init)
  const pid = await start(wrapped, arg, { node: core })
  await call(pid as Pid, { type: PIDLIST }, init.joinTimeoutMs === undefined ? 60_000 : init.joinTimeoutMs * 25)
  return pid as ServerPid<T>
}

/** As `startMember`, linked to the calling process (a supervisor's child). */
export async function startLinkMember<T extends ServerTypes> (behaviour: GenCluster<T>, arg: ArgOf<T>, init: MemberInit): Promise<ServerPid<T>> {
  const { wrapped } = prepare(behaviour as GenCluster<any>, init)
  const pid = await startLink(wrapped, arg)
  await call(pid as Pid, { type: PIDLIST }, init.joinTimeoutMs === undefined ? 60_000 : init.joinTimeoutMs * 25)
  return pid as ServerPid<T>
}

/** Runs `fn` in a short-lived process of `node` (so calls go out through that node). */
async function onNode<R> (node: ClusterNode, fn: () => Promise<R>): Promise<R> {
  return await new Promise<R>((resolve, reject) => {
    spawn(async () => { try { resolve(await fn()) } catch (err) { reject(err as Error) } }, { node: node.core })
  })
}

/** The pidlist of a member (its own view). */
export async function pidlist (member: Pid, opts?: CallOptions): Promise<Pid[]> {
  return await call(member, { type: PIDLIST }, opts) as Pid[]
}

/**
 * The holder of the cluster's name, as `node` sees it. With a typed cluster name
 * (`named<Chat>('chat')`) the pid is typed too.
 */
export function leader (node: ClusterNode, cluster: UntypedName): Pid | undefined
export function leader<T extends ServerTypes> (node: ClusterNode, cluster: Named<T>): ServerPid<T> | undefined
export function leader (node: ClusterNode, cluster: string): Pid | undefined {
  return node.core.globalRegistry?.whereisName(clusterName(cluster))
}

async function membersOf (node: ClusterNode, cluster: string, opts?: CallOptions): Promise<Pid[]> {
  const holder = leader(node, cluster)
  if (holder === undefined) throw new NoProcError(`cluster ${cluster}`)
  return await call(holder, { type: PIDLIST }, opts) as Pid[]
}

/** Sends `message` to every member of the cluster (as an info); resolves with how many were sent to. */
export async function broadcast (node: ClusterNode, cluster: UntypedName, message: unknown): Promise<number>
export async function broadcast<T extends ServerTypes> (node: ClusterNode, cluster: Named<T>, message: InfoOf<T>): Promise<number>
export async function broadcast (node: ClusterNode, cluster: string, message: unknown): Promise<number> {
  return await onNode(node, async () => {
    const members = await membersOf(node, cluster)
    for (const p of members) send(p, message)
    return members.length
  })
}

/** One member's answer to `multiCall`. */
export type MemberResult<R> = { pid: Pid, ok: true, reply: R } | { pid: Pid, ok: false, error: Error }

/** Calls every member with `request`; resolves with one result per member, in pidlist order. */
export async function multiCall<R = unknown> (node: ClusterNode, cluster: UntypedName, request: unknown, opts?: CallOptions): Promise<Array<MemberResult<R>>>
export async function multiCall<T extends ServerTypes, const R extends CallRequest<T>> (node: ClusterNode, cluster: Named<T>, request: R, opts?: CallOptions): Promise<Array<MemberResult<ReplyOf<T, R>>>>
export async function multiCall<R = unknown> (node: ClusterNode, cluster: string, request: unknown, opts: CallOptions = {}): Promise<Array<MemberResult<R>>> {
  return await onNode(node, async () => {
    const members = await membersOf(node, cluster, opts)
    return await Promise.all(members.map(async (pid): Promise<MemberResult<R>> => {
      try {
        return { pid, ok: true, reply: await call(pid, request, opts) as R }
      } catch (error) {
        return { pid, ok: false, error: error as Error }
      }
    }))
  })
}

/** A cluster as a typed handle: its holder, members, broadcasts and calls, typed by the member server `T`. */
export interface ClusterHandle<T extends ServerTypes> {
  /** The cluster's name (members with this name form the cluster). */
  readonly cluster: string
  /** The holder of the cluster's name, as the handle's node sees it. */
  leader(): ServerPid<T> | undefined
  /** The holder's pidlist: every member. */
  members(opts?: CallOptions): Promise<Array<ServerPid<T>>>
  /** Sends `message` to every member as an info; resolves with how many. */
  broadcast(message: InfoOf<T>): Promise<number>
  /** Calls every member; one result per member, reply or error, in pidlist order. */
  multiCall<const R extends CallRequest<T>>(request: R, opts?: CallOptions): Promise<Array<MemberResult<ReplyOf<T, R>>>>
}

/**
 * A typed handle on cluster `cluster` as seen from `node`.
 * @example
 * const chat = clusterOf<Chat>(node, 'chat')
 * const replies = await chat.multiCall({ type: 'history' })   // typed replies
 */
export function clusterOf<T extends ServerTypes> (node: ClusterNode, cluster: string): ClusterHandle<T> {
  if (typeof cluster !== 'string' || cluster.length === 0) throw new InvalidOptionError('cluster', 'must be a non-empty string')
  const name = cluster as Named<T>
  return {
    cluster,
    leader: () => leader(node, name),
    members: async (opts) => await onNode(node, async () => await membersOf(node, cluster, opts)) as Array<ServerPid<T>>,
    broadcast: async (message) => await broadcast(node, name, message),
    multiCall: async (request, opts) => await multiCall(node, name, request, opts)
  }
}
