/**
 * The load one soak node makes, each loop a process of its own on the node:
 *
 * - callers: `echo` calls to a sink on another node, one at a time each, with a timeout; every call
 *   is outstanding from its start until it ends, and its outcome is counted (reply, a reply that is
 *   not the value sent, or a typed error by name);
 * - casters: `seq` casts at a set rate, round-robin over the other nodes' sinks, numbered per
 *   (sender, sink); a cast is sent only while the sink's node is connected in the sink's creation,
 *   and held back while more than 1 MiB waits on that link;
 * - registrars: `registerName` of a fresh global name (never reused, so one left behind anywhere
 *   shows at the end), `whereisName` of it and of another node's name, `unregisterName`.
 *
 * Targets are the sinks of the other nodes, as the coordinator last gave them (`setTargets`).
 */
import { call, cast, Pid, spawn } from '@gen-cluster/core'
import type { IdentityTuple } from '@gen-cluster/core'
import type { ClusterNode, GlobalRegistry } from '../src/index.js'
import { bump, now } from './wire.js'
import type { CallStats, CastStats, NodeConfig, RegistryStats } from './wire.js'

const HOLD_BYTES = 1 << 20
const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

export class Load {
  readonly calls: CallStats = { started: 0, replies: 0, wrong: 0, errors: {}, outstanding: 0, overdue: 0 }
  readonly reg: RegistryStats = { registered: 0, refused: 0, unregistered: 0, lookups: 0, lookupMiss: 0, errors: {} }
  readonly casts: CastStats
  readonly #node: ClusterNode
  readonly #registry: GlobalRegistry
  readonly #config: NodeConfig
  readonly #outstanding = new Map<number, number>()
  readonly #loops: Array<Promise<void>> = []
  readonly #sent: Array<{ key: string, seq: Map<string, { n: number }> }> = []
  #targets: Pid[] = []
  #running = false
  #nextCall = 0

  constructor (node: ClusterNode, registry: GlobalRegistry, config: NodeConfig, casts: CastStats) {
    this.#node = node
    this.#registry = registry
    this.#config = config
    this.casts = casts
  }

  /** The sinks of every node; this node's own are left out. */
  setTargets (sinks: Record<string, Array<{ pid: IdentityTuple }>>): void {
    this.#targets = Object.entries(sinks).filter(([n]) => n !== this.#node.name).flatMap(([, ps]) => ps.map(p => Pid.from(p)))
  }

  start (): void {
    if (this.#running) return
    this.#running = true
    const c = this.#config
    for (let i = 0; i < c.callers; i++) this.#spawn(async () => { await this.#caller() })
    for (let i = 0; i < c.casters; i++) this.#spawn(async () => { await this.#caster(i, c.castRate / c.casters) })
    for (let i = 0; i < c.registrars; i++) this.#spawn(async () => { await this.#registrar(i) })
  }

  /** Ends the loops; resolves once each has finished what it was doing (every call has ended). */
  async stop (): Promise<void> {
    this.#running = false
    await Promise.all(this.#loops)
  }

  /** Updates `calls.outstanding` and `calls.overdue` (outstanding longer than timeout + margin). */
  census (): void {
    const limit = now() - this.#config.callTimeout - this.#config.margin
    let overdue = 0
    for (const started of this.#outstanding.values()) if (started < limit) overdue++
    this.calls.outstanding = this.#outstanding.size
    this.calls.overdue = overdue
  }

  #spawn (loop: () => Promise<void>): void {
    this.#loops.push(new Promise<void>((resolve) => {
      spawn(async () => {
        try { await loop() } catch (err) {
          process.stderr.write(`${this.#node.name}: load loop crashed: ${(err as Error).stack ?? String(err)}\n`)
        } finally { resolve() }
      }, { node: this.#node.core })
    }))
  }

  /** True if `pid`'s node is connected in `pid`'s creation (not an older or newer one). */
  #live (pid: Pid): boolean {
    return this.#node.membership.peers.get(pid.node)?.hello.creation === pid.creation
  }

  #pick (): Pid | undefined {
    const live = this.#targets.filter(p => this.#live(p))
    return live[Math.floor(Math.random() * live.length)]
  }

  async #caller (): Promise<void> {
    const c = this.calls
    while (this.#running) {
      const target = this.#pick()
      if (target === undefined) { await sleep(20); continue }
      const id = ++this.#nextCall
      this.#outstanding.set(id, now())
      c.started++
      try {
        const r = await call(target, { type: 'echo', n: id }, this.#config.callTimeout)
        if (r === id) c.replies++
        else c.wrong++
      } catch (err) {
        bump(c.errors, (err as Error).name)
        await sleep(1) // an error can come at once: let the event loop turn
      } finally {
        this.#outstanding.delete(id)
      }
    }
  }

  async #caster (i: number, rate: number): Promise<void> {
    const s = this.casts
    const key = `${this.#node.name}#${this.#node.creation}#c${i}`
    // Per sink: the last number sent, which is also how many were sent.
    const seq = new Map<string, { n: number }>()
    this.#sent.push({ key, seq })
    let next = i
    let tokens = 0
    let last = performance.now()
    while (this.#running) {
      await sleep(5)
      const t = performance.now()
      tokens = Math.min(tokens + rate * (t - last) / 1000, rate / 4)
      last = t
      const targets = this.#targets
      if (targets.length === 0) continue
      for (; tokens >= 1; tokens--) {
        const target = targets[next++ % targets.length] as Pid
        const peer = this.#node.membership.peers.get(target.node)
        if (peer === undefined || peer.hello.creation !== target.creation) continue
        if (peer.link.bufferedBytes > HOLD_BYTES) { s.held++; continue }
        let p = seq.get(target.key)
        if (p === undefined) seq.set(target.key, p = { n: 0 })
        cast(target, { type: 'seq', from: key, n: ++p.n })
        s.sent++
      }
    }
  }

  /** Casts sent per `sender>sink` pair. */
  sentPairs (): Record<string, number> {
    const r: Record<string, number> = {}
    for (const { key, seq } of this.#sent) for (const [sink, p] of seq) r[`${key}>${sink}`] = p.n
    return r
  }

  async #registrar (i: number): Promise<void> {
    const g = this.#registry
    const r = this.reg
    const pid = spawn(async ({ receive }) => { for (;;) await receive() }, { node: this.#node.core })
    const prefix = `soak.${this.#node.name.split('@')[0] ?? ''}.${this.#node.creation}.${i}`
    for (let k = 0; this.#running; k++) {
      const name = `${prefix}.${k}` // never reused: an entry left behind stays visible to the end-of-run check
      try {
        if (await g.registerName(name, pid)) {
          r.registered++
          if (g.whereisName(name)?.equals(pid) !== true) r.lookupMiss++
        } else r.refused++
        const others = g.registeredNames().filter(n => !n.startsWith(prefix))
        g.whereisName(others[k % Math.max(1, others.length)] ?? name)
        r.lookups += 2
        await g.unregisterName(name)
        r.unregistered++
      } catch (err) {
        bump(r.errors, (err as Error).name)
        await sleep(50)
      }
    }
  }
}
