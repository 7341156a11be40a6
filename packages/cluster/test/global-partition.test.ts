/**
 * Partitions that registered one name on both sides, meeting again: each resolver settles it to the
 * same outcome on every node within a second of reconnection (virtual time), and the loser is told
 * (or exited) once, by its own node.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { monitor } from '@gen-cluster/core'
import type { DownMessage, Pid } from '@gen-cluster/core'
import type { Probe } from '@gen-cluster/core/testing'
import type { GlobalInit, Resolver } from '../src/global/index.js'
import type { GlobalCluster } from './global-kit.js'
import { allSay, conflicts, done, globalCluster, heal, holders, node, proc, reg, split } from './global-kit.js'

const LEFT = ['a', 'b']
const RIGHT = ['c', 'd']

let gc: GlobalCluster | undefined
afterEach(async () => {
  await gc?.cl.stopAll()
  gc = undefined
})

interface Clash { gc: GlobalCluster, early: Probe, late: Probe }

/**
 * Splits {a, b} | {c, d}, registers 'x' on the left (a pid on b) and, `gapMs` later, on the right (a
 * pid on d), checks that each side holds its own, then heals and waits for the mesh.
 */
async function clash (init: GlobalInit, gapMs = 10, beforeHeal: (c: Clash) => void = () => {}): Promise<Clash> {
  gc = await globalCluster([...LEFT, ...RIGHT], init)
  await split(gc, LEFT, RIGHT)
  const early = proc(gc, 'b')
  const late = proc(gc, 'd')
  expect(await done(gc.cl, reg(gc, 'a').registerName('x', early.pid))).toBe(true)
  await gc.cl.clock.advance(gapMs)
  expect(await done(gc.cl, reg(gc, 'c').registerName('x', late.pid))).toBe(true)
  // During the split each side has its own holder, as in Erlang.
  expect(holders(gc, 'x')).toEqual([early.pid, early.pid, late.pid, late.pid].map(String))
  beforeHeal({ gc, early, late })
  await heal(gc, LEFT, RIGHT)
  return { gc, early, late }
}

/** Waits (at most 1 s of virtual time) until every node says `pid` holds 'x'; then lets 3 s more pass. */
async function settlesOn (g: GlobalCluster, pid: Pid | undefined): Promise<void> {
  await g.cl.until(() => allSay(g, 'x', pid), 1000, 1)
  await g.cl.clock.advance(3000)
  expect(allSay(g, 'x', pid)).toBe(true)
}

/** Cuts a, b and c apart, registers 'x' on each (a first), heals, and waits for the mesh. */
async function threeSides (resolver: Resolver): Promise<{ g: GlobalCluster, ps: Probe[] }> {
  gc = await globalCluster(['a', 'b', 'c'], { resolver })
  const g = gc
  const pairs = [['a', 'b'], ['a', 'c'], ['b', 'c']] as const
  for (const [x, y] of pairs) g.cl.net.cut(node(g, x).name, node(g, y).name, { silent: false })
  await g.cl.until(() => g.names.every(x => node(g, x).nodes().length === 0))
  const ps = g.names.map(x => proc(g, x))
  for (const [i, x] of g.names.entries()) {
    expect(await done(g.cl, reg(g, x).registerName('x', (ps[i] as Probe).pid))).toBe(true)
    await g.cl.clock.advance(5)
  }
  for (const [x, y] of pairs) g.cl.net.heal(node(g, x).name, node(g, y).name)
  await g.cl.until(() => g.names.every(x => node(g, x).nodes().length === 2), 10_000, 1)
  return { g, ps }
}

