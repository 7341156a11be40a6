/**
 * Servers on another node, as a user meets them: stop, getState and upgrade by pid, `{ name, node }`
 * and `{ global }`; startOn of an exposed behaviour; multiCall and abcast; calls from outside any
 * process through `{ node }`.
 */
import { afterEach, describe, expect, it } from 'vitest'
import {
  abcast, call, cast, defineServer, exposeBehaviour, getState, multiCall, processInfo, start, startOn, stop, trapExit, upgrade
} from '@gen-cluster/core'
import type { ExitMessage, ExitReason, Named, ServerTypes } from '@gen-cluster/core'
import { probe } from '@gen-cluster/core/testing'
import { done, globalCluster, on } from './global-kit.js'
import type { GlobalCluster } from './global-kit.js'

interface Counter extends ServerTypes {
  arg: number
  state: number
  calls: { get: { reply: number }, version: { reply: string }, hang: { reply: never } }
  casts: { inc: { by: number } }
}

const stops: ExitReason[] = []
const v1 = defineServer<Counter>({
  version: '1',
  init: (n) => n < 0 ? { stop: 'normal' } : { state: n },
  handleCall: {
    get: (_r, _f, n) => ({ reply: n, state: n }),
    version: (_r, _f, n) => ({ reply: 'v1', state: n }),
    hang: (_r, _f, n) => ({ noreply: true, state: n })
  },
  handleCast: { inc: (m, n) => ({ state: n + m.by }) },
  terminate: (reason) => { stops.push(reason) }
})
const v2 = defineServer<Counter>({ ...v1, version: '2', handleCall: { ...v1.handleCall, version: (_r, _f, n) => ({ reply: 'v2', state: n }) }, codeChange: (_old, n) => (n as number) * 10 })
const COUNTER = 'counter' as Named<Counter>

let gc: GlobalCluster
afterEach(async () => { await gc.cl.stopAll() })

async function twoNodes (): Promise<GlobalCluster> {
  gc = await globalCluster(['a', 'b'])
  return gc
}

describe('system requests to a server on another node', () => {
  it('getState, upgrade and stop a server on another connected node by pid, { name, node } and { global }', async () => {
    const { cl, n } = await twoNodes()
    const a = n.a!
    const b = n.b!
    const pid = await start(v1, 4, { node: a, name: 'counter' })
    const g = await start(v1, 7, { node: a, name: { global: 'gcounter' } })
    await cl.clock.advance(10)
    expect(await on(cl, b, async () => await getState(pid))).toBe(4)
    expect(await on(cl, b, async () => await getState({ name: 'counter', node: a.name }))).toBe(4)
    expect(await on(cl, b, async () => await getState({ global: 'gcounter' }))).toBe(7)
    // Code does not cross: both nodes expose v2 under one name, and b names it (or passes its own copy).
    exposeBehaviour('counter@2', v2, { node: a })
    exposeBehaviour('counter@2', v2, { node: b })
    expect(await on(cl, b, async () => await upgrade(pid, 'counter@2', { extra: 'x' }))).toEqual({ from: '1', to: '2' })
    expect(await on(cl, b, async () => await call(pid, { type: 'version' }))).toBe('v2')
    expect(await on(cl, b, async () => await getState(pid))).toBe(40)
    expect(await on(cl, b, async () => await upgrade({ global: 'gcounter' }, v2))).toEqual({ from: '1', to: '2' })
    stops.length = 0
    await on(cl, b, async () => { await stop({ name: 'counter', node: a.name }, 'shutdown') })
    expect(stops).toEqual(['shutdown'])
    expect(processInfo(pid)).toBeUndefined()
    await on(cl, b, async () => { await stop({ global: 'gcounter' }) })
    expect(processInfo(g)).toBeUndefined()
  })

  it('ends each with the typed error a local one gives: NoProcError, StopTimeoutError, StartRefusedError, InvalidBehaviourError', async () => {
    const { cl, n } = await twoNodes()
    const a = n.a!
    const b = n.b!
    const pid = await start(v1, 1, { node: a })
    await expect(on(cl, b, async () => await getState({ name: 'nobody', node: a.name }))).rejects.toMatchObject({ name: 'NoProcError' })
    await expect(on(cl, b, async () => await upgrade(pid, 'not-exposed'))).rejects.toMatchObject({ name: 'StartRefusedError', behaviour: 'not-exposed', node: a.name })
    await expect(on(cl, b, async () => await upgrade(pid, v2))).rejects.toMatchObject({ name: 'InvalidBehaviourError', field: 'next' })
    const slow = defineServer<Counter>({ ...v1, terminate: async () => { await new Promise(() => {}) } })
    const stuck = await start(slow, 0, { node: a })
    await expect(on(cl, b, async () => { await stop(stuck, 'normal', 500) })).rejects.toMatchObject({ name: 'StopTimeoutError' })
    expect(await on(cl, b, async () => await call(pid, { type: 'get' }))).toBe(1)
  })

  it('fails promptly with NodeDownError once the server node goes down, also for a request in flight', async () => {
    const { cl, n } = await twoNodes()
    const a = n.a!
    const b = n.b!
    const blocker = defineServer<Counter>({ ...v1, handleCall: { ...v1.handleCall, hang: async (_r, _f, s) => { await new Promise(() => {}); return { reply: undefined as never, state: s } } } })
    const pid = await start(blocker, 0, { node: a })
    const caller = probe(b.core)
    void caller.run(async () => await call(pid, { type: 'hang' }, { timeout: Infinity })).catch(() => {})
    const pending = caller.run(async () => await getState(pid, Infinity)).catch((e: unknown) => e)
    await cl.clock.advance(10)
    cl.net.cut(a.name, b.name, { silent: false })
    expect(await done(cl, pending)).toMatchObject({ name: 'NodeDownError', node: a.name })
    await expect(on(cl, b, async () => await getState(pid))).rejects.toMatchObject({ name: 'NodeDownError' })
  })
})

