/**
 * Scenarios: a seeded, random schedule of faults against a cluster of named nodes. A scenario is a
 * plain value, printed on failure, and generated only from the seed and the node count.
 */
import { mulberry32 } from './prng.js'

/** One fault, starting `at` ms (virtual) after the cluster is up, and lasting `forMs`. */
export type Fault =
  /** Silent cut of every link between the two sides. */
  | { kind: 'partition', at: number, forMs: number, left: string[], right: string[] }
  /** The node dies for good: its transport closes (peers see the links close), then it stops. */
  | { kind: 'crash', at: number, forMs: 0, node: string }
  /** The node hears nothing and is not heard (a GC pause or a stalled VM, seen from outside). */
  | { kind: 'pause', at: number, forMs: number, node: string }
  /** Every frame takes `latencyMs`. */
  | { kind: 'delay', at: number, forMs: number, latencyMs: number }
  /** Each frame is lost with probability `rate`. */
  | { kind: 'drop', at: number, forMs: number, rate: number }
  /** A GenCluster member is killed. */
  | { kind: 'kill-member', at: number, forMs: 0, node: string }

export interface Scenario {
  readonly seed: number
  /** Node names, in start order; the first is everyone's seed. */
  readonly nodes: string[]
  /** Global names, each registered by a process of the given node before the faults. */
  readonly names: Array<{ name: string, node: string }>
  /** Nodes that start a GenCluster member (in order) before the faults. */
  readonly members: string[]
  readonly faults: Fault[]
  /** When the last fault is over. */
  readonly endMs: number
}

export interface ScenarioInit {
  /** @default 10 */
  nodes?: number
  /** @default 3 to 8, from the seed */
  faults?: number
  /** The kinds of fault to draw from. @default all */
  kinds?: readonly FaultKind[]
}

export type FaultKind = Fault['kind']

/** Every kind of fault, with its weight in a draw. */
const WEIGHTS: Record<FaultKind, number> = { partition: 0.3, crash: 0.12, pause: 0.18, delay: 0.15, drop: 0.15, 'kill-member': 0.1 }
export const ALL_KINDS = Object.keys(WEIGHTS) as FaultKind[]

function weighted (kinds: readonly FaultKind[], r: number): FaultKind {
  const total = kinds.reduce((t, k) => t + WEIGHTS[k], 0)
  let x = r * total
  for (const k of kinds) {
    x -= WEIGHTS[k]
    if (x < 0) return k
  }
  return kinds[kinds.length - 1] as FaultKind
}

/** The scenario of `seed`. */
export function generate (seed: number, init: ScenarioInit = {}): Scenario {
  const rng = mulberry32(seed)
  const count = init.nodes ?? 10
  const nodes = Array.from({ length: count }, (_, i) => `n${i}`)
  const names = Array.from({ length: rng.int(1, 4) }, (_, i) => ({ name: `name${i}`, node: rng.pick(nodes) }))
  const members = rng.shuffle(nodes).slice(0, rng.int(2, Math.min(count, 8)))
  const faults: Fault[] = []
  const alive = new Set(nodes)
  let crashes = Math.max(1, Math.floor(count / 5))
  const total = init.faults ?? rng.int(3, 8)
  let at = 0
  const kinds = init.kinds ?? ALL_KINDS
  for (let i = 0; i < total; i++) {
    at += rng.int(0, 1500)
    const live = nodes.filter(n => alive.has(n))
    const allowed = kinds.filter(k => k !== 'crash' || (crashes > 0 && live.length > 2)).filter(k => k !== 'partition' || live.length > 2)
    if (allowed.length === 0) break
    const kind = weighted(allowed, rng.next())
    if (kind === 'partition') {
      const shuffled = rng.shuffle(live)
      const cut = rng.int(1, shuffled.length - 1)
      faults.push({ kind, at, forMs: rng.int(100, 4000), left: shuffled.slice(0, cut).sort(), right: shuffled.slice(cut).sort() })
    } else if (kind === 'crash') {
      // Node n0 is everyone's seed: keep it, so a late joiner still has somewhere to go.
      const node = rng.pick(live.filter(n => n !== 'n0'))
      crashes--
      alive.delete(node)
      faults.push({ kind, at, forMs: 0, node })
    } else if (kind === 'pause') {
      faults.push({ kind, at, forMs: rng.int(50, 3000), node: rng.pick(live) })
    } else if (kind === 'delay') {
      faults.push({ kind, at, forMs: rng.int(100, 3000), latencyMs: rng.int(1, 150) })
    } else if (kind === 'drop') {
      faults.push({ kind, at, forMs: rng.int(100, 2000), rate: rng.pick([0.01, 0.05, 0.2, 0.5]) })
    } else {
      faults.push({ kind, at, forMs: 0, node: rng.pick(members) })
    }
  }
  const endMs = faults.reduce((end, f) => Math.max(end, f.at + f.forMs), 0)
  return { seed, nodes, names, members, faults, endMs }
}

/** A fault as one short line. */
export function describe (f: Fault): string {
  switch (f.kind) {
    case 'partition': return `@${f.at} partition ${f.forMs}ms [${f.left.join(' ')}] | [${f.right.join(' ')}]`
    case 'crash': return `@${f.at} crash ${f.node}`
    case 'pause': return `@${f.at} pause ${f.node} ${f.forMs}ms`
    case 'delay': return `@${f.at} delay ${f.latencyMs}ms for ${f.forMs}ms`
    case 'drop': return `@${f.at} drop ${f.rate * 100}% for ${f.forMs}ms`
    case 'kill-member': return `@${f.at} kill a member on ${f.node}`
  }
}
