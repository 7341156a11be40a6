/**
 * The global registry when things happen at once: latency between nodes, a coordinator that leaves
 * mid-registration, a node joining during a commit, stale entries a commit runs into, and a process
 * that dies while its name is being committed.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { call, exit } from '@gen-cluster/core'
import type { Pid } from '@gen-cluster/core'
import { GLOBAL_SERVER_NAME, startGlobal } from '../src/global/index.js'
import type { GlobalCluster } from './global-kit.js'
import { allSay, done, globalCluster, node, on, proc, reg } from './global-kit.js'

let gc: GlobalCluster | undefined
afterEach(async () => {
  await gc?.cl.stopAll()
  gc = undefined
})

/** Has `on`'s registry store `name` → `pid` as if a coordinator had committed it there (and nowhere else). */
async function plant (g: GlobalCluster, on_: string, name: string, pid: Pid): Promise<void> {
  const target = { name: GLOBAL_SERVER_NAME, node: node(g, on_).name }
  expect(await on(g.cl, node(g, 'c'), async () => await call(target, { type: 'commit', name, pid, at: 0 }))).toBe('ok')
}

describe('global registry races', () => {
  it('gives exactly one true per name when five nodes race for many names over a slow network', async () => {
    gc = await globalCluster(['a', 'b', 'c', 'd', 'e'])
    gc.cl.net.latencyMs = 3
    const g = gc
    const names = ['n1', 'n2', 'n3', 'n4', 'n5', 'n6']
    const races = names.map(async (name, k) => {
      const pids = g.names.map(x => proc(g, x).pid)
      const answers = await Promise.all(g.names.map((x, i) => reg(g, g.names[(i + k) % 5] as string).registerName(name, pids[i] as Pid)))
      return { name, answers, pids }
    })
    for (const { name, answers, pids } of await done(g.cl, Promise.all(races))) {
      expect(answers.filter(a => a)).toHaveLength(1)
      expect(allSay(g, name, pids[answers.indexOf(true)])).toBe(true)
    }
  })

  it('retries with the next coordinator when the coordinator leaves during a registration', async () => {
    gc = await globalCluster(['a', 'b', 'c'])
    gc.cl.net.latencyMs = 5
    const p = proc(gc, 'c')
    const registering = reg(gc, 'c').registerName('x', p.pid)
    await gc.cl.clock.advance(2)
    const leaving = node(gc, 'a').stop()
    expect(await done(gc.cl, registering)).toBe(true)
    await done(gc.cl, leaving)
    expect(reg(gc, 'b').whereisName('x')?.equals(p.pid)).toBe(true)
    expect(reg(gc, 'c').whereisName('x')?.equals(p.pid)).toBe(true)
  })

  it('holds the name on a node that connected during the commit by the time registerName resolves true', async () => {
    gc = await globalCluster(['a', 'b'])
    gc.cl.net.latencyMs = 2
    const g = gc
    const coordinator = node(gc, 'a')
    for (let offset = 0; offset < 12; offset++) {
      const joiner = await g.cl.add(`j${offset}`, ['a'])
      await startGlobal(joiner)
      await g.cl.clock.advance(offset)
      const pid = proc(g, 'a').pid
      const name = `x${offset}`
      const missing = await done(g.cl, reg(g, 'a').registerName(name, pid).then(ok => {
        expect(ok).toBe(true)
        return coordinator.nodes().filter(n => g.cl.nodes.get(n.split('@')[0] as string)?.core.globalRegistry?.whereisName(name)?.equals(pid) !== true)
      }))
      expect(missing).toEqual([])
      await g.cl.until(() => joiner.nodes().length === offset + 2)
    }
  })

  it('drops a stale entry a commit runs into (its owner does not hold it), and the registration goes through', async () => {
    gc = await globalCluster(['a', 'b', 'c'])
    const stale = proc(gc, 'c').pid
    await plant(gc, 'b', 'x', stale)
    expect(reg(gc, 'b').whereisName('x')?.equals(stale)).toBe(true)
    const q = proc(gc, 'a').pid
    expect(await done(gc.cl, reg(gc, 'a').registerName('x', q))).toBe(true)
    expect(allSay(gc, 'x', q)).toBe(true)
  })

  it('adopts an entry a commit runs into when its owner confirms it, and answers false', async () => {
    gc = await globalCluster(['a', 'b', 'c'])
    const held = proc(gc, 'c').pid
    await plant(gc, 'b', 'x', held)
    await plant(gc, 'c', 'x', held)
    expect(reg(gc, 'a').whereisName('x')).toBeUndefined()
    expect(await done(gc.cl, reg(gc, 'a').registerName('x', proc(gc, 'a').pid))).toBe(false)
    expect(allSay(gc, 'x', held)).toBe(true)
  })

  it('leaves no holder anywhere when the process dies while its name is being committed', async () => {
    gc = await globalCluster(['a', 'b', 'c'])
    gc.cl.net.latencyMs = 3
    const g = gc
    for (const delay of [0, 1, 2, 3, 4, 6, 9]) {
      const p = proc(g, 'c')
      const registering = reg(g, 'b').registerName(`x${delay}`, p.pid)
      await g.cl.clock.advance(delay)
      exit(p.pid, 'kill')
      expect(typeof await done(g.cl, registering)).toBe('boolean')
      await g.cl.until(() => allSay(g, `x${delay}`, undefined), 100)
      await g.cl.clock.advance(100)
      expect(allSay(g, `x${delay}`, undefined)).toBe(true)
    }
  })
})
