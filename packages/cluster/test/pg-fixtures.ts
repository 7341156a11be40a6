/** Process-group tests: a meshed in-memory cluster with a scope on each node, and processes to join. */
import { getState, processInfo, spawn } from '@gen-cluster/core'
import type { Logger, LoggerFactory, Pid, ServerPid } from '@gen-cluster/core'
import { probe } from '@gen-cluster/core/testing'
import type { Probe } from '@gen-cluster/core/testing'
import { startPg } from '../src/pg/index.js'
import type { GroupChangeMessage, Pg, PgInit } from '../src/pg/index.js'
import type { ClusterNode } from '../src/index.js'
import type { PgServer } from '../src/pg/server.js'
import { memCluster } from './helpers.js'
import type { MemCluster } from './helpers.js'

export interface PgCluster {
  readonly c: MemCluster
  readonly nodes: ClusterNode[]
  readonly pgs: Pg[]
  /** The node called `name`. */
  node(name: string): ClusterNode
  /** The scope on the node called `name`. */
  pg(name: string): Pg
}

/** Nodes `names` (the first is everyone's seed), meshed, each running scope `init.scope`, and converged. */
export async function pgCluster (names: string[], init: PgInit = {}, loggers: Record<string, LoggerFactory> = {}): Promise<PgCluster> {
  const c = memCluster()
  const nodes: ClusterNode[] = []
  for (const [i, name] of names.entries()) {
    const logger = loggers[name]
    nodes.push(await c.add(name, i === 0 ? [] : [names[0] as string], logger === undefined ? {} : { logger }))
  }
  await meshed(c, nodes)
  const pgs: Pg[] = []
  for (const node of nodes) pgs.push(await startPg(node, init))
  await c.clock.advance(10)
  const at = (name: string): number => {
    const i = names.indexOf(name)
    if (i < 0) throw new Error(`no node ${name}`)
    return i
  }
  return { c, nodes, pgs, node: (name) => nodes[at(name)] as ClusterNode, pg: (name) => pgs[at(name)] as Pg }
}

/** Waits until every node of `nodes` sees all the others. */
export async function meshed (c: MemCluster, nodes: ClusterNode[]): Promise<void> {
  await c.until(() => nodes.every(n => n.nodes().length === nodes.length - 1))
}

/** A process on `node` that lives until it gets a message. */
export function proc (node: ClusterNode): Pid {
  return spawn(async ({ receive }) => { await receive() }, { node: node.core })
}

/** Waits until `pgs` all list exactly `expected` as the members of `group`. */
export async function membersEverywhere (c: MemCluster, pgs: Pg[], group: string, expected: readonly Pid[]): Promise<void> {
  const same = (xs: readonly Pid[]): boolean => xs.length === expected.length && xs.every((p, i) => p.equals(expected[i]))
  await c.until(() => pgs.every(pg => same(pg.members(group))))
}

/** How many monitors the scope's process holds (members, watchers and peer scopes). */
export function scopeMonitors (pg: Pg): number {
  return processInfo(pg.pid)?.monitors.length ?? -1
}

/** The sizes of the scope's tables, read from its state between two messages: what must not grow. */
export async function scopeTables (pg: Pg): Promise<{ members: number, watches: number, watchers: number, watchedGroups: number, peers: number }> {
  const { s } = await getState(pg.pid as ServerPid<PgServer>)
  return { members: s.memberOf.size, watches: s.watches.size, watchers: s.watchesBy.size, watchedGroups: s.watchesOn.size, peers: s.peers.size }
}

/** The group updates a probe has received, as readable tuples `[type, group, pids]`. */
export function updates (p: Probe): Array<[string, string, Pid[]]> {
  return p.messages.filter(isChange).map(m => [m.type, m.group, [...m.pids]])
}

export function isChange (m: unknown): m is GroupChangeMessage {
  return typeof m === 'object' && m !== null && typeof (m as { type?: unknown }).type === 'string' && (m as { type: string }).type.startsWith('pg:')
}

/** A logger factory that records warnings (and errors) of component `cluster:pg`. */
export function recordingLogger (lines: string[]): LoggerFactory {
  const quiet = (): void => {}
  return (component): Logger => ({
    error: (m, meta) => { if (component === 'cluster:pg') lines.push(`error ${m} ${String(meta?.reason ?? '')}`) },
    warn: (m, meta) => { if (component === 'cluster:pg') lines.push(`warn ${m} ${String(meta?.reason ?? '')}`) },
    info: quiet,
    debug: quiet
  })
}

export { probe }