describe('startOn', () => {
  it('starts what the node exposes, named locally or globally there, and refuses the rest with StartRefusedError', async () => {
    const { cl, n } = await twoNodes()
    const a = n.a!
    const b = n.b!
    exposeBehaviour('counter', v1, { node: a })
    const pid = await done(cl, startOn(a.name, 'counter', 3, { node: b, name: 'c3' }))
    expect(pid.node).toBe(a.name)
    expect(a.core.whereis('c3')).toEqual(pid)
    expect(await on(cl, b, async () => await call(pid, { type: 'get' }))).toBe(3)
    const gpid = await done(cl, startOn(a.name, 'counter', 9, { node: b, name: { global: 'nine' } }))
    await cl.clock.advance(10)
    expect(b.core.globalRegistry?.whereisName('nine')).toEqual(gpid)
    await expect(done(cl, startOn(a.name, 'shell', null, { node: b }))).rejects.toMatchObject({ name: 'StartRefusedError', behaviour: 'shell' })
    await expect(done(cl, startOn(a.name, 'counter', -1, { node: b }))).rejects.toMatchObject({ name: 'InitError' })
    await expect(done(cl, startOn('z@nowhere', 'counter', 0, { node: b }))).rejects.toMatchObject({ name: 'NodeDownError' })
    // On its own node it starts from the same table.
    const here = await done(cl, startOn(a.name, 'counter', 1, { node: a }))
    expect(here.node).toBe(a.name)
  })

  it('links the new server to the caller before init when asked: its exit reaches the caller', async () => {
    const { cl, n } = await twoNodes()
    const a = n.a!
    const b = n.b!
    exposeBehaviour('counter', v1, { node: a })
    const parent = probe(b.core)
    parent.run(() => { trapExit(true) })
    const pid = await done(cl, parent.run(async () => await startOn(a.name, 'counter', 0, { link: true })))
    expect(processInfo(pid)?.links).toEqual([parent.pid])
    await stop(pid, 'shutdown')
    const ex = await parent.next<ExitMessage>(m => (m as ExitMessage).type === 'EXIT')
    expect(ex.from).toEqual(pid)
    expect(ex.reason).toBe('shutdown')
  })

  it('refuses bad input with a TypeError that states the rule, starting nothing', async () => {
    const { cl, n } = await twoNodes()
    const a = n.a!
    const b = n.b!
    exposeBehaviour('counter', v1, { node: a })
    const before = a.core.procs.size
    await expect(startOn('', 'counter', 0, { node: b })).rejects.toThrow(/node must be the name of a node/)
    await expect(startOn(a.name, '', 0, { node: b })).rejects.toThrow(/behaviour name/)
    await expect(startOn(a.name, 'counter', 0, { node: b, timeout: -1 })).rejects.toThrow(/timeout must be/)
    await expect(startOn(a.name, 'counter', 0, { node: b, name: { global: '' } })).rejects.toThrow(/name must be/)
    await expect(startOn(a.name, 'counter', 0, { node: b, link: true })).rejects.toMatchObject({ name: 'NotInProcessError' })
    expect(() => { exposeBehaviour('x', { init: 5 } as never, { node: a }) }).toThrow(expect.objectContaining({ name: 'InvalidBehaviourError' }))
    await cl.clock.advance(10)
    expect(a.core.procs.size).toBe(before)
  })
})

