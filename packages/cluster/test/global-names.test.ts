/**
 * `{ global: name }` with the core API: `start` registers a server in the global registry of its
 * node, `call` / `cast` reach it from a process of any node, and the name goes when the server does.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { call, cast, defineServer, start, stop } from '@gen-cluster/core'
import type { ServerTypes } from '@gen-cluster/core'
import type { GlobalCluster } from './global-kit.js'
import { allSay, done, globalCluster, node, on, reg } from './global-kit.js'

interface Counter extends ServerTypes {
  state: number
  calls: { get: { reply: number }, add: { request: { by: number }, reply: number } }
  casts: { inc: { by: number } }
}

const counter = defineServer<Counter>({
  init: () => ({ state: 0 }),
  handleCall: {
    get: (_r, _f, n) => ({ reply: n, state: n }),
    add: (r, _f, n) => ({ reply: n + r.by, state: n + r.by })
  },
  handleCast: { inc: (m, n) => ({ state: n + m.by }) }
})

let gc: GlobalCluster | undefined
afterEach(async () => {
  await gc?.cl.stopAll()
  gc = undefined
})

describe('{ global } names with the core API', () => {
  it('reaches a global name from code outside any process too', async () => {
    gc = await globalCluster(['a', 'b'])
    const pid = await done(gc.cl, start(counter, undefined, { node: node(gc, 'b').core, name: { global: 'outside' } }))
    expect(allSay(gc, 'outside', pid)).toBe(true)
    expect(await done(gc.cl, call({ global: 'outside' }, { type: 'add', by: 4 }))).toBe(4)
  })

  it('starts a server under a global name and reaches it with call and cast from every node', async () => {
    gc = await globalCluster(['a', 'b', 'c'])
    const cluster = gc
    const pid = await done(gc.cl, start(counter, undefined, { node: node(gc, 'b').core, name: { global: 'counter' } }))
    expect(allSay(gc, 'counter', pid)).toBe(true)
    expect(await on(gc.cl, node(gc, 'a'), async () => await call({ global: 'counter' }, { type: 'add', by: 2 }))).toBe(2)
    await on(gc.cl, node(gc, 'c'), async () => { cast({ global: 'counter' }, { type: 'inc', by: 3 }) })
    expect(await on(gc.cl, node(gc, 'b'), async () => await call({ global: 'counter' }, { type: 'get' }))).toBe(5)
    expect(cluster.names.map(x => node(cluster, x).core.globalRegistry === reg(cluster, x))).toEqual([true, true, true])
  })

  it('refuses a second server under a taken global name with AlreadyStartedError, from any node', async () => {
    gc = await globalCluster(['a', 'b'])
    const pid = await done(gc.cl, start(counter, undefined, { node: node(gc, 'a').core, name: { global: 'counter' } }))
    const before = node(gc, 'b').core.procs.size
    await expect(done(gc.cl, start(counter, undefined, { node: node(gc, 'b').core, name: { global: 'counter' } })))
      .rejects.toMatchObject({ name: 'AlreadyStartedError' })
    expect(allSay(gc, 'counter', pid)).toBe(true)
    await gc.cl.clock.advance(1)
    expect(node(gc, 'b').core.procs.size).toBe(before) // the refused server is gone
  })

  it('removes the global name everywhere when the server stops, and lets it be taken again', async () => {
    gc = await globalCluster(['a', 'b'])
    const pid = await done(gc.cl, start(counter, undefined, { node: node(gc, 'b').core, name: { global: 'counter' } }))
    await done(gc.cl, stop(pid))
    const cluster = gc
    await gc.cl.until(() => allSay(cluster, 'counter', undefined), 100)
    await expect(on(gc.cl, node(gc, 'a'), async () => await call({ global: 'counter' }, { type: 'get' }))).rejects.toMatchObject({ name: 'NoProcError' })
    const again = await done(gc.cl, start(counter, undefined, { node: node(gc, 'a').core, name: { global: 'counter' } }))
    expect(allSay(gc, 'counter', again)).toBe(true)
  })
})
