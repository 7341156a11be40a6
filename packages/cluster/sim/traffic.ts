/**
 * Traffic during a scenario, for the invariants about messages: every node runs an echo server
 * (`sim.echo`, a local name) and a client probe; every {@link TICK_MS} of virtual time each live
 * node casts the next number of its sequence to a random other node's echo and calls it. Checked at
 * the end: every call ended (with a reply or one of the typed errors), and each echo received the
 * casts of each sender in increasing order (losing some across a cut or a crash is allowed,
 * reordering is not). Randomness comes from the scenario's seed, time from the world's clock.
 */
import { call, cast, defineServer, start } from '@gen-cluster/core'
import type { ServerTypes } from '@gen-cluster/core'
import { probe } from '@gen-cluster/core/testing'
import type { Probe } from '@gen-cluster/core/testing'
import type { Rng } from './prng.js'
import type { World } from './world.js'

const ECHO = 'sim.echo'
const TICK_MS = 50
const CALL_TIMEOUT_MS = 1000
/** The errors a call may end with while nodes fail; anything else is a broken promise. */
const TYPED = new Set(['NodeDownError', 'NoProcError', 'CallTimeoutError', 'CallExitError'])

interface Seen {
  /** The last number received from each sender. */
  readonly last: Map<string, number>
  readonly reordered: string[]
}

interface Echo extends ServerTypes {
  arg: Seen
  state: Seen
  calls: { echo: { request: { n: number }, reply: number } }
  casts: { seq: { from: string, n: number } }
}

const echo = defineServer<Echo>({
  init: (seen) => ({ state: seen }),
  handleCall: { echo: (r, _f, s) => ({ reply: r.n, state: s }) },
  handleCast: {
    seq: (m, s) => {
      const last = s.last.get(m.from) ?? 0
      if (m.n <= last) s.reordered.push(`${m.from}: ${m.n} after ${last}`)
      else s.last.set(m.from, m.n)
      return { state: s }
    }
  }
})

export class Traffic {
  readonly #w: World
  readonly #rng: Rng
  readonly #clients = new Map<string, Probe>()
  readonly #echoes = new Map<string, Seen>()
  readonly #seq = new Map<string, number>()
  /** Calls not ended yet, by id: when each started. */
  readonly #open = new Map<number, number>()
  readonly outcomes = new Map<string, number>()
  #nextCall = 0
  #timer: unknown
  #running = false

  constructor (w: World, rng: Rng) {
    this.#w = w
    this.#rng = rng
  }

  async start (): Promise<void> {
    for (const name of this.#w.live()) {
      const node = this.#w.node(name)
      const seen: Seen = { last: new Map(), reordered: [] }
      await this.#w.settle(start(echo, seen, { node: node.core, name: ECHO }))
      this.#echoes.set(name, seen)
      this.#clients.set(name, probe(node.core))
    }
    this.#running = true
    this.#schedule()
  }

  stop (): void {
    this.#running = false
    if (this.#timer !== undefined) this.#w.clock.clearTimeout(this.#timer as never)
  }

  #schedule (): void {
    this.#timer = this.#w.clock.setTimeout(() => {
      if (!this.#running) return
      this.#tick()
      this.#schedule()
    }, TICK_MS)
  }

  #tick (): void {
    const live = this.#w.live()
    for (const from of live) {
      const others = live.filter(n => n !== from)
      const client = this.#clients.get(from)
      if (others.length === 0 || client === undefined) continue
      const to = { name: ECHO, node: this.#w.full(others[Math.floor(this.#rng.next() * others.length)] as string) }
      const n = (this.#seq.get(from) ?? 0) + 1
      this.#seq.set(from, n)
      const id = this.#nextCall++
      this.#open.set(id, this.#w.clock.now())
      client.run(() => {
        cast(to, { type: 'seq', from, n })
        call(to, { type: 'echo', n }, CALL_TIMEOUT_MS).then(
          (reply) => { this.#ended(id, reply === n ? 'reply' : `wrong reply ${String(reply)}`) },
          (err: unknown) => { this.#ended(id, err instanceof Error ? err.name : String(err)) })
      })
    }
  }

  #ended (id: number, outcome: string): void {
    this.#open.delete(id)
    this.outcomes.set(outcome, (this.outcomes.get(outcome) ?? 0) + 1)
  }

  /** Calls that never ended, and ones that ended in neither a reply nor a typed error. */
  callProblems (): string[] {
    const out: string[] = []
    const now = this.#w.clock.now()
    for (const [id, at] of this.#open) if (now - at > CALL_TIMEOUT_MS * 2) out.push(`call ${id} started at ${at} ms never ended`)
    for (const [outcome, n] of this.outcomes) if (outcome !== 'reply' && !TYPED.has(outcome)) out.push(`${n} calls ended with ${outcome}`)
    return out
  }

  /** Casts received out of order, per echo (on nodes still up). */
  orderProblems (): string[] {
    return [...this.#echoes].filter(([node]) => !this.#w.dead.has(node)).flatMap(([node, s]) => s.reordered.map(r => `${node} got ${r}`))
  }

  /** How many calls were made and how each ended, as one line. */
  summary (): string {
    return [...this.outcomes].sort().map(([k, n]) => `${k} ${n}`).join(', ')
  }
}
