/**
 * The soak's totals over every node incarnation, from each one's last statistics line: calls and
 * their outcomes, lost replies, casts sent and received per (sender, sink) pair, split into pairs
 * whose ends both lived to the end and pairs that lost an end to a kill, registry operations, and
 * `node:down` events about nodes nobody killed (false detections).
 */
import type { SoakCluster } from './cluster.js'
import type { Tally } from './tally.js'
import { bump } from './wire.js'

export interface Accounts {
  calls: { started: number, replies: number, wrong: number, errors: Record<string, number> }
  /** Calls outstanding longer than timeout + margin: the most at once, summed over incarnations. */
  lostReplies: number
  casts: {
    sent: number, received: number, held: number, violations: number, gaps: number, samples: string[]
    /** Sent − received over pairs whose sender and sink both lived to the end (must be 0 unless they lost each other). */
    lostLive: number
    /** Sent − received over pairs with an end killed (the sender's count is from its last line, up to 1 s old). */
    lostToKills: number
  }
  reg: { registered: number, refused: number, unregistered: number, lookups: number, lookupMiss: number, errors: Record<string, number> }
  /** `node:down` about a node not killed within the 30 s before. */
  falseDowns: Array<{ t: number, node: string, peer: string, reason: string }>
}

/** `node1@soak#123#c0>node2@soak.45.678` → the sender's and the sink's incarnations. */
function ends (pair: string): [string, string] {
  const [sender = '', sink = ''] = pair.split('>')
  const m = /^(.*)\.\d+\.(\d+)$/.exec(sink)
  return [sender.split('#').slice(0, 2).join('#'), m === null ? sink : `${m[1] ?? ''}#${m[2] ?? ''}`]
}

export function account (cluster: SoakCluster, tally: Tally, until: number): Accounts {
  const a: Accounts = {
    calls: { started: 0, replies: 0, wrong: 0, errors: {} },
    lostReplies: 0,
    casts: { sent: 0, received: 0, held: 0, violations: 0, gaps: 0, samples: [], lostLive: 0, lostToKills: 0 },
    reg: { registered: 0, refused: 0, unregistered: 0, lookups: 0, lookupMiss: 0, errors: {} },
    falseDowns: []
  }
  const sent = new Map<string, number>()
  const received = new Map<string, number>()
  const killed = new Set<string>()
  for (const p of cluster.all) {
    if (p.killedAt !== undefined || p.stats === undefined) killed.add(`${p.name}#${p.creation ?? '?'}`)
    const s = p.stats
    if (s === undefined) continue
    a.calls.started += s.calls.started
    a.calls.replies += s.calls.replies
    a.calls.wrong += s.calls.wrong
    for (const [k, v] of Object.entries(s.calls.errors)) bump(a.calls.errors, k, v)
    const c = s.casts
    a.casts.sent += c.sent
    a.casts.received += c.received
    a.casts.held += c.held
    a.casts.violations += c.violations
    a.casts.gaps += c.gaps
    a.casts.samples.push(...c.samples)
    for (const [k, v] of Object.entries(c.pairsSent)) sent.set(k, v)
    for (const [k, v] of Object.entries(c.pairsReceived)) received.set(k, v)
    for (const k of ['registered', 'refused', 'unregistered', 'lookups', 'lookupMiss'] as const) a.reg[k] += s.reg[k]
    for (const [k, v] of Object.entries(s.reg.errors)) bump(a.reg.errors, k, v)
  }
  for (const list of tally.samples.values()) a.lostReplies += Math.max(0, ...list.map(s => s.overdue))
  for (const pair of new Set([...sent.keys(), ...received.keys()])) {
    const lost = Math.max(0, (sent.get(pair) ?? 0) - (received.get(pair) ?? 0))
    const [from, to] = ends(pair)
    if (killed.has(from) || killed.has(to)) a.casts.lostToKills += lost
    else a.casts.lostLive += lost
  }
  const kills = cluster.all.filter(p => p.killedAt !== undefined)
  for (const e of cluster.events) {
    if (e.ev !== 'node:down' || e.t > until) continue
    const explained = kills.some(k => k.name === e.peer && (k.killedAt ?? 0) <= e.t && e.t - (k.killedAt ?? 0) < 30_000)
    if (!explained) a.falseDowns.push({ t: e.t, node: e.node, peer: e.peer, reason: e.reason ?? '' })
  }
  return a
}

/** `{ A: 3, B: 1 }` as `A 3, B 1` (or `none`). */
export function byName (counts: Record<string, number>): string {
  const e = Object.entries(counts).sort((x, y) => y[1] - x[1])
  return e.length === 0 ? 'none' : e.map(([k, v]) => `${k} ${v}`).join(', ')
}
