import { afterEach, describe, expect, it } from 'vitest'
import { call, cast, defineServer, exit, link, monitor, Pid, send, spawn, start, trapExit } from '@gen-cluster/core'
import type { DownMessage, ExitMessage, ServerTypes } from '@gen-cluster/core'
import { probe } from '@gen-cluster/core/testing'
import { memCluster } from './helpers.js'
import type { MemCluster } from './helpers.js'

interface Counter extends ServerTypes {
  state: number
  calls: { get: { reply: number }, add: { request: { by: number }, reply: number }, hang: { reply: never }, crash: { reply: never }, echo: { request: { value: unknown }, reply: unknown } }
  casts: { inc: { by: number } }
}

const counter = defineServer<Counter>({
  init: () => ({ state: 0 }),
  handleCall: {
    get: (_r, _f, n) => ({ reply: n, state: n }),
    add: (r, _f, n) => ({ reply: n + r.by, state: n + r.by }),
    hang: (_r, _f, n) => ({ noreply: true, state: n }),
    crash: () => { throw new Error('server crashed') },
    echo: (r, _f, n) => ({ reply: r.value, state: n })
  },
  handleCast: { inc: (m, n) => ({ state: n + m.by }) }
})

let c: MemCluster
afterEach(async () => { await c.stopAll() })

async function twoNodes (): Promise<{ a: Awaited<ReturnType<MemCluster['add']>>, b: Awaited<ReturnType<MemCluster['add']>> }> {
  c = memCluster()
  const a = await c.add('a')
  const b = await c.add('b', ['a'])
  await b.joined
  await c.until(() => a.nodes().length === 1)
  return { a, b }
}

/** Runs `fn` in a process of `node` and waits for its result, moving virtual time along. */
async function on<T> (node: { core: Parameters<typeof probe>[0] }, fn: () => Promise<T>): Promise<T> {
  const p = probe(node.core)
  const result = p.run(fn)
  let settled = false
  void result.then(() => { settled = true }, () => { settled = true })
  await c.until(() => settled, 30_000, 5)
  return await result
}

