/**
 * Fresh nodes for tests: each with a unique name and a silent logger unless told otherwise, and one
 * `cleanup()` (for `afterEach`) that ends their processes and forgets them.
 */
import { createNode, forgetNode } from '../api.js'
import { silentLogger } from '../logger.js'
import type { CoreNode, NodeInit } from '../node.js'

export interface TestNodes {
  /** A new node; `init` overrides the defaults (name `<prefix><n>@test`, silent logger). */
  fresh(init?: NodeInit): CoreNode
  /** Kills every process of every node made so far and forgets the nodes. */
  cleanup(): void
}

export function testNodes (prefix = 'node'): TestNodes {
  const made: CoreNode[] = []
  let seq = 0
  return {
    fresh (init = {}) {
      const node = createNode({ name: `${prefix}${++seq}@test`, logger: silentLogger, ...init })
      made.push(node)
      return node
    },
    cleanup () {
      for (const node of made.splice(0)) {
        for (const proc of [...node.procs.values()]) node.terminate(proc, 'killed')
        forgetNode(node)
      }
    }
  }
}
