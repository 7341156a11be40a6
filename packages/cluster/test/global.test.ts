/**
 * The global registry inside one connected cluster (in-memory nodes, virtual clock): what
 * `registerName` guarantees when it resolves, races, and names vanishing with their process or node.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { Pid, spawn } from '@gen-cluster/core'
import { startGlobal } from '../src/global/index.js'
import type { GlobalCluster } from './global-kit.js'
import { allSay, done, globalCluster, holders, node, proc, reg } from './global-kit.js'

let gc: GlobalCluster | undefined
afterEach(async () => {
  await gc?.cl.stopAll()
  gc = undefined
})

describe('global registry in a connected cluster', () => {
  it('makes a name visible on every node by the time registerName resolves true, from the coordinator or another node', async () => {
    gc = await globalCluster(['a', 'b', 'c'])
    gc.cl.net.latencyMs = 5
    const cluster = gc
    for (const [from, name] of [['a', 'x'], ['b', 'y']] as const) {
      const target = proc(cluster, 'c')
      // Read every replica in the same turn the promise resolves in: nothing may still be on its way.
      const seen = await done(cluster.cl, reg(cluster, from).registerName(name, target.pid).then(ok => ({ ok, where: holders(cluster, name) })))
      expect(seen).toEqual({ ok: true, where: [target.pid.toString(), target.pid.toString(), target.pid.toString()] })
    }
    expect(reg(gc, 'a').registeredNames()).toEqual(['x', 'y'])
  })

  it('gives exactly one true when all five nodes register one name at once, and every node agrees on it', async () => {
    gc = await globalCluster(['a', 'b', 'c', 'd', 'e'])
    const cluster = gc
    const pids = gc.names.map(x => proc(cluster, x).pid)
    const answers = await done(gc.cl, Promise.all(gc.names.map((x, i) => reg(cluster, x).registerName('x', pids[i] as Pid))))
    expect(answers.filter(a => a)).toHaveLength(1)
    const winner = pids[answers.indexOf(true)] as Pid
    expect(allSay(gc, 'x', winner)).toBe(true)
    await gc.cl.clock.advance(1000)
    expect(allSay(gc, 'x', winner)).toBe(true)
  })

  it('answers false for a name another pid holds, and true when the holder registers it again', async () => {
    gc = await globalCluster(['a', 'b'])
    const first = proc(gc, 'a')
    const second = proc(gc, 'b')
    expect(await done(gc.cl, reg(gc, 'a').registerName('x', first.pid))).toBe(true)
    expect(await done(gc.cl, reg(gc, 'b').registerName('x', second.pid))).toBe(false)
    expect(await done(gc.cl, reg(gc, 'b').registerName('x', first.pid))).toBe(true)
    expect(allSay(gc, 'x', first.pid)).toBe(true)
  })

  it('lets one pid hold several names', async () => {
    gc = await globalCluster(['a', 'b'])
    const p = proc(gc, 'b')
    expect(await done(gc.cl, reg(gc, 'a').registerName('x', p.pid))).toBe(true)
    expect(await done(gc.cl, reg(gc, 'a').registerName('y', p.pid))).toBe(true)
    expect(reg(gc, 'b').registeredNames()).toEqual(['x', 'y'])
  })

  it('removes a name from every node when its process exits, normally or by a crash', async () => {
    gc = await globalCluster(['a', 'b', 'c'])
    const quiet = spawn(async ({ receive }) => { await receive() }, { node: node(gc, 'c').core })
    const crashing = spawn(async ({ receive }) => { await receive(); throw new Error('boom') }, { node: node(gc, 'b').core })
    expect(await done(gc.cl, reg(gc, 'a').registerName('quiet', quiet))).toBe(true)
    expect(await done(gc.cl, reg(gc, 'a').registerName('crashing', crashing))).toBe(true)
    node(gc, 'c').core.send(quiet, 'go', undefined)
    node(gc, 'b').core.send(crashing, 'go', undefined)
    const cluster = gc
    await gc.cl.until(() => allSay(cluster, 'quiet', undefined) && allSay(cluster, 'crashing', undefined), 100)
    expect(gc.names.map(x => reg(cluster, x).registeredNames())).toEqual([[], [], []])
  })

  it('removes the names of a node from every node when it goes down, by leaving or by going silent', async () => {
    gc = await globalCluster(['a', 'b', 'c', 'd'])
    expect(await done(gc.cl, reg(gc, 'a').registerName('on-c', proc(gc, 'c').pid))).toBe(true)
    expect(await done(gc.cl, reg(gc, 'a').registerName('on-d', proc(gc, 'd').pid))).toBe(true)
    expect(await done(gc.cl, reg(gc, 'a').registerName('on-b', proc(gc, 'b').pid))).toBe(true)
    await node(gc, 'c').stop()
    for (const x of ['a', 'b']) gc.cl.net.cut(node(gc, 'd').name, node(gc, x).name) // silent: the failure detector finds it
    const cluster = gc
    await gc.cl.until(() => ['a', 'b'].every(x => reg(cluster, x).registeredNames().join() === 'on-b'), 5000)
    expect(reg(gc, 'a').whereisName('on-c')).toBeUndefined()
    expect(reg(gc, 'b').whereisName('on-d')).toBeUndefined()
  })

  it('unregisters a name from any node: gone everywhere when unregisterName resolves', async () => {
    gc = await globalCluster(['a', 'b', 'c'])
    const p = proc(gc, 'c')
    expect(await done(gc.cl, reg(gc, 'a').registerName('x', p.pid))).toBe(true)
    const cluster = gc
    const after = await done(gc.cl, reg(gc, 'b').unregisterName('x').then(() => holders(cluster, 'x')))
    expect(after).toEqual(['-', '-', '-'])
    await done(gc.cl, reg(gc, 'b').unregisterName('x')) // nobody holds it: a no-op
    expect(await done(gc.cl, reg(gc, 'b').registerName('x', proc(gc, 'b').pid))).toBe(true)
  })

  it('answers false for a dead pid, and NodeDownError for a pid of a node that is not connected', async () => {
    gc = await globalCluster(['a', 'b'])
    const dead = spawn(() => {}, { node: node(gc, 'b').core })
    await gc.cl.clock.advance(1)
    expect(await done(gc.cl, reg(gc, 'a').registerName('x', dead))).toBe(false)
    expect(await done(gc.cl, reg(gc, 'b').registerName('x', dead))).toBe(false)
    const elsewhere = new Pid('zz@nowhere', 1, 1)
    await expect(done(gc.cl, reg(gc, 'a').registerName('x', elsewhere))).rejects.toMatchObject({ name: 'NodeDownError', node: 'zz@nowhere' })
    expect(allSay(gc, 'x', undefined)).toBe(true)
  })

  it('sends to a global name with sendName, and throws NoProcError for a name nobody holds', async () => {
    gc = await globalCluster(['a', 'b'])
    const p = proc(gc, 'b')
    expect(await done(gc.cl, reg(gc, 'a').registerName('x', p.pid))).toBe(true)
    reg(gc, 'a').sendName('x', { hello: 1 })
    await gc.cl.clock.advance(1)
    expect(p.messages).toEqual([{ hello: 1 }])
    expect(() => { reg(gc!, 'a').sendName('nobody', 1) }).toThrow(expect.objectContaining({ name: 'NoProcError' }))
  })

  it('teaches a node whose registry starts after it joined the names the others hold', async () => {
    gc = await globalCluster(['a', 'b'])
    const p = proc(gc, 'b')
    expect(await done(gc.cl, reg(gc, 'a').registerName('x', p.pid))).toBe(true)
    const late = await gc.cl.add('c', ['a'])
    await late.joined
    const cluster = gc
    await gc.cl.until(() => late.nodes().length === 2)
    const g = await startGlobal(late)
    await gc.cl.until(() => g.whereisName('x')?.equals(p.pid) === true, 100)
    expect(await done(cluster.cl, g.registerName('y', proc(cluster, 'a').pid))).toBe(true)
    expect(reg(gc, 'b').whereisName('y')).toBeDefined()
  })

  it('refuses a second registry on one node with AlreadyStartedError', async () => {
    gc = await globalCluster(['a'])
    await expect(startGlobal(node(gc, 'a'))).rejects.toMatchObject({ name: 'AlreadyStartedError' })
  })

  it('drops the names a stopped registry owned, everywhere', async () => {
    gc = await globalCluster(['a', 'b'])
    expect(await done(gc.cl, reg(gc, 'a').registerName('x', proc(gc, 'b').pid))).toBe(true)
    await done(gc.cl, reg(gc, 'b').stop())
    const cluster = gc
    await gc.cl.until(() => reg(cluster, 'a').whereisName('x') === undefined, 100)
    expect(node(gc, 'b').core.globalRegistry).toBeUndefined()
    await expect(reg(gc, 'b').registerName('y', proc(gc, 'b').pid)).rejects.toMatchObject({ name: 'GlobalRegistryStoppedError' })
  })
})
