import { describe, expect, it } from 'vitest'
import { runHotUpgrade } from '@gen-cluster/examples'

describe('hot upgrade example', () => {
  it('upgrades every tally server from its module file while votes flow, losing and reordering none', async () => {
    const lines: string[] = []
    const report = await runHotUpgrade({ votes: 4000, servers: 2, log: l => lines.push(l) })
    expect(report.counted).toBe(report.votes)
    expect(report.versions).toEqual(['2', '2'])
    expect(report.outOfOrder).toBe(0)
    expect(report.sinceUpgrade).toBe(2 * (4000 - report.upgradedAt))
    expect(lines.some(l => l.includes('upgraded 2 servers'))).toBe(true)
  })
})