describe('remote processes over the cluster', () => {
  it('calls and casts a server on another node, with typed replies and values that cross the wire', async () => {
    const { a, b } = await twoNodes()
    const pid = await start(counter, undefined, { node: a.core, name: 'counter' })
    expect(await on(b, async () => await call(pid, { type: 'add', by: 2 }))).toBe(2)
    await on(b, async () => { cast(pid, { type: 'inc', by: 3 }) })
    expect(await on(b, async () => await call({ name: 'counter', node: a.name }, { type: 'get' }))).toBe(5)
    const value = { map: new Map([[1, 'x']]), set: new Set([1n << 70n]), when: new Date(5), bytes: new Uint8Array([1, 2]), pid }
    const back = await on(b, async () => await call(pid, { type: 'echo', value })) as typeof value
    expect(back.map.get(1)).toBe('x')
    expect([...back.set]).toEqual([1n << 70n])
    expect(back.when.getTime()).toBe(5)
    expect([...back.bytes]).toEqual([1, 2])
    expect(back.pid.equals(pid)).toBe(true)
  })

  it('delivers messages between two processes of two nodes in the order they were sent', async () => {
    const { a, b } = await twoNodes()
    const sink = probe(a.core)
    await on(b, async () => { for (let i = 0; i < 1000; i++) send(sink.pid, i) })
    await c.until(() => sink.messages.length === 1000)
    expect(sink.messages).toEqual(Array.from({ length: 1000 }, (_, i) => i))
  })

  it('fails a remote call at once with NoProcError for a dead pid or an unknown name', async () => {
    const { a, b } = await twoNodes()
    const dead = await start(counter, undefined, { node: a.core })
    a.core.terminate(a.core.lookup(dead)!, 'killed')
    await expect(on(b, async () => await call(dead, { type: 'get' }))).rejects.toMatchObject({ name: 'NoProcError' })
    await expect(on(b, async () => await call({ name: 'nobody', node: a.name }, { type: 'get' }))).rejects.toMatchObject({ name: 'NoProcError' })
  })

  it('fails a remote call with CallExitError when the server crashes, and carries UnknownRequestError by name', async () => {
    const { a, b } = await twoNodes()
    const pid = await start(counter, undefined, { node: a.core })
    const err = await on(b, async () => await call(pid, { type: 'crash' })).catch((e: unknown) => e) as { name: string, reason: Error }
    expect(err.name).toBe('CallExitError')
    expect(err.reason.message).toBe('server crashed')
    const other = await start(counter, undefined, { node: a.core })
    await expect(on(b, async () => await call(other as Pid, { type: 'unknown' }))).rejects.toMatchObject({ name: 'UnknownRequestError' })
  })

  it('fails calls in flight with NodeDownError, fires monitors and breaks links with noconnection when a node goes down', async () => {
    const { a, b } = await twoNodes()
    const pid = await start(counter, undefined, { node: a.core })
    const watcher = probe(b.core, { trapExit: true })
    const ref = watcher.run(() => monitor(pid))
    watcher.run(() => { link(pid) })
    const pending = watcher.run(async () => await call(pid, { type: 'hang' }, { timeout: Infinity })).catch((e: unknown) => e)
    await c.clock.advance(10)
    c.net.cut(a.name, b.name, { silent: false })
    await c.clock.advance(10)
    expect(await pending).toMatchObject({ name: 'NodeDownError', node: a.name })
    const down = await watcher.next<DownMessage>(m => (m as DownMessage).type === 'DOWN')
    expect(down.ref.equals(ref)).toBe(true)
    expect(down.reason).toBe('noconnection')
    const ex = await watcher.next<ExitMessage>(m => (m as ExitMessage).type === 'EXIT')
    expect(ex.reason).toBe('noconnection')
  })

  it('propagates a crash across a link and sends DOWN with the reason across a monitor', async () => {
    const { a, b } = await twoNodes()
    const victim = spawn(async ({ receive }) => { await receive(); throw new Error('boom') }, { node: a.core })
    const partner = spawn(async ({ receive }) => { link(victim); await receive() }, { node: b.core })
    const watcher = probe(b.core)
    const ref = watcher.run(() => monitor(partner))
    await c.clock.advance(10)
    send(victim, 'go')
    const down = await watcher.next<DownMessage>(m => (m as DownMessage).type === 'DOWN')
    expect(down.ref.equals(ref)).toBe(true)
    expect((down.reason as Error).message).toBe('boom')
  })

  it('delivers EXIT to a trapping process on another node, and kills with exit(pid, "kill")', async () => {
    const { a, b } = await twoNodes()
    const target = spawn(async ({ receive }) => { await receive() }, { node: a.core })
    const trapper = probe(b.core)
    trapper.run(() => { trapExit(true); link(target) })
    await c.clock.advance(10)
    trapper.run(() => { exit(target, 'kill') })
    const ex = await trapper.next<ExitMessage>(m => (m as ExitMessage).type === 'EXIT')
    expect(ex.from.equals(target)).toBe(true)
    expect(ex.reason).toBe('killed')
  })

  it('ends a call whose request or reply cannot cross the wire with EncodeError, and the server carries on', async () => {
    const { a, b } = await twoNodes()
    const pid = await start(counter, undefined, { node: a.core })
    await expect(on(b, async () => await call(pid, { type: 'echo', value: () => 1 }))).rejects.toMatchObject({ name: 'EncodeError' })
    const sink = probe(b.core)
    expect(() => { sink.run(() => { send(pid, { f: Symbol('no') }) }) }).toThrow(expect.objectContaining({ name: 'EncodeError' }))
    interface Bad extends ServerTypes { state: null, calls: { give: { reply: unknown } } }
    const bad = await start(defineServer<Bad>({ init: () => ({ state: null }), handleCall: { give: (_r, _f, s) => ({ reply: () => 'fn', state: s }) } }), undefined, { node: a.core })
    await expect(on(b, async () => await call(bad, { type: 'give' }))).rejects.toMatchObject({ name: 'EncodeError' })
    expect(await on(b, async () => await call(pid, { type: 'add', by: 1 }))).toBe(1)
    expect(a.core.lookup(bad)).toBeDefined()
  })

  it('monitors a remote name, and fires noproc at once for a name nobody holds', async () => {
    const { a, b } = await twoNodes()
    const pid = await start(counter, undefined, { node: a.core, name: 'svc' })
    const w = probe(b.core)
    const r1 = w.run(() => monitor({ name: 'nobody', node: a.name }))
    const d1 = await w.next<DownMessage>(m => (m as DownMessage).type === 'DOWN')
    expect(d1.ref.equals(r1)).toBe(true)
    expect(d1.reason).toBe('noproc')
    const r2 = w.run(() => monitor({ name: 'svc', node: a.name }))
    await c.clock.advance(10)
    a.core.terminate(a.core.lookup(pid)!, 'shutdown')
    const d2 = await w.next<DownMessage>(m => (m as DownMessage).type === 'DOWN')
    expect(d2.ref.equals(r2)).toBe(true)
    expect(d2.pid).toEqual({ name: 'svc', node: a.name })
    expect(d2.reason).toBe('shutdown')
  })

  it('keeps an exit signal and the messages sent after it in order across nodes: EXIT first', async () => {
    const { a, b } = await twoNodes()
    const trapper = probe(a.core, { trapExit: true })
    const sender = probe(b.core)
    sender.run(() => {
      send(trapper.pid, 'before')
      exit(trapper.pid, 'shutdown')
      send(trapper.pid, 'after')
      cast(trapper.pid, { type: 'late' })
    })
    await c.until(() => trapper.messages.length === 4)
    expect(trapper.messages.slice(0, 3)).toEqual(['before', { type: 'EXIT', from: sender.pid, reason: 'shutdown' }, 'after'])
  })
})
