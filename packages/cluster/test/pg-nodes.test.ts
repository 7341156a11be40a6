import { afterEach, describe, expect, it } from 'vitest'
import { send } from '@gen-cluster/core'
import { startPg } from '../src/pg/index.js'
import type { MemCluster } from './helpers.js'
import { meshed, membersEverywhere, pgCluster, proc, scopeMonitors } from './pg-fixtures.js'

let c: MemCluster | undefined
afterEach(async () => { await c?.stopAll() })

describe('process groups across nodes: node-down, late joiners, partitions', () => {
  it('drops the members of a node cut off from the cluster on every surviving node, and keeps the rest', async () => {
    const cl = await pgCluster(['a', 'b', 'c'])
    c = cl.c
    const [a1, b1, c1] = [proc(cl.node('a')), proc(cl.node('b')), proc(cl.node('c'))]
    await cl.pg('a').join('g', a1)
    await cl.pg('b').join('g', b1)
    await cl.pg('c').join('g', c1)
    await membersEverywhere(c, cl.pgs, 'g', [a1, b1, c1])

    c.net.cut(cl.node('a').name, cl.node('c').name, { silent: false })
    c.net.cut(cl.node('b').name, cl.node('c').name, { silent: false })
    await membersEverywhere(c, [cl.pg('a'), cl.pg('b')], 'g', [a1, b1])
    await membersEverywhere(c, [cl.pg('c')], 'g', [c1])
    expect(cl.node('a').nodes()).toEqual([cl.node('b').name])
    expect(scopeMonitors(cl.pg('a'))).toBe(2)
  })

  it('gives a node that joins the cluster later the memberships that exist, and shows the others its own', async () => {
    const cl = await pgCluster(['a', 'b'])
    c = cl.c
    const [a1, b1] = [proc(cl.node('a')), proc(cl.node('b'))]
    await cl.pg('a').join('g', [a1, a1])
    await cl.pg('b').join('h', b1)
    const d = await c.add('d', ['a'])
    await meshed(c, [cl.node('a'), cl.node('b'), d])
    const pgD = await startPg(d)
    await membersEverywhere(c, [pgD], 'g', [a1, a1])
    await membersEverywhere(c, [pgD], 'h', [b1])
    const d1 = proc(d)
    await pgD.join('g', d1)
    await membersEverywhere(c, [...cl.pgs, pgD], 'g', [a1, a1, d1])
  })

  it('syncs a scope started before its node reached the cluster, once the node comes up', async () => {
    const cl = await pgCluster(['a', 'b'])
    c = cl.c
    const a1 = proc(cl.node('a'))
    await cl.pg('a').join('g', a1)
    const tag = cl.node('a').name.split('@')[1] as string
    c.net.cut(`d@${tag}`, cl.node('a').name)
    const d = await c.add('d', ['a'])
    const pgD = await startPg(d)
    const d1 = proc(d)
    await pgD.join('g', d1)
    expect(d.nodes()).toEqual([])
    expect(pgD.members('g')).toEqual([d1])

    c.net.heal(`d@${tag}`, cl.node('a').name)
    await meshed(c, [cl.node('a'), cl.node('b'), d])
    await membersEverywhere(c, [...cl.pgs, pgD], 'g', [a1, d1])
  })

  it('re-merges both sides of a healed partition, with the changes each side made while apart', async () => {
    const cl = await pgCluster(['a', 'b', 'c', 'd'])
    c = cl.c
    const [a0, a1, c0, c1] = [proc(cl.node('a')), proc(cl.node('a')), proc(cl.node('c')), proc(cl.node('c'))]
    await cl.pg('a').join('g', a0)
    await cl.pg('c').join('g', c0)
    await membersEverywhere(c, cl.pgs, 'g', [a0, c0])

    const left = [cl.node('a'), cl.node('b')]
    const right = [cl.node('c'), cl.node('d')]
    for (const x of left) for (const y of right) c.net.cut(x.name, y.name)
    await c.until(() => [...left, ...right].every(n => n.nodes().length === 1))
    send(a0, 'stop')
    await cl.pg('a').join('g', a1)
    await cl.pg('c').leave('g', c0)
    await cl.pg('c').join('g', [c1, c1])
    await membersEverywhere(c, [cl.pg('a'), cl.pg('b')], 'g', [a1])
    await membersEverywhere(c, [cl.pg('c'), cl.pg('d')], 'g', [c1, c1])

    for (const x of left) for (const y of right) c.net.heal(x.name, y.name)
    await meshed(c, cl.nodes)
    await membersEverywhere(c, cl.pgs, 'g', [a1, c1, c1])
    expect(cl.pgs.map(pg => pg.whichGroups())).toEqual([['g'], ['g'], ['g'], ['g']])
  })

  it('drops the members of a scope that stops while its node stays up', async () => {
    const cl = await pgCluster(['a', 'b'])
    c = cl.c
    const b1 = proc(cl.node('b'))
    await cl.pg('b').join('g', b1)
    await membersEverywhere(c, cl.pgs, 'g', [b1])
    expect(scopeMonitors(cl.pg('a'))).toBe(1)

    await cl.pg('b').stop()
    await membersEverywhere(c, [cl.pg('a')], 'g', [])
    expect(cl.node('a').nodes()).toEqual([cl.node('b').name])
    expect(scopeMonitors(cl.pg('a'))).toBe(0)
    expect(() => cl.pg('b').members('g')).toThrow(expect.objectContaining({ name: 'NoProcError' }))
  })
})
