/**
 * What the installed types refuse: each line below must be a compile error (`@ts-expect-error`
 * fails the build when the next line compiles, so types that decayed to `any` break it).
 */
import { call, cast } from '@gen-cluster/core'
import { clusterOf, startNode } from '@gen-cluster/cluster'
import type { ClusterNode } from '@gen-cluster/cluster'
import { COUNTER } from './node.js'
import type { Room } from './node.js'

export async function refused (node: ClusterNode): Promise<void> {
  // @ts-expect-error an unknown call of the Counter
  await call(COUNTER, { type: 'nope' })
  // @ts-expect-error a request field of the wrong type
  await call(COUNTER, { type: 'add', by: 'two' })
  // @ts-expect-error a cast the Counter does not take
  cast(COUNTER, { type: 'add', by: 1 })
  // @ts-expect-error the reply of get is a number
  const s: string = await call(COUNTER, { type: 'get' })
  // @ts-expect-error an event name no node emits
  node.addEventListener('node:sideways', () => {})
  node.addEventListener('node:down', (e) => { const r: string = e.detail.reason; void r })
  // @ts-expect-error the holder of a typed cluster takes only its own calls
  await call(clusterOf<Room>(node, 'room').leader()!, { type: 'get' })
  // @ts-expect-error startNode needs a name
  await startNode({ listen: '127.0.0.1:0' })
  void s
}
