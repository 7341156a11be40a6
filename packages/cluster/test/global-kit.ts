/** In-memory clusters with the global registry on every node, under a virtual clock, for the global tests. */
import { probe } from '@gen-cluster/core/testing'
import type { Probe } from '@gen-cluster/core/testing'
import type { ClusterNode } from '../src/index.js'
import { startGlobal } from '../src/global/index.js'
import type { GlobalInit, GlobalRegistry } from '../src/global/index.js'
import { memCluster } from './helpers.js'
import type { MemCluster } from './helpers.js'

export interface GlobalCluster {
  readonly cl: MemCluster
  /** Nodes by short name ('a', 'b', …). */
  readonly n: Record<string, ClusterNode>
  /** Their registries. */
  readonly g: Record<string, GlobalRegistry>
  /** Short names, in order. */
  readonly names: string[]
}

/** Starts nodes `names` in one mesh (joining through the first), then the registry on each. */
export async function globalCluster (names: string[], init: GlobalInit = {}): Promise<GlobalCluster> {
  const cl = memCluster()
  const n: Record<string, ClusterNode> = {}
  const g: Record<string, GlobalRegistry> = {}
  const first = names[0] as string
  for (const name of names) n[name] = await cl.add(name, name === first ? [] : [first])
  await cl.until(() => names.every(x => n[x]?.nodes().length === names.length - 1))
  for (const name of names) g[name] = await startGlobal(n[name] as ClusterNode, init)
  await cl.clock.advance(10)
  return { cl, n, g, names }
}

/** Waits for `p`, moving virtual time along. */
export async function done<T> (cl: MemCluster, p: Promise<T>): Promise<T> {
  let settled = false
  p.then(() => { settled = true }, () => { settled = true })
  await cl.until(() => settled, 60_000, 1)
  return await p
}

/** Runs `fn` in a process of `node`, and waits for its result. */
export async function on<T> (cl: MemCluster, node: ClusterNode, fn: () => Promise<T>): Promise<T> {
  return await done(cl, probe(node.core).run(fn))
}

/** What each node's replica says holds `name`, as strings ('-' for nobody). */
export function holders (gc: GlobalCluster, name: string): string[] {
  return gc.names.map(x => gc.g[x]?.whereisName(name)?.toString() ?? '-')
}

/** True when every node says `pid` (or nobody, for undefined) holds `name`. */
export function allSay (gc: GlobalCluster, name: string, pid: { toString(): string } | undefined): boolean {
  return holders(gc, name).every(h => h === (pid?.toString() ?? '-'))
}

/** Cuts every link between the two sides (closing them), and waits until each side sees only itself. */
export async function split (gc: GlobalCluster, left: string[], right: string[]): Promise<void> {
  for (const l of left) for (const r of right) gc.cl.net.cut(node(gc, l).name, node(gc, r).name, { silent: false })
  await gc.cl.until(() => left.every(x => node(gc, x).nodes().length === left.length - 1) &&
    right.every(x => node(gc, x).nodes().length === right.length - 1))
}

/** Restores the links between the two sides, and waits until the mesh is whole again. */
export async function heal (gc: GlobalCluster, left: string[], right: string[]): Promise<void> {
  for (const l of left) for (const r of right) gc.cl.net.heal(node(gc, l).name, node(gc, r).name)
  await gc.cl.until(() => gc.names.every(x => node(gc, x).nodes().length === gc.names.length - 1), 10_000, 1)
}

export function node (gc: GlobalCluster, name: string): ClusterNode {
  const x = gc.n[name]
  if (x === undefined) throw new Error(`no node ${name}`)
  return x
}

export function reg (gc: GlobalCluster, name: string): GlobalRegistry {
  const x = gc.g[name]
  if (x === undefined) throw new Error(`no registry on ${name}`)
  return x
}

/** A probe (a process the test owns) on node `name`. */
export function proc (gc: GlobalCluster, name: string): Probe {
  return probe(node(gc, name).core)
}

/** The `name:conflict` messages a probe got. */
export function conflicts (p: Probe): Array<{ type: string, name: string, kept: { equals(x: unknown): boolean } | null }> {
  return p.messages.filter(m => (m as { type?: unknown }).type === 'name:conflict') as never
}
