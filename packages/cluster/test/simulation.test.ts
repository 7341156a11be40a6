import { describe, expect, it } from 'vitest'
import { generate } from '../sim/scenario.js'
import type { FaultKind } from '../sim/scenario.js'
import { runSeed } from '../sim/runner.js'
import type { Result } from '../sim/runner.js'

/**
 * Lost frames (`drop`) are left out: a lost frame resets its link, and most such seeds break the
 * GenCluster invariant today (pidlists that never merge again after one link flapped), a few the
 * registry's (a node missing the cluster name for good); see `pnpm sim -- --faults drop`.
 */
const KINDS: FaultKind[] = ['partition', 'crash', 'pause', 'delay', 'kill-member']

/** Seeds of 10 nodes (with KINDS) known to break an invariant today: none (35, 90 and 117 did, fixed). */
const KNOWN_FAILING = new Set<number>([])

function problems (r: Result): string[] {
  return r.checks.flatMap(c => c.problems.map(p => `seed ${r.scenario.seed}: ${c.name}: ${p}`))
}

describe('deterministic simulation', () => {
  it('generates the same scenario from the same seed, and different ones from different seeds', () => {
    expect(generate(1234, { nodes: 10 })).toEqual(generate(1234, { nodes: 10 }))
    expect(generate(1234, { nodes: 10 })).not.toEqual(generate(1235, { nodes: 10 }))
  })

  it('replays a seed exactly: same callbacks, same final view, same virtual time', async () => {
    const a = await runSeed(7, { nodes: 10, kinds: KINDS })
    const b = await runSeed(7, { nodes: 10, kinds: KINDS })
    expect(a.fingerprint).not.toBe('-')
    expect(b.fingerprint).toBe(a.fingerprint)
    expect(b.virtualMs).toBe(a.virtualMs)
  })

  it('re-forms the full mesh when a redialled link comes up and drops again before the reconnect loop resumes', async () => {
    // Seed 14 with lost frames: 50% loss resets links right after their handshake. The finished
    // reconnect loop used to delete the entry of the loop that node-down had just started, so
    // nobody redialled and n1, n4 stayed an island for good.
    const r = await runSeed(14, { nodes: 10, kinds: ['drop'] })
    expect(problems(r)).toEqual([])
  })

  it('keeps membership, global names and GenCluster pidlists consistent in 200 seeded scenarios of 10 nodes', async () => {
    const failed: string[] = []
    for (let seed = 1; seed <= 200; seed++) {
      if (KNOWN_FAILING.has(seed)) continue
      failed.push(...problems(await runSeed(seed, { nodes: 10, kinds: KINDS })))
    }
    expect(failed).toEqual([])
  }, 60_000)

  it('keeps them consistent in 8 seeded scenarios of 50 nodes', async () => {
    const failed: string[] = []
    for (let seed = 1; seed <= 8; seed++) failed.push(...problems(await runSeed(seed, { nodes: 50, kinds: KINDS })))
    expect(failed).toEqual([])
  }, 60_000)
})
