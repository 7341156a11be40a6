import { afterEach, describe, expect, it } from 'vitest'
import { exit, send } from '@gen-cluster/core'
import type { MemCluster } from './helpers.js'
import { membersEverywhere, pgCluster, proc, scopeMonitors, scopeTables } from './pg-fixtures.js'

let c: MemCluster | undefined
afterEach(async () => { await c?.stopAll() })

describe('process groups: join, leave and exits', () => {
  it('shows a join on every node, sorted by node then pid, and the leave everywhere once undone', async () => {
    const cl = await pgCluster(['a', 'b', 'c'])
    c = cl.c
    const [pgA, pgB, pgC] = [cl.pg('a'), cl.pg('b'), cl.pg('c')]
    const b1 = proc(cl.node('b'))
    const a1 = proc(cl.node('a'))
    const a2 = proc(cl.node('a'))
    await pgB.join('chat', b1)
    await pgA.join('chat', [a2, a1])
    await membersEverywhere(c, cl.pgs, 'chat', [a1, a2, b1])
    expect(pgA.localMembers('chat')).toEqual([a1, a2])
    expect(pgB.localMembers('chat')).toEqual([b1])
    expect(pgC.localMembers('chat')).toEqual([])
    expect(pgC.whichGroups()).toEqual(['chat'])

    expect(await pgA.leave('chat', a1)).toBe(true)
    await membersEverywhere(c, cl.pgs, 'chat', [a2, b1])
    await pgA.leave('chat', a2)
    await pgB.leave('chat', b1)
    await membersEverywhere(c, cl.pgs, 'chat', [])
    expect(cl.pgs.map(pg => pg.whichGroups())).toEqual([[], [], []])
  })

  it('counts joins: a process joined twice is listed twice and stays until its second leave', async () => {
    const cl = await pgCluster(['a', 'b'])
    c = cl.c
    const [pgA, pgB] = [cl.pg('a'), cl.pg('b')]
    const p = proc(cl.node('a'))
    await pgA.join('g', p)
    await pgA.join('g', [p])
    await membersEverywhere(c, cl.pgs, 'g', [p, p])
    expect(await pgA.leave('g', p)).toBe(true)
    await membersEverywhere(c, cl.pgs, 'g', [p])
    expect(await pgA.leave('g', p)).toBe(true)
    await membersEverywhere(c, cl.pgs, 'g', [])
    expect(await pgA.leave('g', p)).toBe(false)
    expect(pgB.whichGroups()).toEqual([])
  })

  it('puts one process in several groups, and lists the groups with members, sorted', async () => {
    const cl = await pgCluster(['a', 'b'])
    c = cl.c
    const [pgA, pgB] = [cl.pg('a'), cl.pg('b')]
    const p = proc(cl.node('a'))
    await pgA.join('zeta', p)
    await pgA.join('alpha', p)
    await pgA.join('mid', p)
    await c.until(() => pgB.whichGroups().length === 3)
    expect(pgB.whichGroups()).toEqual(['alpha', 'mid', 'zeta'])
    expect(['alpha', 'mid', 'zeta'].map(g => pgB.members(g))).toEqual([[p], [p], [p]])
    await pgA.leave('mid', p)
    await c.until(() => pgB.whichGroups().length === 2)
    expect(pgB.whichGroups()).toEqual(['alpha', 'zeta'])
  })

  it('removes a member that exits from every group on every node, and stops monitoring it', async () => {
    const cl = await pgCluster(['a', 'b', 'c'])
    c = cl.c
    const [pgA, pgB] = [cl.pg('a'), cl.pg('b')]
    const peersMonitored = scopeMonitors(pgA)
    expect(peersMonitored).toBe(2)
    const dies = proc(cl.node('a'))
    const stays = proc(cl.node('a'))
    await pgA.join('x', [dies, dies, stays])
    await pgA.join('y', dies)
    await membersEverywhere(c, cl.pgs, 'x', [dies, dies, stays].sort((p, q) => p.id - q.id))
    await membersEverywhere(c, cl.pgs, 'y', [dies])
    expect(scopeMonitors(pgA)).toBe(peersMonitored + 2)

    send(dies, 'stop')
    await membersEverywhere(c, cl.pgs, 'x', [stays])
    await membersEverywhere(c, cl.pgs, 'y', [])
    expect(pgB.whichGroups()).toEqual(['x'])
    expect(scopeMonitors(pgA)).toBe(peersMonitored + 1)
    await pgA.leave('x', stays)
    expect(scopeMonitors(pgA)).toBe(peersMonitored)
    expect(await scopeTables(pgA)).toEqual({ members: 0, watches: 0, watchers: 0, watchedGroups: 0, peers: 2 })
  })

  it('takes a join of a process that is already dead, and drops it at once', async () => {
    const cl = await pgCluster(['a', 'b'])
    c = cl.c
    const pgA = cl.pg('a')
    const dead = proc(cl.node('a'))
    exit(dead, 'kill')
    await c.clock.advance(10)
    const peersMonitored = scopeMonitors(pgA)
    await pgA.join('g', dead)
    await c.clock.advance(50)
    expect(cl.pgs.map(pg => pg.members('g'))).toEqual([[], []])
    expect(scopeMonitors(pgA)).toBe(peersMonitored)
  })
})
