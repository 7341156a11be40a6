/**
 * The soak's sink: a GenServer on every node that answers `echo` calls with the value sent, and takes
 * `seq` casts, checking that each sender's sequence numbers only go up.
 *
 * A sender is one incarnation of a process (its pid key names the node's creation), so a sender
 * restarted with its node starts a new sequence. A number lower than or equal to the last one from
 * the same sender is an order violation; a number more than one above it is a gap (casts lost),
 * counted apart.
 */
import { defineServer, self } from '@gen-cluster/core'
import type { ServerTypes } from '@gen-cluster/core'
import type { CastStats } from './wire.js'

/** What every sink of a node writes into: the node's cast statistics, and per pair the last number and the count. */
export class ReceiveLog {
  readonly stats: CastStats
  /** Sink key → sender key → the last number and how many came. */
  readonly #pairs = new Map<string, Map<string, { last: number, got: number }>>()

  constructor (stats: CastStats) {
    this.stats = stats
  }

  /** The senders of one sink (the sink keeps it, so a cast costs one lookup). */
  sink (key: string): Map<string, { last: number, got: number }> {
    const m = new Map<string, { last: number, got: number }>()
    this.#pairs.set(key, m)
    return m
  }

  /** Records cast `n` from `sender` at a sink whose senders are `senders`. */
  take (senders: Map<string, { last: number, got: number }>, sender: string, n: number): void {
    let p = senders.get(sender)
    if (p === undefined) senders.set(sender, p = { last: 0, got: 0 })
    const s = this.stats
    s.received++
    p.got++
    if (n <= p.last) {
      s.violations++
      if (s.samples.length < 5) s.samples.push(`${sender} → sink: ${n} after ${p.last}`)
      return
    }
    if (n > p.last + 1) s.gaps += n - p.last - 1
    p.last = n
  }

  /** Casts received per `sender>sink` pair. */
  received (): Record<string, number> {
    const r: Record<string, number> = {}
    for (const [sink, senders] of this.#pairs) for (const [sender, p] of senders) r[`${sender}>${sink}`] = p.got
    return r
  }
}

export interface Sink extends ServerTypes {
  state: { log: ReceiveLog, senders: Map<string, { last: number, got: number }> }
  arg: ReceiveLog
  calls: { echo: { request: { n: number }, reply: number } }
  casts: { seq: { from: string, n: number } }
}

export const sink = defineServer<Sink>({
  init: (log) => ({ state: { log, senders: log.sink(self().key) } }),
  handleCall: {
    echo: (r, _from, s) => ({ reply: r.n, state: s })
  },
  handleCast: {
    seq: (m, s) => {
      s.log.take(s.senders, m.from, m.n)
      return { state: s }
    }
  }
})
