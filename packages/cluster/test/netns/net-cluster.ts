/**
 * Five (or more) cluster nodes, one per namespace of a {@link Lab}, each an OS process running
 * `netns-member.ts`: starting them (n1 founds the cluster and holds its name, the others join
 * through n1 in order), asking every node for its view, and waiting, with a deadline, until the
 * views agree.
 */
import { Pid } from '@gen-cluster/core'
import type { IdentityTuple } from '@gen-cluster/core'
import type { CallbackEvent } from '../gen-cluster-recorder.js'
import type { Lab } from './lab.js'
import { NsNode } from './ns-node.js'
import type { NodeEvent } from './ns-node.js'

export const CLUSTER_NAME = 'gen_cluster:demo'
const PORT = 7000

export interface Member {
  readonly index: number
  readonly node: NsNode
  /** The member's pid key (`node.id.creation`). */
  readonly key: string
  /** The pidlist its join returned: where its callbacks start from. */
  readonly initial: readonly string[]
}

/** One node's view, from its `state` request. */
export interface View {
  readonly node: string
  readonly leader: string | null
  readonly pidlist: string[]
  readonly nodes: string[]
  readonly holders: Record<string, string | null>
  readonly streams: Record<string, { received: number, last: number, outOfOrder: number }>
  /** Why the node gave no view (it did not answer in time, or its state request failed). */
  readonly error?: string
}

/** The node a pid key belongs to. */
export const nodeOf = (key: string): string => key.slice(0, key.indexOf('.'))

export class NetCluster {
  readonly members: Member[] = []

  /** Starts a node per namespace of `lab`, one after the other; `end()` ends those started, whatever happened. */
  async start (lab: Lab, home: string, secret: string): Promise<void> {
    const names = lab.nodes.map(n => `n${n.index}@netns`)
    let seed: string | undefined
    for (const n of lab.nodes) {
      const args = ['--home', home, '--secret', secret, '--listen', `${n.address}:${PORT}`, ...names.flatMap(p => ['--peer', p])]
      if (seed !== undefined) args.push('--seed', seed)
      const node = new NsNode(n.ns, `n${n.index}@netns`, args)
      // Listed before it is ready, so end() finds it whatever happens.
      this.members.push({ index: n.index, node, key: '', initial: [] })
      const ready = await node.next(e => e.event === 'ready', 30_000)
      const key = Pid.from(ready.member as { pid: IdentityTuple }).key
      this.members[n.index - 1] = { index: n.index, node, key, initial: ready.pidlist as string[] }
      seed ??= (ready.addresses as string[]).find(a => a.startsWith(`/ip4/${n.address}/`))
    }
  }

  member (index: number): Member {
    const m = this.members[index - 1]
    if (m === undefined) throw new RangeError(`no member ${index}`)
    return m
  }

  /** The member whose key is `key`. */
  byKey (key: string | null): Member | undefined {
    return this.members.find(m => m.key === key)
  }

  /** Every member's view; one that does not answer within `timeoutMs`, or fails, is empty with an `error`. */
  async views (names: readonly string[], timeoutMs = 8000): Promise<View[]> {
    return await Promise.all(this.members.map(async (m): Promise<View> => {
      const empty = { node: m.node.name, leader: null, pidlist: [], nodes: [], holders: {}, streams: {} }
      try {
        const v = await m.node.request({ cmd: 'state', names }, timeoutMs)
        return v.event === 'state' ? { ...empty, ...v } as unknown as View : { ...empty, error: String(v.error) }
      } catch (err) {
        return { ...empty, error: (err as Error).message }
      }
    }))
  }

  /**
   * Polls the views (every 100 ms, at most `deadlineMs`) until `agree` finds no problem; resolves
   * with the time it took and the last views and problems (problems left: it did not converge).
   */
  async until (names: readonly string[], agree: (views: View[]) => string[], deadlineMs: number): Promise<{ ms: number, views: View[], problems: string[] }> {
    const t0 = performance.now()
    let views: View[] = []
    let problems = ['no views']
    for (let i = 0; i < deadlineMs / 100 + 1 && performance.now() - t0 < deadlineMs; i++) {
      views = await this.views(names)
      problems = agree(views)
      if (problems.length === 0) break
      await new Promise(resolve => setTimeout(resolve, 100))
    }
    return { ms: performance.now() - t0, views, problems }
  }

  /** Calls `to`'s echo from `from`; a call with no answer within its timeout plus 5 s is a hang. */
  async call (from: number, to: number, timeout: number): Promise<NodeEvent> {
    const target = this.member(to).node.name
    try {
      return await this.member(from).node.request({ cmd: 'call', node: target, timeout }, timeout + 5000)
    } catch {
      return { event: 'call', node: target, ok: false, error: 'hang' }
    }
  }

  /** Registers the echo server of node `at` under `name` in the global registry. */
  async register (at: number, name: string): Promise<NodeEvent> {
    return await this.member(at).node.request({ cmd: 'register', name }, 15_000)
  }

  /** The callbacks `m`'s member ran (from its node's events). */
  callbacks (m: Member): CallbackEvent[] {
    return m.node.events.filter(e => e.event === 'callback') as unknown as CallbackEvent[]
  }

  /** Every node-down event so far, with the node that saw it. */
  downs (): Array<{ at: number, by: string, node: string, reason: string }> {
    return this.members.flatMap(m => m.node.events.filter(e => e.event === 'node:down').map(e => ({ at: e.at as number, by: m.node.name, node: e.node as string, reason: e.reason as string })))
  }

  /** Events printed out of order by a sink. */
  orderEvents (): NodeEvent[] {
    return this.members.flatMap(m => m.node.events.filter(e => e.event === 'order'))
  }

  async end (): Promise<void> {
    await Promise.all(this.members.map(async m => { await m.node.end() }))
  }
}
