import { afterEach, describe, expect, it } from 'vitest'
import { exit, send } from '@gen-cluster/core'
import type { MemCluster } from './helpers.js'
import { isChange, membersEverywhere, pgCluster, probe, proc, scopeMonitors, scopeTables, updates } from './pg-fixtures.js'

let c: MemCluster | undefined
afterEach(async () => { await c?.stopAll() })

describe('process groups: monitorGroup and monitorScope', () => {
  it('gives the current members, then each join and leave of the group in order, exactly once', async () => {
    const cl = await pgCluster(['a', 'b'])
    c = cl.c
    const [a1, a2, b1, other] = [proc(cl.node('a')), proc(cl.node('a')), proc(cl.node('b')), proc(cl.node('b'))]
    await cl.pg('a').join('g', a1)
    await membersEverywhere(c, cl.pgs, 'g', [a1])
    const w = probe(cl.node('b').core)
    const { ref, members } = await w.run(async () => await cl.pg('b').monitorGroup('g'))
    expect(members).toEqual([a1])

    await cl.pg('a').join('g', a2)
    await membersEverywhere(c, cl.pgs, 'g', [a1, a2])
    await cl.pg('b').join('g', [b1, b1])
    await cl.pg('b').join('elsewhere', other)
    await cl.pg('a').leave('g', a1)
    await membersEverywhere(c, cl.pgs, 'g', [a2, b1, b1])
    send(b1, 'stop')
    await membersEverywhere(c, cl.pgs, 'g', [a2])
    await c.clock.advance(5000)

    expect(updates(w)).toEqual([
      ['pg:join', 'g', [a2]],
      ['pg:join', 'g', [b1, b1]],
      ['pg:leave', 'g', [a1]],
      ['pg:leave', 'g', [b1, b1]]
    ])
    expect(w.messages.filter(isChange).every(m => m.ref.equals(ref) && m.scope === 'default')).toBe(true)
  })

  it('tells a scope watcher the changes of every group, after the members of each at the start', async () => {
    const cl = await pgCluster(['a', 'b'])
    c = cl.c
    const [a1, b1, b2] = [proc(cl.node('a')), proc(cl.node('b')), proc(cl.node('b'))]
    await cl.pg('b').join('x', b1)
    await membersEverywhere(c, cl.pgs, 'x', [b1])
    const w = probe(cl.node('a').core)
    const { groups } = await w.run(async () => await cl.pg('a').monitorScope())
    expect([...groups]).toEqual([['x', [b1]]])

    await cl.pg('b').join('y', b2)
    await membersEverywhere(c, cl.pgs, 'y', [b2])
    await cl.pg('a').join('x', a1)
    await membersEverywhere(c, cl.pgs, 'x', [a1, b1])
    await cl.pg('b').leave('x', b1)
    await membersEverywhere(c, cl.pgs, 'x', [a1])
    await c.clock.advance(5000)
    expect(updates(w)).toEqual([['pg:join', 'y', [b2]], ['pg:join', 'x', [a1]], ['pg:leave', 'x', [b1]]])
  })

  it('sends one leave for the members of a node that goes down, and one join when it comes back', async () => {
    const cl = await pgCluster(['a', 'b', 'c'])
    c = cl.c
    const c1 = proc(cl.node('c'))
    await cl.pg('c').join('g', [c1, c1])
    await membersEverywhere(c, cl.pgs, 'g', [c1, c1])
    const w = probe(cl.node('a').core)
    await w.run(async () => await cl.pg('a').monitorGroup('g'))

    c.net.cut(cl.node('a').name, cl.node('c').name, { silent: false })
    await membersEverywhere(c, [cl.pg('a')], 'g', [])
    c.net.heal(cl.node('a').name, cl.node('c').name)
    await membersEverywhere(c, [cl.pg('a')], 'g', [c1, c1])
    await c.clock.advance(5000)
    expect(updates(w)).toEqual([['pg:leave', 'g', [c1, c1]], ['pg:join', 'g', [c1, c1]]])
  })

  it('updates a watcher on another node, and forgets it when that node goes down', async () => {
    const cl = await pgCluster(['a', 'b'])
    c = cl.c
    const pgA = cl.pg('a')
    const w = probe(cl.node('b').core)
    const { ref } = await w.run(async () => await pgA.monitorGroup('g'))
    const a1 = proc(cl.node('a'))
    await pgA.join('g', a1)
    await c.until(() => updates(w).length === 1)
    expect(updates(w)).toEqual([['pg:join', 'g', [a1]]])
    expect(w.messages.filter(isChange)[0]?.ref.equals(ref)).toBe(true)
    expect(await scopeTables(pgA)).toMatchObject({ watches: 1, watchers: 1 })

    c.net.cut(cl.node('a').name, cl.node('b').name, { silent: false })
    await c.until(() => cl.node('a').nodes().length === 0)
    await c.clock.advance(10)
    expect(await scopeTables(pgA)).toEqual({ members: 1, watches: 0, watchers: 0, watchedGroups: 0, peers: 0 })
  })

  it('stops the updates after demonitorGroup, and forgets a watcher that exits', async () => {
    const cl = await pgCluster(['a', 'b'])
    c = cl.c
    const pgA = cl.pg('a')
    const baseline = scopeMonitors(pgA)
    const w = probe(cl.node('a').core)
    const first = await w.run(async () => await pgA.monitorGroup('g'))
    const second = await w.run(async () => await pgA.monitorGroup('g'))
    expect(scopeMonitors(pgA)).toBe(baseline + 1)
    expect(await pgA.demonitorGroup(first.ref)).toBe(true)
    expect(await pgA.demonitorGroup(first.ref)).toBe(false)

    const a1 = proc(cl.node('a'))
    await pgA.join('g', a1)
    await c.clock.advance(100)
    expect(w.messages.filter(isChange).map(m => m.ref.key)).toEqual([second.ref.key])
    expect(scopeMonitors(pgA)).toBe(baseline + 2)
    expect(await pgA.demonitorGroup(second.ref)).toBe(true)
    expect(scopeMonitors(pgA)).toBe(baseline + 1)

    const leaver = probe(cl.node('a').core)
    await leaver.run(async () => await pgA.monitorScope())
    expect(scopeMonitors(pgA)).toBe(baseline + 2)
    exit(leaver.pid, 'kill')
    await c.clock.advance(10)
    expect(scopeMonitors(pgA)).toBe(baseline + 1)
    await pgA.leave('g', a1)
    expect(scopeMonitors(pgA)).toBe(baseline)
    expect(await scopeTables(pgA)).toEqual({ members: 0, watches: 0, watchers: 0, watchedGroups: 0, peers: 1 })
    await c.clock.advance(100)
    expect(w.messages.filter(isChange)).toHaveLength(1)
  })
})
