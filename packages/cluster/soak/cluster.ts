/**
 * The soak's cluster, from the coordinator's side: starts the node processes (the first one alone,
 * the others through it), tells every node the others' sinks, kills one with SIGKILL and starts it
 * again under the same name and home (same peer id, new creation), and ends the load.
 */
import { NodeProc } from './children.js'
import type { SoakOptions } from './options.js'
import type { Tally } from './tally.js'
import { now } from './wire.js'
import type { Line, NodeConfig, Stats } from './wire.js'

export interface KillRecord {
  readonly victim: string
  /** When SIGKILL was sent, and the killed incarnation's creation. */
  readonly at: number
  readonly creation: number | undefined
  /** The new incarnation: when it was ready for load (joined, registry and sinks started), and when every other node had seen it up. */
  backAt?: number
  newCreation?: number
  seenAt?: number
  error?: string
}

/** A `node:up` / `node:down` one node saw. */
export interface PeerEvent { readonly t: number, readonly ev: 'node:up' | 'node:down', readonly node: string, readonly peer: string, readonly reason?: string }

const SECRET = '5a'.repeat(32)
const READY_MS = 40_000

export class SoakCluster {
  readonly names: string[]
  readonly current = new Map<string, NodeProc>()
  readonly all: NodeProc[] = []
  readonly events: PeerEvent[] = []
  readonly errors: string[] = []
  readonly #options: SoakOptions
  readonly #home: string
  readonly #tally: Tally

  constructor (options: SoakOptions, home: string, tally: Tally) {
    this.#options = options
    this.#home = home
    this.#tally = tally
    this.names = Array.from({ length: options.nodes }, (_, i) => `node${i + 1}@soak`)
  }

  /** Starts every node and waits until each has seen all the others up. */
  async start (): Promise<void> {
    const [first, ...rest] = this.names as [string, ...string[]]
    const seed = await this.#launch(first, [])
    await Promise.all(rest.map(async n => await this.#launch(n, [seed.ready?.address ?? ''])))
    for (const until = performance.now() + READY_MS; !this.#meshed();) {
      if (performance.now() > until) throw new Error(`the ${this.names.length} nodes did not all see each other within ${READY_MS} ms`)
      await new Promise(resolve => setTimeout(resolve, 50))
    }
    this.broadcastPeers()
  }

  /** Tells every node the sinks of every node (their current incarnations). */
  broadcastPeers (): void {
    const sinks = Object.fromEntries([...this.current].map(([n, p]) => [n, p.ready?.sinks ?? []]))
    for (const p of this.current.values()) p.send({ cmd: 'peers', sinks })
  }

  startLoad (): void {
    for (const p of this.current.values()) p.send({ cmd: 'start' })
  }

  /** SIGKILL to `victim`, then starts it again through the live nodes and gives it load. */
  async killAndRestart (victim: string): Promise<KillRecord> {
    const old = this.current.get(victim)
    const record: KillRecord = { victim, at: now(), creation: old?.creation }
    if (old === undefined) return { ...record, error: 'not running' }
    old.kill9(record.at)
    await old.exited
    this.current.delete(victim)
    try {
      const seeds = [...this.current.values()].map(p => p.ready?.address ?? '').filter(a => a !== '')
      const back = await this.#launch(victim, seeds)
      record.backAt = back.ready?.t
      record.newCreation = back.creation
      this.broadcastPeers()
      back.send({ cmd: 'start' })
      // Not awaited by the caller: when every other node has seen the new incarnation up.
      void this.#seenBy(victim, record.at).then((t) => { record.seenAt = t })
    } catch (err) {
      record.error = (err as Error).message
    }
    return record
  }

  /** Ends the load on every node; the names of those whose loops had not ended within `ms`. */
  async stopLoad (ms: number): Promise<string[]> {
    const late: string[] = []
    await Promise.all([...this.current.values()].map(async (p) => {
      const stopped = p.next(l => l.ev === 'stopped', ms)
      p.send({ cmd: 'stop' })
      await stopped.catch(() => { late.push(p.name) })
    }))
    return late
  }

  /** Every live node's statistics with the global names it holds. */
  async final (): Promise<Stats[]> {
    return await Promise.all([...this.current.values()].map(async (p) => {
      const line = p.next(l => l.ev === 'stats' && l.names !== undefined, 5000)
      p.send({ cmd: 'final' })
      return await line as Stats
    }))
  }

  /** Closes every node's stdin and waits for it to exit (SIGKILL by pid after 2 s). */
  async end (): Promise<void> {
    await Promise.all(this.all.map(async p => { await p.end() }))
  }

  #config (name: string, seeds: string[]): NodeConfig {
    const o = this.#options
    return {
      name,
      home: this.#home,
      seeds,
      secret: SECRET,
      sinks: o.sinks,
      callers: o.callers,
      casters: o.casters,
      castRate: o.castRate,
      registrars: o.registrars,
      callTimeout: o.callTimeout,
      margin: o.margin,
      lifetime: (o.seconds + 180) * 1000
    }
  }

  /** How long each incarnation took to register its home name at start (a restart under load: seconds). */
  readonly homes: Array<{ node: string, ms: number, attempts: number }> = []

  async #launch (name: string, seeds: string[]): Promise<NodeProc> {
    const p = new NodeProc(this.#config(name, seeds), (line, from) => { this.#onLine(line, from) }, now())
    this.all.push(p)
    await p.next(l => l.ev === 'ready', READY_MS)
    this.current.set(name, p)
    return p
  }

  #onLine (line: Line, from: NodeProc): void {
    if (line.ev === 'stats') this.#tally.add(line)
    else if (line.ev === 'node:up' || line.ev === 'node:down') {
      this.events.push({ t: line.t, ev: line.ev, node: from.name, peer: line.peer, ...(line.ev === 'node:down' ? { reason: line.reason } : {}) })
    } else if (line.ev === 'error') this.errors.push(`${line.node}: ${line.error}`)
    else if (line.ev === 'home') this.homes.push({ node: line.node, ms: line.ms, attempts: line.attempts })
  }

  /** True if every current node's last event about each other node is `node:up`. */
  #meshed (): boolean {
    return [...this.current.values()].every(p => this.names.every(n => n === p.name || this.#lastAbout(p.name, n, 0) === 'node:up'))
  }

  #lastAbout (node: string, peer: string, since: number): PeerEvent['ev'] | undefined {
    return this.events.findLast(e => e.node === node && e.peer === peer && e.t > since)?.ev
  }

  /** Resolves when every other current node's last event about `name` since `since` is `node:up` (15 s at most). */
  async #seenBy (name: string, since: number): Promise<number | undefined> {
    for (const until = performance.now() + 15_000; performance.now() < until;) {
      const others = [...this.current.values()].filter(p => p.name !== name)
      if (others.every(p => this.#lastAbout(p.name, name, since) === 'node:up')) {
        return Math.max(...others.map(p => this.events.findLast(e => e.node === p.name && e.peer === name)?.t ?? 0))
      }
      await new Promise(resolve => setTimeout(resolve, 50))
    }
    return undefined
  }
}
