/**
 * The invariants checked once the cluster is healed and stable. Each returns what is wrong, as
 * readable lines (none: `[]`).
 */
import { pidlist, leader } from '../src/index.js'
import { contractViolations } from '../test/gen-cluster-recorder.js'
import { CLUSTER } from './world.js'
import type { World } from './world.js'

export interface Check {
  readonly name: string
  readonly problems: string[]
}

/** Every live node sees every other live node, and no dead one. */
export function membership (w: World): string[] {
  const live = w.live()
  const out: string[] = []
  for (const n of live) {
    const want = live.filter(x => x !== n).map(x => w.full(x)).sort().join(' ')
    const got = w.node(n).nodes().join(' ')
    if (got !== want) out.push(`${n} sees [${got}], expected [${want}]`)
  }
  return out
}

/** The membership invariant holds (for waiting on it). */
export function converged (w: World): boolean {
  const size = w.live().length - 1
  return w.live().every(n => w.node(n).nodes().length === size) && membership(w).length === 0
}

/**
 * Each global name has one holder, a live process on a live node, and every live node says the same;
 * a name registered before the faults by a process on a node that is still up is still held.
 */
export function names (w: World): string[] {
  const live = w.live()
  const out: string[] = []
  const all = new Set(live.flatMap(n => w.registries.get(n)?.registeredNames() ?? []))
  for (const name of all) {
    const says = live.map(n => w.registries.get(n)?.whereisName(name)?.toString() ?? '-')
    if (new Set(says).size !== 1) out.push(`${name}: nodes disagree: ${live.map((n, i) => `${n}=${says[i] ?? '?'}`).join(' ')}`)
    const pid = w.registries.get(live[0] as string)?.whereisName(name)
    if (pid === undefined) continue
    const home = [...w.nodes].find(([, node]) => node.name === pid.node)?.[0]
    if (home === undefined || w.dead.has(home)) out.push(`${name}: held by ${pid.toString()} on a dead node`)
    else if (!w.node(home).core.procs.has(pid.id)) out.push(`${name}: held by ${pid.toString()}, which is dead`)
  }
  for (const [name, p] of w.holders) {
    const home = w.registries.get(live[0] as string)
    const node = [...w.nodes].find(([, n]) => n.name === p.pid.node)?.[0] as string
    if (!w.dead.has(node) && home?.whereisName(name) === undefined) out.push(`${name}: lost, though its holder's node ${node} is up`)
  }
  return out
}

/**
 * Every live member has the same pidlist, which is the set of live members; every live node names
 * the same holder, the first of that list; and each member's callbacks, replayed from its initial
 * list, follow the contract and end at its final list (none missing, none duplicated).
 */
export async function genCluster (w: World): Promise<string[]> {
  const out: string[] = []
  const live = w.members.filter(m => !w.dead.has(m.node) && w.node(m.node).core.procs.has(m.pid.id))
  if (live.length === 0) return out
  const expected = live.map(m => m.pid.key).sort().join(' ')
  const lists = new Map<string, string[]>()
  for (const m of live) {
    const list = (await w.settle(pidlist(m.pid), 10_000)).map(p => p.key)
    lists.set(m.pid.key, list)
    if ([...list].sort().join(' ') !== expected) {
      const extra = list.filter(k => !expected.split(' ').includes(k)).map(k => `${k} (${why(w, k)})`)
      const missing = expected.split(' ').filter(k => !list.includes(k))
      out.push(`${m.pid.key} on ${m.node}: pidlist has ${extra.length > 0 ? extra.join(', ') : 'no extra'}, lacks ${missing.length > 0 ? missing.join(', ') : 'none'}`)
    }
  }
  const first = lists.get(live[0]?.pid.key as string)?.join(' ')
  for (const [k, list] of lists) if (list.join(' ') !== first) out.push(`${k}: pidlist order [${list.join(' ')}] differs from [${first ?? ''}]`)
  const says = w.live().map(n => leader(w.node(n), CLUSTER)?.key ?? '-')
  if (new Set(says).size !== 1) out.push(`holder: nodes disagree: ${says.join(' ')}`)
  else if (says[0] !== lists.get(live[0]?.pid.key as string)?.[0]) out.push(`holder ${says[0] ?? '-'} is not the first of the pidlist`)
  for (const m of live) {
    out.push(...contractViolations(w.events, m.pid.key, m.initial))
    const replayed = replay(w, m.pid.key, m.initial)
    const final = [...(lists.get(m.pid.key) ?? [])].sort().join(' ')
    if (replayed !== final) out.push(`${m.pid.key}: callbacks replayed give [${replayed}], pidlist is [${final}]`)
  }
  return out
}

/** Why member `key` is not live: its node crashed, or it was killed. */
function why (w: World, key: string): string {
  const m = w.members.find(x => x.pid.key === key)
  if (m === undefined) return 'not a member the simulation started'
  return w.dead.has(m.node) ? `its node ${m.node} crashed` : 'killed'
}

function replay (w: World, member: string, initial: readonly string[]): string {
  const known = new Set(initial)
  for (const e of w.events) {
    if (e.member !== member) continue
    if (e.cb === 'handleJoin' || e.cb === 'handleNodeJoined') known.add(e.pid)
    else if (e.cb === 'handleLeave') known.delete(e.pid)
  }
  return [...known].sort().join(' ')
}

/** Runs every check. */
export async function checkAll (w: World): Promise<Check[]> {
  return [
    { name: 'membership', problems: membership(w) },
    { name: 'names', problems: names(w) },
    { name: 'gen-cluster', problems: await genCluster(w) }
  ]
}
