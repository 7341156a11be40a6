/**
 * Runs one scenario: starts the cluster, registers the names, starts the members and the traffic,
 * plays the faults on the virtual clock, heals everything, waits for membership to converge, lets it
 * settle, and checks the invariants (`invariants.ts`, and here: every call ended, casts in order,
 * no state left piling up).
 */
import { mulberry32 } from './prng.js'
import { generate } from './scenario.js'
import type { Fault, Scenario, ScenarioInit } from './scenario.js'
import { checkAll, converged } from './invariants.js'
import type { Check } from './invariants.js'
import { World } from './world.js'
import { Traffic } from './traffic.js'

export interface Result {
  readonly scenario: Scenario
  readonly checks: Check[]
  readonly ok: boolean
  /** Virtual ms the scenario took. */
  readonly virtualMs: number
  /** A digest of every callback and of the final state: equal on a replay of the same seed. */
  readonly fingerprint: string
  /** How the traffic's calls ended (`reply 812, NodeDownError 3, …`). */
  readonly traffic: string
}

/** How long healed membership may take to converge (reconnect backoff is at most 2 s). */
const CONVERGE_MS = 30_000
export interface RunInit extends ScenarioInit {
  /** How long to let the registry and GenCluster settle once membership has converged. @default 5000 */
  settleMs?: number
  /** Lost frames vanish and links stay up, outside the transport's promise (see `World.setDrop`, `World.#restore`). @default false */
  lossy?: boolean
}

export async function runSeed (seed: number, init: RunInit = {}): Promise<Result> {
  const scenario = generate(seed, init)
  const w = new World(`s${seed}`, mulberry32(seed ^ 0x5eed), init.lossy === true)
  try {
    for (const [i, name] of scenario.nodes.entries()) await w.addNode(name, i === 0 ? undefined : scenario.nodes[0], i + 1)
    if (!await w.until(() => converged(w), CONVERGE_MS)) throw new Error('the cluster did not form')
    await w.startRegistries()
    await w.clock.advance(10)
    for (const { name, node } of scenario.names) await w.register(name, node)
    for (const node of scenario.members) await w.addMember(node)
    const traffic = new Traffic(w, mulberry32(seed ^ 0x7aff1c))
    await traffic.start()
    const baseline = new Map(w.live().map(n => [n, w.node(n).core.procs.size]))
    await play(w, scenario.faults)
    w.healAll()
    const healed = await w.until(() => converged(w), CONVERGE_MS)
    traffic.stop()
    await w.clock.advance(init.settleMs ?? 5_000)
    const checks = await checkAll(w)
    checks.push(
      { name: 'calls ended', problems: traffic.callProblems() },
      { name: 'order kept', problems: traffic.orderProblems() },
      { name: 'state bounded', problems: bounded(w, baseline) })
    if (!healed) checks[0]?.problems.unshift(`membership did not converge within ${CONVERGE_MS} ms of healing`)
    return { scenario, checks, ok: checks.every(c => c.problems.length === 0), virtualMs: w.clock.now(), fingerprint: fingerprint(w), traffic: traffic.summary() }
  } catch (err) {
    const checks = [{ name: 'run', problems: [`the run threw: ${err instanceof Error ? err.stack ?? err.message : String(err)}`] }]
    return { scenario, checks, ok: false, virtualMs: w.clock.now(), fingerprint: '-', traffic: '-' }
  } finally {
    await w.stop()
  }
}

/**
 * Nothing piles up: no live node holds more processes than before the faults (a member killed may
 * only lower it; 2 spare for a registry or call helper under way), and the timers pending on the
 * clock stay within a small number per node.
 */
function bounded (w: World, baseline: Map<string, number>): string[] {
  const out: string[] = []
  for (const n of w.live()) {
    const size = w.node(n).core.procs.size
    const before = baseline.get(n) ?? 0
    if (size > before + 2) out.push(`${n} has ${size} processes, ${before} before the faults`)
  }
  const timers = w.clock.pending
  if (timers > 40 * w.live().length) out.push(`${timers} timers pending on the clock for ${w.live().length} nodes`)
  return out
}

type Step = { at: number, start: boolean, fault: Fault }

/** Applies each fault at its time and undoes it when it is over, in time order (ties: ends first). */
async function play (w: World, faults: Fault[]): Promise<void> {
  const steps: Step[] = faults.flatMap(f => f.forMs > 0 ? [{ at: f.at, start: true, fault: f }, { at: f.at + f.forMs, start: false, fault: f }] : [{ at: f.at, start: true, fault: f }])
  steps.sort((a, b) => a.at - b.at || Number(a.start) - Number(b.start))
  const t0 = w.clock.now()
  for (const step of steps) {
    await w.clock.advance(Math.max(0, t0 + step.at - w.clock.now()))
    await apply(w, step.fault, step.start)
  }
}

async function apply (w: World, f: Fault, start: boolean): Promise<void> {
  switch (f.kind) {
    case 'partition':
      for (const a of f.left) for (const b of f.right) start ? w.cut(a, b) : w.heal(a, b)
      return
    case 'pause':
      for (const b of w.nodes.keys()) if (b !== f.node) start ? w.cut(f.node, b) : w.heal(f.node, b)
      return
    case 'crash': await w.crash(f.node); return
    case 'kill-member': w.killMember(f.node); return
    case 'delay': w.net.latencyMs = start ? f.latencyMs : 0; return
    case 'drop': w.setDrop(start ? f.rate : 0)
  }
}

/** FNV-1a of the events and the final view, as 8 hex digits. */
function fingerprint (w: World): string {
  const text = JSON.stringify(w.events) + '|' + w.live().map(n => w.node(n).nodes().join(',')).join(';') + '|' + w.clock.now()
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0
  return h.toString(16).padStart(8, '0')
}
