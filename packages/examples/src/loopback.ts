/**
 * A few cluster nodes in this process over real TCP on 127.0.0.1, for the cluster examples: a
 * temporary home (keys, creation counters), a fresh cluster secret, every node joined through the
 * first, the global registry started on each. `stop()` stops every node and removes the home.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { silentLogger } from '@gen-cluster/core'
import { startGlobal, startNode } from '@gen-cluster/cluster'
import type { ClusterNode } from '@gen-cluster/cluster'

export interface Loopback {
  readonly nodes: ClusterNode[]
  /** Starts one more node, joined to the others (and running the global registry). */
  add(name: string): Promise<ClusterNode>
  /** Stops one node (it leaves the cluster) and waits until the others no longer see it. */
  remove(node: ClusterNode): Promise<void>
  /** Stops every node and removes the temporary home. */
  stop(): Promise<void>
}

/** Polls `ok` every 10 ms until it holds; rejects with `message` after `timeout` ms. */
export async function until (ok: () => boolean | Promise<boolean>, message: string, timeout = 10_000): Promise<void> {
  const deadline = Date.now() + timeout
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${message}`)
    await new Promise(resolve => setTimeout(resolve, 10))
  }
}

/** Starts nodes `names` (`'a'` becomes `a@loopback`) joined in one cluster, each running the global registry. */
export async function startLoopback (names: readonly string[]): Promise<Loopback> {
  const home = mkdtempSync(join(tmpdir(), 'gen-cluster-example-'))
  const secret = randomBytes(32).toString('hex')
  const nodes: ClusterNode[] = []
  const all: ClusterNode[] = []
  const mesh = async (): Promise<void> => {
    await until(() => nodes.every(n => n.nodes().length === nodes.length - 1), `no full mesh of ${nodes.length} nodes`)
  }
  const add = async (name: string): Promise<ClusterNode> => {
    const seeds = nodes.length === 0 ? [] : [nodes[0]?.addresses[0] as string]
    const node = await startNode({ name: `${name}@loopback`, home, secret, seeds, logger: silentLogger })
    all.push(node)
    nodes.push(node)
    await mesh()
    await startGlobal(node)
    return node
  }
  const stop = async (): Promise<void> => {
    await Promise.all(all.map(async n => { await n.stop() }))
    nodes.length = 0
    rmSync(home, { recursive: true, force: true })
  }
  try {
    for (const name of names) await add(name)
  } catch (err) {
    await stop()
    throw err
  }
  return {
    nodes,
    add,
    remove: async (node) => {
      const i = nodes.indexOf(node)
      if (i >= 0) nodes.splice(i, 1)
      await node.stop()
      await mesh()
    },
    stop
  }
}
