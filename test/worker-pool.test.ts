import { describe, expect, it } from 'vitest'
import { runWorkerPool } from '@gen-cluster/examples'

describe('supervised worker pool example', () => {
  it('spreads jobs round-robin over the nodes, and survives a crashing worker that its supervisor restarts into the group', async () => {
    const lines: string[] = []
    const r = await runWorkerPool({ jobs: 30, perNode: 2, log: l => lines.push(l) })
    expect(r.results.map(x => x.job)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1))
    expect(r.results.every(x => x.square === x.job * x.job)).toBe(true)
    expect(Object.keys(r.byNode).sort()).toEqual(['a@loopback', 'b@loopback', 'c@loopback'])
    for (const n of Object.values(r.byNode)) expect(n).toBeGreaterThanOrEqual(5)
    // The crashed worker did no job from the poisoned one on: another took it over.
    expect(r.results.filter(x => x.worker === r.crashed && x.job >= r.poisonJob)).toEqual([])
    expect(r.restarted).toBeDefined()
    expect(r.restarted?.split('.')[0]).toBe(r.crashed.split('.')[0])
    expect(r.poolAfter).toBe(r.poolBefore)
    expect(lines.some(l => l.includes('crashed worker'))).toBe(true)
  })
})
