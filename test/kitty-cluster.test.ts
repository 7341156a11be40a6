import { describe, expect, it } from 'vitest'
import { runKittyCluster } from '@gen-cluster/examples'

describe('kitty across nodes example', () => {
  it('serves orders and returns from two other nodes through its global name, upgrades to v2 mid-stream, and loses no order or returned cat', async () => {
    const lines: string[] = []
    const r = await runKittyCluster({ orders: 100, log: l => lines.push(l) })
    expect(r.ordered).toBe(200)
    expect(r.answered).toBe(200)
    expect(r.versions).toEqual(['1', '2'])
    // The upgrade came while orders flowed: v2 served some, not all.
    expect(r.servedByV2).toBeGreaterThan(0)
    expect(r.servedByV2).toBeLessThan(200)
    expect(r.auditsByV2).toBeGreaterThan(0)
    // Every return cast arrived: the stock adds up, and terminate freed exactly what was left.
    expect(r.returned).toBe(2 * (50 + 1))
    expect(r.left).toBe(r.returned - r.fromStock)
    expect(r.left).toBeGreaterThanOrEqual(2)
    expect(r.freed).toBe(r.left)
    expect(lines.some(l => l.includes('upgraded 1 → 2'))).toBe(true)
  })
})
