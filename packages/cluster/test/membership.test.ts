import { afterEach, describe, expect, it } from 'vitest'
import { memCluster } from './helpers.js'
import { forgetNode } from '@gen-cluster/core'
import type { MemCluster } from './helpers.js'
import type { NodeDownEvent } from '../src/index.js'

let c: MemCluster
afterEach(async () => { await c.stopAll() })

const names = (xs: string[]): string[] => xs.map(x => x.split('@')[0] as string)

describe('membership over an in-memory network', () => {
  it('forms a full mesh when nodes join through one seed', async () => {
    c = memCluster()
    const a = await c.add('a')
    const b = await c.add('b', ['a'])
    const d = await c.add('d', ['a'])
    const e = await c.add('e', ['b'])
    await c.until(() => [a, b, d, e].every(n => n.nodes().length === 3))
    expect(names(a.nodes())).toEqual(['b', 'd', 'e'])
    expect(names(e.nodes())).toEqual(['a', 'b', 'd'])
  })

  it('joins through any listed seed when the first is down', async () => {
    c = memCluster()
    await c.add('a')
    const b = await c.add('b', ['nobody', 'a'])
    await b.joined
    expect(names(b.nodes())).toEqual(['a'])
  })

  it('keeps retrying its seeds with backoff until one comes up', async () => {
    c = memCluster()
    const b = await c.add('b', ['a'])
    const attempts: number[] = []
    b.addEventListener('node:joining', (e) => { attempts.push((e as CustomEvent<{ attempt: number }>).detail.attempt) })
    await c.clock.advance(1000)
    expect(b.nodes()).toEqual([])
    await c.add('a')
    await c.until(() => b.nodes().length === 1)
    expect(Math.max(...attempts)).toBeGreaterThan(1)
  })

  it('treats a closed link as node-down at once, on both sides', async () => {
    c = memCluster()
    const a = await c.add('a')
    const b = await c.add('b', ['a'])
    await b.joined
    const downs: NodeDownEvent[] = []
    a.addEventListener('node:down', (e) => { downs.push((e as CustomEvent<NodeDownEvent>).detail) })
    c.net.cut(a.name, b.name, { silent: false })
    await c.clock.advance(0)
    expect(a.nodes()).toEqual([])
    expect(downs.map(d => d.node)).toEqual([b.name])
  })

  it('detects a silent peer with heartbeats within 2 s, and reconnects once the network heals', async () => {
    c = memCluster()
    const a = await c.add('a')
    const b = await c.add('b', ['a'])
    await b.joined
    await c.clock.advance(5000)
    c.net.cut(a.name, b.name)
    const took = await c.until(() => a.nodes().length === 0 && b.nodes().length === 0, 5000)
    expect(took).toBeLessThanOrEqual(2000)
    c.net.heal(a.name, b.name)
    await c.until(() => a.nodes().length === 1 && b.nodes().length === 1, 10_000)
  })

  it('does not reconnect to a node that left on purpose', async () => {
    c = memCluster()
    const a = await c.add('a')
    const b = await c.add('b', ['a'])
    await b.joined
    const reasons: string[] = []
    a.addEventListener('node:down', (e) => { reasons.push((e as CustomEvent<NodeDownEvent>).detail.reason) })
    await b.stop('shutting down')
    c.nodes.delete('b')
    await c.clock.advance(10_000)
    expect(a.nodes()).toEqual([])
    expect(reasons[0]).toMatch(/left/)
  })

  it('replaces the peer of a node that restarted with a higher creation', async () => {
    c = memCluster()
    const a = await c.add('a')
    const b1 = await c.add('b', ['a'], { creation: 1 })
    await b1.joined
    const ups: number[] = []
    a.addEventListener('node:up', (e) => { ups.push((e as CustomEvent<{ info: { creation: number } }>).detail.info.creation) })
    // The old run vanishes without a word (kill -9): its transport is stopped, then it comes back.
    await b1.transport.stop()
    forgetNode(b1.core)
    c.nodes.delete('b')
    await c.until(() => a.nodes().length === 0, 5000)
    const b2 = await c.add('b', ['a'], { creation: 2 })
    await b2.joined
    await c.until(() => ups.includes(2))
    expect(a.nodes()).toHaveLength(1)
  })
})