describe('global names when partitions meet again', () => {
  it("keeps the earlier registration under 'notify' and tells the other pid once", async () => {
    const { gc, early, late } = await clash({}, 10, (c) => {
      // A name registered on one side only simply spreads when the sides meet.
      void reg(c.gc, 'd').registerName('right-only', c.late.pid)
    })
    await settlesOn(gc, early.pid)
    expect(allSay(gc, 'right-only', late.pid)).toBe(true)
    const told = conflicts(late)
    expect(told).toHaveLength(1)
    expect(told[0]).toMatchObject({ type: 'name:conflict', name: 'x' })
    expect(told[0]?.kept?.equals(early.pid)).toBe(true)
    expect(conflicts(early)).toEqual([])
    expect(late.alive).toBe(true)
  })

  it('breaks a tie of stamps by node name, the same way on every node', async () => {
    const { gc, early, late } = await clash({}, 0)
    await settlesOn(gc, early.pid) // b@… sorts before d@…
    expect(conflicts(late)).toHaveLength(1)
    expect(conflicts(early)).toHaveLength(0)
  })

  it("exits the later registration's pid with { shutdown: 'name conflict' } under 'exit'", async () => {
    let watcher: Probe | undefined
    const { gc: g, early, late } = await clash({ resolver: 'exit' }, 10, (c) => {
      watcher = proc(c.gc, 'c')
      watcher.run(() => monitor(c.late.pid))
    })
    await settlesOn(g, early.pid)
    const downs = watcher?.messages.filter(m => (m as DownMessage).type === 'DOWN') as DownMessage[]
    expect(downs).toHaveLength(1)
    expect(downs[0]?.reason).toEqual({ shutdown: 'name conflict' })
    expect(late.alive).toBe(false)
    expect(early.alive).toBe(true)
    expect(conflicts(late)).toEqual([])
  })

  it("unregisters both under 'unregisterBoth' and tells each pid once", async () => {
    const { gc, early, late } = await clash({ resolver: 'unregisterBoth' })
    await settlesOn(gc, undefined)
    for (const p of [early, late]) {
      expect(conflicts(p)).toHaveLength(1)
      expect(conflicts(p)[0]).toEqual({ type: 'name:conflict', name: 'x', kept: null })
    }
    expect(gc.names.map(x => reg(gc, x).registeredNames())).toEqual([[], [], [], []])
  })

  it("keeps what a custom resolver picks ('b': the later) and tells the other once", async () => {
    const seen: string[] = []
    const resolver: Resolver = (name, a, b) => {
      seen.push(`${name} ${a.node < b.node ? 'ordered' : 'reversed'}`)
      return 'b'
    }
    const { gc, early, late } = await clash({ resolver })
    await settlesOn(gc, late.pid)
    expect(conflicts(early)).toHaveLength(1)
    expect(conflicts(early)[0]?.kept?.equals(late.pid)).toBe(true)
    expect(conflicts(late)).toEqual([])
    // Every call got the earlier registration (on b) as `a`.
    expect(new Set(seen)).toEqual(new Set(['x ordered']))
  })

  it("unregisters both when a custom resolver answers 'none'", async () => {
    const { gc, early, late } = await clash({ resolver: () => 'none' })
    await settlesOn(gc, undefined)
    expect(conflicts(early)).toHaveLength(1)
    expect(conflicts(late)).toHaveLength(1)
  })

  it('keeps the earlier registration when a custom resolver throws', async () => {
    const { gc, early, late } = await clash({ resolver: () => { throw new Error('resolver bug') } })
    await settlesOn(gc, early.pid)
    expect(conflicts(late)).toHaveLength(1)
  })

  it('settles a name held on three sides to the earliest under notify, everywhere, each loser told once', async () => {
    const { g, ps } = await threeSides('notify')
    await settlesOn(g, (ps[0] as Probe).pid)
    expect(ps.map(p => conflicts(p).length)).toEqual([0, 1, 1])
  })

  it('settles a name held on three sides pair by pair under unregisterBoth, as Erlang does: every node agrees, each loser told once', async () => {
    const { g, ps } = await threeSides('unregisterBoth')
    // The first two sides to meet drop it; a third side that meets them afterwards finds no clash.
    await g.cl.clock.advance(1000)
    const holder = reg(g, 'a').whereisName('x')
    await settlesOn(g, holder)
    expect(ps.map(p => conflicts(p).length)).toEqual(ps.map(p => p.pid.equals(holder) ? 0 : 1))
    expect(ps.filter(p => conflicts(p).length === 1).length).toBeGreaterThanOrEqual(2)
  })
})