describe('multiCall and abcast', () => {
  it('calls a locally registered name on every node and reports bad nodes with their errors', async () => {
    gc = await globalCluster(['a', 'b', 'c'])
    const { cl, n } = gc
    await start(v1, 1, { node: n.a!, name: 'counter' })
    await start(v1, 2, { node: n.b!, name: 'counter' })
    const all = await done(cl, multiCall(COUNTER, { type: 'get' }, { node: n.a! }))
    expect(all.replies).toEqual([{ node: n.a!.name, reply: 1 }, { node: n.b!.name, reply: 2 }])
    expect(all.badNodes).toEqual([n.c!.name])
    expect(all.errors[0]?.error.name).toBe('NoProcError')
    const some = await done(cl, multiCall(COUNTER, { type: 'get' }, { node: n.c!, nodes: [n.b!.name, 'z@nowhere'] }))
    expect(some.replies).toEqual([{ node: n.b!.name, reply: 2 }])
    expect(some.errors.map(e => [e.node, e.error.name])).toEqual([['z@nowhere', 'NodeDownError']])
    const slow = await done(cl, multiCall(COUNTER, { type: 'hang' }, { node: n.a!, nodes: [n.b!.name], timeout: 100 }))
    expect(slow.errors.map(e => e.error.name)).toEqual(['CallTimeoutError'])
  })

  it('casts to a locally registered name on every node, dropping it where nobody holds the name', async () => {
    gc = await globalCluster(['a', 'b', 'c'])
    const { cl, n } = gc
    const pa = await start(v1, 0, { node: n.a!, name: 'counter' })
    const pb = await start(v1, 0, { node: n.b!, name: 'counter' })
    abcast(COUNTER, { type: 'inc', by: 5 }, { node: n.c! })
    abcast(COUNTER, { type: 'inc', by: 1 }, { node: n.a!, nodes: [n.a!.name, 'z@nowhere'] })
    await cl.clock.advance(10)
    expect(await getState(pa)).toBe(6)
    expect(await getState(pb)).toBe(5)
    expect(() => { abcast('', { type: 'inc', by: 1 }, { node: n.a! }) }).toThrow(/name must be/)
  })
})

describe('calls from outside any process', () => {
  it('go through the node given as { node } (a ClusterNode), to a server on another node', async () => {
    const { cl, n } = await twoNodes()
    const a = n.a!
    const b = n.b!
    const pid = await start(v1, 0, { node: a })
    cast(pid, { type: 'inc', by: 2 }, { node: b })
    await cl.clock.advance(10)
    expect(await done(cl, call(pid, { type: 'get' }, { node: b }))).toBe(2)
    expect(await done(cl, getState(pid, { node: b }))).toBe(2)
    const trapper = probe(a.core, { trapExit: true })
    await done(cl, stop(pid, 'normal', { node: b }))
    expect(processInfo(pid)).toBeUndefined()
    expect(trapper.alive).toBe(true)
  })
})
