/**
 * What Erlang's `global` has besides names, for gen-cluster nodes: `reRegisterName` (no moment
 * without a holder) and global locks (`setLock` / `delLock` / `trans`), released when the holder
 * dies or its node goes down. In-memory nodes, virtual clock.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { call, defineServer, start } from '@gen-cluster/core'
import type { ServerTypes } from '@gen-cluster/core'
import { globalName, GLOBAL_SERVER_NAME } from '../src/global/index.js'
import { Op } from '../src/protocol.js'
import type { GlobalCluster } from './global-kit.js'
import { allSay, done, globalCluster, holders, node, proc, reg } from './global-kit.js'

let gc: GlobalCluster | undefined
afterEach(async () => {
  await gc?.cl.stopAll()
  gc = undefined
})

describe('reRegisterName', () => {
  it('moves a name to another pid on every node, never leaving it without a holder, and answers false for a dead pid', async () => {
    gc = await globalCluster(['a', 'b', 'c'])
    const cluster = gc
    const first = proc(gc, 'b')
    const second = proc(gc, 'c')
    expect(await done(gc.cl, reg(gc, 'a').registerName('x', first.pid))).toBe(true)
    const seen: string[][] = []
    let finished = false
    const moving = reg(gc, 'b').reRegisterName('x', second.pid).finally(() => { finished = true })
    while (!finished) {
      seen.push(holders(cluster, 'x'))
      await gc.cl.clock.advance(1)
    }
    expect(await moving).toBe(true)
    expect(allSay(gc, 'x', second.pid)).toBe(true)
    expect(seen.flat().every(h => h === first.pid.toString() || h === second.pid.toString())).toBe(true)
    // The old holder's exit no longer drops the name.
    node(gc, 'b').core.terminate(node(gc, 'b').core.lookup(first.pid)!, 'shutdown')
    await gc.cl.clock.advance(50)
    expect(allSay(gc, 'x', second.pid)).toBe(true)
    const dead = proc(gc, 'a')
    node(gc, 'a').core.terminate(node(gc, 'a').core.lookup(dead.pid)!, 'shutdown')
    expect(await done(gc.cl, reg(gc, 'a').reRegisterName('x', dead.pid))).toBe(false)
    expect(allSay(gc, 'x', second.pid)).toBe(true)
  })

  it('registers a free name, as registerName does', async () => {
    gc = await globalCluster(['a', 'b'])
    const p = proc(gc, 'b')
    expect(await done(gc.cl, reg(gc, 'a').reRegisterName('free', p.pid))).toBe(true)
    expect(allSay(gc, 'free', p.pid)).toBe(true)
  })
})

describe('global locks', () => {
  it('grants a lock to one requester on every node; another is refused until it is given back', async () => {
    gc = await globalCluster(['a', 'b', 'c'])
    const pa = proc(gc, 'a')
    const pb = proc(gc, 'b')
    expect(await done(gc.cl, pa.run(async () => await reg(gc!, 'a').setLock('db')))).toBe(true)
    expect(gc.names.map(x => reg(gc!, x).locks().map(l => [l.resource, l.holders.map(String)]))).toEqual([
      [['db', [pa.pid.toString()]]], [['db', [pa.pid.toString()]]], [['db', [pa.pid.toString()]]]
    ])
    expect(await done(gc.cl, pb.run(async () => await reg(gc!, 'b').setLock('db', { retries: 2 })))).toBe(false)
    // Nothing of the refused attempts stays behind.
    expect(reg(gc, 'c').locks().map(l => l.holders.length)).toEqual([1])
    const waiting = pb.run(async () => await reg(gc!, 'b').setLock('db'))
    await gc.cl.clock.advance(100)
    await done(gc.cl, pa.run(async () => { await reg(gc!, 'a').delLock('db') }))
    expect(await done(gc.cl, waiting)).toBe(true)
    expect(reg(gc, 'a').locks()[0]?.holders).toEqual([pb.pid])
  })

  it('lets holders with the same requester share a lock', async () => {
    gc = await globalCluster(['a', 'b'])
    const p1 = proc(gc, 'a')
    const p2 = proc(gc, 'b')
    expect(await done(gc.cl, p1.run(async () => await reg(gc!, 'a').setLock('r', { requester: 'team' })))).toBe(true)
    expect(await done(gc.cl, p2.run(async () => await reg(gc!, 'b').setLock('r', { requester: 'team', retries: 0 })))).toBe(true)
    expect(reg(gc, 'a').locks()[0]?.holders.length).toBe(2)
  })

  it('releases the locks of a holder that exits, and of one whose node goes down', async () => {
    gc = await globalCluster(['a', 'b', 'c'])
    const pa = proc(gc, 'a')
    expect(await done(gc.cl, pa.run(async () => await reg(gc!, 'a').setLock('x')))).toBe(true)
    node(gc, 'a').core.terminate(node(gc, 'a').core.lookup(pa.pid)!, 'shutdown')
    await gc.cl.clock.advance(20)
    expect(gc.names.map(x => reg(gc!, x).locks().length)).toEqual([0, 0, 0])
    const pb = proc(gc, 'b')
    expect(await done(gc.cl, pb.run(async () => await reg(gc!, 'b').setLock('y')))).toBe(true)
    for (const x of ['a', 'c']) gc.cl.net.cut(node(gc, 'b').name, node(gc, x).name, { silent: false })
    await gc.cl.until(() => node(gc!, 'a').nodes().length === 1)
    expect(reg(gc, 'a').locks()).toEqual([])
    expect(reg(gc, 'c').locks()).toEqual([])
  })

  it('runs a function under the lock with trans, gives it back however it ends, and aborts with LockAbortedError', async () => {
    gc = await globalCluster(['a', 'b'])
    const pa = proc(gc, 'a')
    const pb = proc(gc, 'b')
    const inside = await done(gc.cl, pa.run(async () => await reg(gc!, 'a').trans('t', () => reg(gc!, 'b').locks().length)))
    expect(inside).toBe(1)
    expect(reg(gc, 'b').locks()).toEqual([])
    await expect(done(gc.cl, pa.run(async () => await reg(gc!, 'a').trans('t', () => { throw new Error('inner') })))).rejects.toThrow('inner')
    expect(reg(gc, 'a').locks()).toEqual([])
    await done(gc.cl, pa.run(async () => await reg(gc!, 'a').setLock('t')))
    let ran = false
    await expect(done(gc.cl, pb.run(async () => await reg(gc!, 'b').trans('t', () => { ran = true }, { retries: 1 })))).rejects.toMatchObject({ name: 'LockAbortedError', resource: 't' })
    expect(ran).toBe(false)
  })

  it('refuses bad input with a typed error that states the rule, and a peer locking for a pid of another node', async () => {
    gc = await globalCluster(['a', 'b'])
    const pa = proc(gc, 'a')
    const r = reg(gc, 'a')
    await expect(r.setLock('x')).rejects.toMatchObject({ name: 'NotInProcessError' })
    await expect(pa.run(async () => await r.setLock(''))).rejects.toMatchObject({ name: 'InvalidNameError' })
    await expect(pa.run(async () => await r.setLock('x', { retries: -1 }))).rejects.toMatchObject({ name: 'InvalidOptionError', option: 'retries' })
    await expect(pa.run(async () => await r.setLock('x', { requester: '' }))).rejects.toMatchObject({ name: 'InvalidOptionError', option: 'requester' })
    await expect(r.setLock('x', { holder: proc(gc, 'b').pid })).rejects.toMatchObject({ name: 'InvalidOptionError', option: 'holder' })
    // A's server takes no lock that b asks for a process of a.
    const forged = await done(gc.cl, proc(gc, 'b').run(async () => await call({ name: GLOBAL_SERVER_NAME, node: node(gc!, 'a').name }, { type: 'lock', resource: 'x', requester: 'r', pid: pa.pid })))
    expect(forged).toBe('invalid')
    expect(r.locks()).toEqual([])
  })
})

describe('global locks with slow, missing and lying nodes', () => {
  it('gives a lock back on a node whose answer timed out (it may be granted there later), so the next requester gets it', async () => {
    gc = await globalCluster(['a', 'b'], { peerTimeoutMs: 50 })
    const pa = proc(gc, 'a')
    const pb = proc(gc, 'b')
    gc.cl.net.latencyMs = 40   // a round trip of 80 ms: b's grant comes after a gave up on it
    expect(await done(gc.cl, pa.run(async () => await reg(gc!, 'a').setLock('r', { retries: 0 })))).toBe(false)
    await gc.cl.clock.advance(200)
    gc.cl.net.latencyMs = 0
    expect(reg(gc, 'a').locks()).toEqual([])
    expect(reg(gc, 'b').locks()).toEqual([])
    expect(await done(gc.cl, pb.run(async () => await reg(gc!, 'b').setLock('r', { retries: 0 })))).toBe(true)
  })

  it('leaves a node of `nodes` that is not connected out, as global:set_lock ignores bad nodes', async () => {
    gc = await globalCluster(['a', 'b'])
    const pa = proc(gc, 'a')
    expect(await done(gc.cl, pa.run(async () => await reg(gc!, 'a').setLock('q', { retries: 0, nodes: [node(gc!, 'a').name, node(gc!, 'b').name, 'ghost@nowhere'] })))).toBe(true)
    expect(reg(gc, 'b').locks().map(l => l.resource)).toEqual(['q'])
  })

  it('takes no lock for a request whose ref names another node (a forged CALL), and closes that link', async () => {
    gc = await globalCluster(['a', 'b', 'c'])
    const pc = proc(gc, 'c')
    const b = node(gc, 'b')
    const a = node(gc, 'a')
    b.membership.peers.get(a.name)?.send({ op: Op.Call, to: GLOBAL_SERVER_NAME, request: { type: 'lock', resource: 'x', requester: 'evil', pid: pc.pid }, caller: undefined, ref: node(gc, 'c').core.makeRef() })
    await gc.cl.clock.advance(20)
    expect(reg(gc, 'a').locks()).toEqual([])
    expect(a.nodes()).not.toContain(b.name)
    expect(a.nodes()).toContain(node(gc, 'c').name)
  })
})

describe('typed global names', () => {
  it('calls a server through globalName<T>, typed and checked', async () => {
    gc = await globalCluster(['a', 'b'])
    interface Echo extends ServerTypes { state: null, calls: { echo: { request: { v: number }, reply: number } } }
    const echo = defineServer<Echo>({ init: () => ({ state: null }), handleCall: { echo: (r, _f, s) => ({ reply: r.v, state: s }) } })
    const ECHO = globalName<Echo>('echo')
    await done(gc.cl, start(echo, undefined, { node: node(gc, 'a'), name: ECHO }))
    await gc.cl.clock.advance(10)
    const n: number = await done(gc.cl, proc(gc, 'b').run(async () => await call(ECHO, { type: 'echo', v: 4 })))
    expect(n).toBe(4)
    expect(() => globalName('')).toThrow(expect.objectContaining({ name: 'InvalidNameError' }))
  })
})
