/**
 * The simulated world of one scenario: in-memory nodes on one network and one virtual clock, the
 * global registry on each, probes holding global names, and GenCluster members that record their
 * callbacks. Faults are applied here; nothing in it reads the wall clock or `Math.random`.
 */
import { exit, silentLogger } from '@gen-cluster/core'
import type { Pid } from '@gen-cluster/core'
import { probe, VirtualClock } from '@gen-cluster/core/testing'
import type { Probe } from '@gen-cluster/core/testing'
import { MemoryNetwork, pidlist, startMember, startNode } from '../src/index.js'
import type { ClusterNode } from '../src/index.js'
import { startGlobal } from '../src/global/index.js'
import type { GlobalRegistry } from '../src/global/index.js'
import { recorder } from '../test/gen-cluster-recorder.js'
import type { CallbackEvent } from '../test/gen-cluster-recorder.js'
import type { Rng } from './prng.js'

export const CLUSTER = 'sim'

export interface Member {
  readonly node: string
  readonly pid: Pid
  /** Its pidlist when its start resolved (the base of the callback replay). */
  readonly initial: string[]
}

export class World {
  readonly clock = new VirtualClock()
  readonly net = new MemoryNetwork({ clock: this.clock })
  readonly nodes = new Map<string, ClusterNode>()
  readonly registries = new Map<string, GlobalRegistry>()
  readonly dead = new Set<string>()
  readonly holders = new Map<string, Probe>()
  readonly members: Member[] = []
  readonly events: CallbackEvent[] = []
  /** Cuts in force per pair of nodes: overlapping faults each heal only their own. */
  readonly #cuts = new Map<string, number>()
  readonly #tag: string

  constructor (tag: string, readonly dropRng: Rng, readonly lossy = false) {
    this.#tag = tag
  }

  full (name: string): string { return `${name}@${this.#tag}` }

  node (name: string): ClusterNode {
    const n = this.nodes.get(name)
    if (n === undefined) throw new Error(`no node ${name}`)
    return n
  }

  live (): string[] { return [...this.nodes.keys()].filter(n => !this.dead.has(n)) }

  async addNode (name: string, seed: string | undefined, creation: number): Promise<void> {
    const node = await startNode({
      name: this.full(name),
      transport: this.net.transport(this.full(name)),
      seeds: seed === undefined ? [] : [`mem://${this.full(seed)}`],
      clock: this.clock,
      logger: silentLogger,
      creation
    })
    this.nodes.set(name, node)
  }

  async startRegistries (): Promise<void> {
    for (const [name, node] of this.nodes) this.registries.set(name, await startGlobal(node))
  }

  /** Registers `name` for a new probe on `node`; true if it got the name. */
  async register (name: string, node: string): Promise<boolean> {
    const p = probe(this.node(node).core)
    const ok = await this.settle((this.registries.get(node) as GlobalRegistry).registerName(name, p.pid))
    if (ok) this.holders.set(name, p)
    return ok
  }

  async addMember (node: string): Promise<void> {
    const now = (): number => this.clock.now()
    const pid = await this.settle(startMember(recorder(e => { this.events.push(e) }, now), undefined, { node: this.node(node), cluster: CLUSTER }))
    const initial = (await this.settle(pidlist(pid))).map(p => p.key)
    this.members.push({ node, pid, initial })
  }

  killMember (node: string): void {
    const m = this.members.find(x => x.node === node && !this.dead.has(x.node))
    if (m !== undefined) exit(m.pid, 'kill')
  }

  cut (a: string, b: string): void {
    const k = pair(a, b)
    const n = this.#cuts.get(k) ?? 0
    if (n === 0) this.net.cut(this.full(a), this.full(b))
    this.#cuts.set(k, n + 1)
  }

  heal (a: string, b: string): void {
    const k = pair(a, b)
    const n = this.#cuts.get(k) ?? 0
    if (n === 1) this.#restore(a, b)
    if (n > 0) this.#cuts.set(k, n - 1)
  }

  healAll (): void {
    for (const [k, n] of this.#cuts) {
      if (n === 0) continue
      const [a, b] = k.split('|') as [string, string]
      this.#restore(a, b)
    }
    this.#cuts.clear()
    this.net.latencyMs = 0
    this.net.drop = () => false
  }

  /**
   * Ends a silent cut. Frames sent during it vanished, but a link that outlived it (the failure
   * detector did not notice) is still up: a TCP connection would have delivered them late or been
   * reset, never carried on without them. So the link is reset here (both ends told), unless
   * `lossy` (for exploring what lost frames on a live link do).
   */
  #restore (a: string, b: string): void {
    this.net.heal(this.full(a), this.full(b))
    if (this.lossy) return
    this.net.cut(this.full(a), this.full(b), { silent: false })
    this.net.heal(this.full(a), this.full(b))
  }

  /**
   * Loses each frame with probability `rate`. The links promise frames "once and in order, or not at
   * all", so a lost frame breaks its link, as a TCP connection that gives up does: the link closes
   * (both ends are told) and membership redials. With `lossy`, frames just vanish and the link stays
   * up, which is outside that promise (for exploring only).
   */
  setDrop (rate: number): void {
    if (rate <= 0) {
      this.net.drop = () => false
      return
    }
    this.net.drop = (from, to) => {
      if (this.dropRng.next() >= rate) return false
      if (!this.lossy) {
        this.net.cut(from, to, { silent: false })
        this.net.heal(from, to)
      }
      return true
    }
  }

  async crash (name: string): Promise<void> {
    if (this.dead.has(name)) return
    this.dead.add(name)
    const node = this.node(name)
    await node.transport.stop()
    await node.stop('crash', { graceful: false })
  }

  /** Waits for `p`, moving virtual time along 1 ms at a time (up to `maxMs`). */
  async settle<T> (p: Promise<T>, maxMs = 120_000): Promise<T> {
    let settled = false
    p.then(() => { settled = true }, () => { settled = true })
    const start = this.clock.now()
    while (!settled && this.clock.now() - start < maxMs) await this.clock.advance(1)
    return await p
  }

  /** Advances in `stepMs` steps until `cond` holds; false if `maxMs` passed first. */
  async until (cond: () => boolean, maxMs: number, stepMs = 10): Promise<boolean> {
    const start = this.clock.now()
    while (!cond()) {
      if (this.clock.now() - start > maxMs) return false
      await this.clock.advance(stepMs)
    }
    return true
  }

  /** Stops every live node cleanly, moving virtual time along while servers run their terminate. */
  async stop (): Promise<void> {
    for (const [name, node] of this.nodes) if (!this.dead.has(name)) await this.settle(node.stop(), 60_000)
  }
}

function pair (a: string, b: string): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`
}
