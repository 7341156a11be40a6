import { afterEach, describe, expect, it } from 'vitest'
import {
  call, cast, defineServer, getState, processInfo, send, start, startLink, stop, Pid
} from '../src/index.js'
import type { CoreNode, ServerTypes } from '../src/index.js'
import { probe, settle, VirtualClock, waitFor, testNodes } from '../src/testing/index.js'
import { counter } from './fixtures.js'

const nodes = testNodes('gs')
let node: CoreNode
let clock: VirtualClock
afterEach(() => { nodes.cleanup() })
function fresh (): void {
  clock = new VirtualClock()
  node = nodes.fresh({ clock })
}

describe('GenServer', () => {
  it('resolves start only after init has run, with the init state in place', async () => {
    fresh()
    const events: string[] = []
    const pid = await start(counter(events), 41, { node })
    expect(events).toEqual(['init 41'])
    expect(await call(pid, { type: 'get' })).toBe(41)
  })

  it('answers sync and async call handlers with their replies', async () => {
    fresh()
    const pid = await start(counter(), 1, { node })
    expect(await call(pid, { type: 'add', by: 2 })).toBe(3)
    expect((await call(pid, { type: 'whoami' })).equals(pid)).toBe(true)
  })

  it('keeps self() pointing at the server across awaits in an async callback', async () => {
    fresh()
    const a = await start(counter(), 0, { node })
    const b = await start(counter(), 0, { node })
    const [ra, rb] = await Promise.all([call(a, { type: 'whoami' }), call(b, { type: 'whoami' })])
    expect(ra.equals(a) && rb.equals(b)).toBe(true)
  })

  it('handles one message at a time even when callbacks are async', async () => {
    fresh()
    let inFlight = 0
    let maxInFlight = 0
    interface Slow extends ServerTypes { state: number, calls: { work: { reply: number } } }
    const pid = await start(defineServer<Slow>({
      init: () => ({ state: 0 }),
      handleCall: {
        work: async (_r, _f, n) => {
          inFlight++
          maxInFlight = Math.max(maxInFlight, inFlight)
          await new Promise(resolve => setImmediate(resolve))
          inFlight--
          return { reply: n + 1, state: n + 1 }
        }
      }
    }), undefined, { node })
    const replies = await Promise.all(Array.from({ length: 20 }, async () => await call(pid, { type: 'work' })))
    expect(maxInFlight).toBe(1)
    expect(replies).toEqual(Array.from({ length: 20 }, (_, i) => i + 1))
  })

  it('applies casts in the order they were sent', async () => {
    fresh()
    const pid = await start(counter(), 0, { node })
    for (let i = 1; i <= 1000; i++) cast(pid, { type: 'inc', by: i })
    expect(await call(pid, { type: 'get' })).toBe(500500)
  })

  it('passes plain messages to handleInfo', async () => {
    fresh()
    const events: string[] = []
    const pid = await start(counter(events), 0, { node })
    send(pid, { type: 'tick' })
    expect(await call(pid, { type: 'get' })).toBe(100)
    expect(events).toContain('info tick')
  })

  it('runs handleContinue right after the callback that asked for it, before the next message', async () => {
    fresh()
    const events: string[] = []
    const pid = await start(counter(events), 5, { node })
    const first = call(pid, { type: 'add', by: 0 })
    const second = call(pid, { type: 'get' })
    expect(await first).toBe(5)
    expect(await second).toBe(10)
    expect(events).toEqual(['init 5', 'continue double'])
  })

  it('lets a handler answer later with reply(from, value)', async () => {
    fresh()
    const pid = await start(counter(), 7, { node })
    const answer = call(pid, { type: 'later' })
    cast(pid, { type: 'inc', by: 1 })
    cast(pid, { type: 'release' })
    expect(await answer).toBe(8)
  })

  it('replies, runs terminate and exits when a call returns stop', async () => {
    fresh()
    const events: string[] = []
    const pid = await start(counter(events), 3, { node })
    expect(await call(pid, { type: 'stopWith', reason: 'normal' })).toBe('bye')
    await settle()
    expect(processInfo(pid)).toBeUndefined()
    expect(events).toContain('terminate normal 3')
  })

  it('reads the state between two messages with getState', async () => {
    fresh()
    const pid = await start(counter(), 3, { node })
    cast(pid, { type: 'inc', by: 4 })
    expect(await getState(pid)).toBe(7)
  })

  it('stops with stop(server, reason) after the messages already queued, calling terminate', async () => {
    fresh()
    const events: string[] = []
    const pid = await start(counter(events), 0, { node })
    cast(pid, { type: 'inc', by: 2 })
    await stop(pid, 'shutdown')
    expect(events.at(-1)).toBe('terminate shutdown 2')
    expect(processInfo(pid)).toBeUndefined()
  })

  it('reports its behaviour and version through processInfo', async () => {
    fresh()
    const pid = await start(counter(), 0, { node })
    expect(processInfo(pid)).toMatchObject({ behaviour: 'gen_server', version: '1', status: 'waiting' })
  })

  it('registers under a local name before init and frees the name when it exits', async () => {
    fresh()
    const pid = await start(counter(), 1, { node, name: 'counter' })
    expect(node.whereis('counter')?.equals(pid)).toBe(true)
    const p = probe(node)
    expect(await p.run(() => call('counter', { type: 'get' }))).toBe(1)
    await stop(pid)
    expect(node.whereis('counter')).toBeUndefined()
  })

  it('refuses a second server under a taken name with AlreadyStartedError carrying the holder', async () => {
    fresh()
    const pid = await start(counter(), 1, { node, name: 'c' })
    const err = await start(counter(), 2, { node, name: 'c' }).catch((e: unknown) => e) as { name: string, pid: Pid }
    expect(err.name).toBe('AlreadyStartedError')
    expect(err.pid.equals(pid)).toBe(true)
  })

  it('registers through a via registry and unregisters there on exit', async () => {
    fresh()
    const table = new Map<string, Pid>()
    const via = {
      registerName: (n: string, p: Pid) => table.has(n) ? false : (table.set(n, p), true),
      unregisterName: (n: string) => { table.delete(n) },
      whereisName: (n: string) => table.get(n)
    }
    const pid = await start(counter(), 9, { node, name: { via, name: 'v' } })
    expect(await call({ via, name: 'v' }, { type: 'get' })).toBe(9)
    const second = await start(counter(), 1, { node, name: { via, name: 'v' } }).catch((e: Error) => e)
    expect(second).toMatchObject({ name: 'AlreadyStartedError' })
    await stop(pid)
    expect(table.has('v')).toBe(false)
  })

  it('refuses a global name on a node without a global registry', async () => {
    fresh()
    await expect(start(counter(), 1, { node, name: { global: 'g' } })).rejects.toMatchObject({ name: 'NoGlobalRegistryError' })
  })

  it('links to the caller with startLink and delivers EXIT when the server crashes', async () => {
    fresh()
    const p = probe(node, { trapExit: true })
    const pid = await p.run(async () => await startLink(counter(), 0))
    expect(processInfo(pid)?.links.some(l => l.equals(p.pid))).toBe(true)
    await expect(call(pid, { type: 'boom' })).rejects.toMatchObject({ name: 'CallExitError' })
    const exit = await p.next<{ type: string, from: Pid, reason: Error }>(m => (m as { type?: string }).type === 'EXIT')
    expect(exit.from.equals(pid)).toBe(true)
    expect(exit.reason.message).toBe('boom')
  })

  it('terminates with its parent\'s reason when it traps exits and the parent exits', async () => {
    fresh()
    const events: string[] = []
    const parent = probe(node)
    const pid = await parent.run(async () => await startLink(counter(events), 0, { trapExit: true }))
    node.terminate(node.lookup(parent.pid)!, 'shutdown')
    await waitFor(() => processInfo(pid) === undefined)
    expect(events).toContain('terminate shutdown 0')
  })
})
