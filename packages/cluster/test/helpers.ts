/** Clusters of in-memory nodes under a virtual clock, for tests. */
import { silentLogger } from '@gen-cluster/core'
import { VirtualClock } from '@gen-cluster/core/testing'
import { MemoryNetwork, startNode } from '../src/index.js'
import type { ClusterNode, ClusterNodeInit } from '../src/index.js'

export interface MemCluster {
  readonly clock: VirtualClock
  readonly net: MemoryNetwork
  readonly nodes: Map<string, ClusterNode>
  /** Starts node `name` joining through `seeds` (names). */
  add(name: string, seeds?: string[], init?: Partial<ClusterNodeInit>): Promise<ClusterNode>
  /** Advances virtual time in steps until `cond` holds (or `maxMs` passes); returns the time it took. */
  until(cond: () => boolean, maxMs?: number, stepMs?: number): Promise<number>
  stopAll(): Promise<void>
}

let seq = 0

export function memCluster (): MemCluster {
  const clock = new VirtualClock()
  const net = new MemoryNetwork({ clock })
  const nodes = new Map<string, ClusterNode>()
  const tag = `t${++seq}`
  return {
    clock,
    net,
    nodes,
    async add (name, seeds = [], init = {}) {
      const node = await startNode({
        name: `${name}@${tag}`,
        transport: net.transport(`${name}@${tag}`),
        seeds: seeds.map(s => `mem://${s}@${tag}`),
        clock,
        logger: silentLogger,
        ...init
      })
      nodes.set(name, node)
      return node
    },
    async until (cond, maxMs = 10_000, stepMs = 10) {
      const start = clock.now()
      while (!cond()) {
        if (clock.now() - start > maxMs) throw new Error(`condition not met within ${maxMs} virtual ms`)
        await clock.advance(stepMs)
      }
      return clock.now() - start
    },
    async stopAll () {
      // A clean stop gives each server up to 5 s of (virtual) time for its terminate: move time along.
      for (const node of nodes.values()) {
        let settled = false
        const stopped = node.stop().finally(() => { settled = true })
        while (!settled) await clock.advance(50)
        await stopped
      }
      nodes.clear()
    }
  }
}
