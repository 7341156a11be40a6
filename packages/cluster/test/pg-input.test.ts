import { afterEach, describe, expect, it } from 'vitest'
import type { Pid } from '@gen-cluster/core'
import { startPg } from '../src/pg/index.js'
import type { MemCluster } from './helpers.js'
import { isChange, membersEverywhere, pgCluster, probe, proc, recordingLogger } from './pg-fixtures.js'

let c: MemCluster | undefined
afterEach(async () => { await c?.stopAll() })

describe('process groups: scopes, bad input and bad peers', () => {
  it('keeps scopes independent: a join in one is seen neither in another scope nor on a node without it', async () => {
    const cl = await pgCluster(['a', 'b', 'c'])
    c = cl.c
    const jobsA = await startPg(cl.node('a'), { scope: 'jobs' })
    const jobsB = await startPg(cl.node('b'), { scope: 'jobs' })
    expect(cl.node('b').core.whereis('gen_cluster.pg:jobs')?.equals(jobsB.pid)).toBe(true)
    const w = probe(cl.node('b').core)
    await w.run(async () => await jobsB.monitorGroup('g'))
    const [a1, a2] = [proc(cl.node('a')), proc(cl.node('a'))]
    await cl.pg('a').join('g', a1)
    await jobsA.join('g', a2)
    await membersEverywhere(c, cl.pgs, 'g', [a1])
    await membersEverywhere(c, [jobsA, jobsB], 'g', [a2])

    await jobsA.stop()
    await membersEverywhere(c, [jobsB], 'g', [])
    await c.clock.advance(100)
    expect(cl.pgs.map(pg => pg.members('g'))).toEqual([[a1], [a1], [a1]])
    expect(w.messages.filter(isChange).map(m => [m.type, m.scope, m.pids])).toEqual([['pg:join', 'jobs', [a2]], ['pg:leave', 'jobs', [a2]]])
    expect(cl.node('a').core.whereis('gen_cluster.pg:jobs')).toBeUndefined()
  })

  it('refuses a group that is not a non-empty string of at most 255 UTF-8 bytes with InvalidGroupError', async () => {
    const cl = await pgCluster(['a'])
    c = cl.c
    const pg = cl.pg('a')
    const p = proc(cl.node('a'))
    const bad: unknown[] = ['', 42, null, undefined, 'x'.repeat(256), '€'.repeat(86)]
    for (const group of bad) {
      await expect(pg.join(group as string, p)).rejects.toMatchObject({ name: 'InvalidGroupError', group })
      await expect(pg.leave(group as string, p)).rejects.toMatchObject({ name: 'InvalidGroupError' })
      await expect(pg.monitorGroup(group as string, { watcher: p })).rejects.toMatchObject({ name: 'InvalidGroupError' })
      expect(() => pg.members(group as string)).toThrow(expect.objectContaining({ name: 'InvalidGroupError' }))
      expect(() => pg.localMembers(group as string)).toThrow(expect.objectContaining({ name: 'InvalidGroupError' }))
    }
    await pg.join('€'.repeat(85), p)
    await pg.join('x'.repeat(255), p)
    expect(pg.whichGroups()).toEqual(['x'.repeat(255), '€'.repeat(85)])
  })

  it('refuses a member that is not a pid, or a process of another node, and joins nothing', async () => {
    const cl = await pgCluster(['a', 'b'])
    c = cl.c
    const pgA = cl.pg('a')
    const [a1, b1] = [proc(cl.node('a')), proc(cl.node('b'))]
    for (const member of ['x', null, {}, [a1, 'x'], [[a1]]]) {
      await expect(pgA.join('g', member as Pid)).rejects.toMatchObject({ name: 'InvalidGroupMemberError' })
      await expect(pgA.leave('g', member as Pid)).rejects.toMatchObject({ name: 'InvalidGroupMemberError' })
    }
    await expect(pgA.join('g', [a1, b1])).rejects.toMatchObject({ name: 'NotLocalMemberError', pid: b1.toString(), node: cl.node('a').name })
    await expect(pgA.leave('g', b1)).rejects.toMatchObject({ name: 'NotLocalMemberError' })
    await c.clock.advance(100)
    expect(cl.pgs.map(pg => pg.whichGroups())).toEqual([[], []])
  })

  it('refuses a bad scope name, a second start of a running scope, and a watcher that is not a pid', async () => {
    const cl = await pgCluster(['a'])
    c = cl.c
    for (const scope of ['', 7, 'y'.repeat(256)]) {
      await expect(startPg(cl.node('a'), { scope: scope as string })).rejects.toMatchObject({ name: 'InvalidOptionError', option: 'scope' })
    }
    await expect(startPg(cl.node('a'))).rejects.toMatchObject({ name: 'AlreadyStartedError' })
    await expect(cl.pg('a').monitorGroup('g', { watcher: 'me' as unknown as Pid })).rejects.toMatchObject({ name: 'InvalidOptionError', option: 'watcher' })
    await expect(cl.pg('a').monitorGroup('g')).rejects.toMatchObject({ name: 'NotInProcessError' })
  })

  it('logs and drops each peer message of unknown shape, carries on, and reads a newer version it understands', async () => {
    const lines: string[] = []
    const cl = await pgCluster(['a', 'b'], {}, { a: recordingLogger(lines) })
    c = cl.c
    const [pgA, pgB] = [cl.pg('a'), cl.pg('b')]
    const [a1, b1] = [proc(cl.node('a')), proc(cl.node('b'))]
    const toA = { name: 'gen_cluster.pg:default', node: cl.node('a').name }
    const hostile: unknown[] = [
      'hello',
      { op: 'join', scope: pgB.pid, group: 'g', pids: [b1] },
      { pg: 1, op: 'explode', scope: pgB.pid },
      { pg: 1, op: 'join', scope: 'b', group: 'g', pids: [b1] },
      { pg: 1, op: 'discover', scope: pgA.pid },
      { pg: 1, op: 'join', scope: pgB.pid, group: 'g', pids: [a1] },
      { pg: 1, op: 'leave', scope: pgB.pid, group: '', pids: [b1] },
      { pg: 1, op: 'sync', scope: pgB.pid, groups: [['g', [b1]], ['g', [b1]]] },
      { pg: 1, op: 'sync', scope: pgB.pid, groups: { g: [b1] } }
    ]
    for (const m of hostile) cl.node('b').core.send(toA, m, undefined)
    await c.clock.advance(100)
    expect(lines).toEqual([
      'warn unexpected message dropped not a pg message',
      'warn unexpected message dropped not a pg message',
      'warn unexpected message dropped unknown op explode',
      'warn unexpected message dropped scope is not a pid',
      'warn unexpected message dropped scope is a pid of this node',
      `warn unexpected message dropped pids are not pids of ${cl.node('b').name}`,
      'warn unexpected message dropped group is not a valid group name',
      'warn unexpected message dropped group "g" is listed twice',
      'warn unexpected message dropped groups is not an array'
    ])
    expect(pgA.whichGroups()).toEqual([])

    cl.node('b').core.send(toA, { pg: 2, op: 'join', scope: pgB.pid, group: 'g', pids: [b1], priority: 'high' }, undefined)
    await pgA.join('g', a1)
    await membersEverywhere(c, [pgA], 'g', [a1, b1])
    expect(lines).toHaveLength(9)
  })
})
