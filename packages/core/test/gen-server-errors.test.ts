import { afterEach, describe, expect, it } from 'vitest'
import {
  call, cast, defineServer, exit, Pid, processInfo, start, startLink, stop
} from '../src/index.js'
import type { CoreNode, ServerTypes } from '../src/index.js'
import { probe, settle, VirtualClock, waitFor, testNodes } from '../src/testing/index.js'
import { counter } from './fixtures.js'

const nodes = testNodes('gse')
let node: CoreNode
let clock: VirtualClock
afterEach(() => { nodes.cleanup() })
function fresh (): void {
  clock = new VirtualClock()
  node = nodes.fresh({ clock })
}

describe('GenServer calls always end', () => {
  it('fails with CallTimeoutError when no reply comes within the timeout', async () => {
    fresh()
    const pid = await start(counter(), 0, { node })
    const pending = call(pid, { type: 'later' }, { timeout: 100 })
    const settled = pending.catch((e: Error) => e)
    await clock.advance(99)
    expect(processInfo(pid)?.status).toBe('waiting')
    await clock.advance(1)
    expect(await settled).toMatchObject({ name: 'CallTimeoutError', timeout: 100 })
  })

  it('uses a 5000 ms timeout by default', async () => {
    fresh()
    const pid = await start(counter(), 0, { node })
    const settled = call(pid, { type: 'later' }).catch((e: Error) => e)
    await clock.advance(4999)
    await clock.advance(1)
    expect(await settled).toMatchObject({ name: 'CallTimeoutError', timeout: 5000 })
  })

  it('fails with CallAbortedError when its signal aborts', async () => {
    fresh()
    const pid = await start(counter(), 0, { node })
    const ac = new AbortController()
    const settled = call(pid, { type: 'later' }, { signal: ac.signal, timeout: Infinity }).catch((e: Error) => e)
    ac.abort()
    expect(await settled).toMatchObject({ name: 'CallAbortedError' })
    expect(clock.pending).toBe(0)
  })

  it('fails at once with NoProcError for a dead pid, leaving no timer behind', async () => {
    fresh()
    const pid = await start(counter(), 0, { node })
    await stop(pid)
    await expect(call(pid, { type: 'get' })).rejects.toMatchObject({ name: 'NoProcError' })
    expect(clock.pending).toBe(0)
  })

  it('fails at once with NoProcError for an unknown name', async () => {
    fresh()
    await expect(call('nobody-has-this-name', { type: 'get' })).rejects.toMatchObject({ name: 'NoProcError' })
  })

  it('fails with CallExitError carrying the reason when the server dies during the call', async () => {
    fresh()
    const pid = await start(counter(), 0, { node })
    const settled = call(pid, { type: 'later' }).catch((e: Error) => e)
    exit(pid, 'kill')
    expect(await settled).toMatchObject({ name: 'CallExitError', reason: 'killed' })
  })

  it('fails at once with NodeDownError for a pid of a node that is not connected', async () => {
    fresh()
    const remote = new Pid('elsewhere@host', 5, 1)
    await expect(call(remote, { type: 'get' })).rejects.toMatchObject({ name: 'NodeDownError', node: 'elsewhere@host' })
    await expect(call({ name: 'x', node: 'elsewhere@host' }, { type: 'get' })).rejects.toMatchObject({ name: 'NodeDownError' })
  })

  it('fails the caller with UnknownRequestError for a request with no handler, and keeps serving', async () => {
    fresh()
    const pid = await start(counter(), 4, { node })
    await expect(call(pid as Pid, { type: 'nope' })).rejects.toMatchObject({ name: 'UnknownRequestError' })
    await expect(call(pid as Pid, 'not an object')).rejects.toMatchObject({ name: 'UnknownRequestError' })
    expect(await call(pid, { type: 'get' })).toBe(4)
  })

  it('rejects a call to something that is neither a pid nor a name with a TypeError stating the rule', async () => {
    fresh()
    const err = await call(42 as never, { type: 'get' }).catch((e: Error) => e)
    expect(err).toBeInstanceOf(TypeError)
    expect((err as Error).message).toMatch(/expected a Pid, a registered name/)
    expect(() => { cast({} as never, { type: 'x' }) }).toThrow(TypeError)
  })

  it('rejects an invalid timeout with a TypeError', async () => {
    fresh()
    const pid = await start(counter(), 0, { node })
    await expect(call(pid, { type: 'get' }, { timeout: -1 })).rejects.toBeInstanceOf(TypeError)
  })
})

describe('GenServer crashes and bad results', () => {
  it('stops with BadReturnError naming the callback and showing the value', async () => {
    fresh()
    const events: string[] = []
    const pid = await start(counter(events), 1, { node })
    const err = await call(pid, { type: 'bad' }).catch((e: unknown) => e) as { name: string, reason: { name: string, callback: string, message: string } }
    expect(err.name).toBe('CallExitError')
    expect(err.reason.name).toBe('BadReturnError')
    expect(err.reason.callback).toBe('handleCall')
    expect(err.reason.message).toContain('{"nonsense":1}')
    expect(events.at(-1)).toBe('terminate BadReturnError 1')
  })

  it('crashes only its own process when a callback throws, after running terminate', async () => {
    fresh()
    const events: string[] = []
    const a = await start(counter(events), 1, { node })
    const b = await start(counter(), 2, { node })
    await expect(call(a, { type: 'boom' })).rejects.toMatchObject({ name: 'CallExitError' })
    expect(events.at(-1)).toBe('terminate Error 1')
    expect(await call(b, { type: 'get' })).toBe(2)
  })

  it('crashes when an async callback rejects', async () => {
    fresh()
    interface Rejecting extends ServerTypes { state: null, calls: { go: { reply: never } } }
    const pid = await start(defineServer<Rejecting>({
      init: () => ({ state: null }),
      handleCall: { go: async () => { await Promise.resolve(); throw new RangeError('nope') } }
    }), undefined, { node })
    const err = await call(pid, { type: 'go' }).catch((e: unknown) => e) as { reason: Error }
    expect(err.reason).toBeInstanceOf(RangeError)
    expect(processInfo(pid)).toBeUndefined()
  })

  it('drops a cast with no handler and carries on', async () => {
    fresh()
    const pid = await start(counter(), 3, { node })
    cast(pid as Pid, { type: 'unknown' })
    expect(await call(pid, { type: 'get' })).toBe(3)
  })

  it('rejects start with InitError when init throws or returns stop, without killing a linked caller', async () => {
    fresh()
    interface Failing extends ServerTypes { arg: 'throw' | 'stop' | 'bad', state: null }
    const failing = defineServer<Failing>({
      init: (how) => {
        if (how === 'throw') throw new Error('cannot init')
        if (how === 'stop') return { stop: { shutdown: 'no config' } }
        return { wat: true } as never
      }
    })
    const p = probe(node)
    await expect(p.run(async () => await startLink(failing, 'throw'))).rejects.toMatchObject({ name: 'InitError' })
    await expect(p.run(async () => await startLink(failing, 'stop'))).rejects.toMatchObject({ name: 'InitError', reason: { shutdown: 'no config' } })
    const bad = await start(failing, 'bad', { node }).catch((e: unknown) => e) as { reason: Error }
    expect(bad.reason.name).toBe('BadReturnError')
    await settle()
    expect(p.alive).toBe(true)
  })

  it('rejects start with InitIgnoredError when init returns ignore', async () => {
    fresh()
    interface Ignoring extends ServerTypes { state: null }
    await expect(start(defineServer<Ignoring>({ init: () => ({ ignore: true }) }), undefined, { node })).rejects.toMatchObject({ name: 'InitIgnoredError' })
  })

  it('refuses something that is not a behaviour with InvalidBehaviourError naming the field', async () => {
    fresh()
    await expect(start({} as never, undefined, { node })).rejects.toMatchObject({ name: 'InvalidBehaviourError', field: 'init' })
    await expect(start({ init: () => ({ state: 1 }), handleCall: { x: 1 } } as never, undefined, { node })).rejects.toMatchObject({ name: 'InvalidBehaviourError', field: 'handleCall.x' })
    await expect(start({ init: () => ({ state: 1 }), terminate: 'no' } as never, undefined, { node })).rejects.toMatchObject({ name: 'InvalidBehaviourError', field: 'terminate' })
  })

  it('rejects stop with StopTimeoutError when terminate takes longer than the timeout', async () => {
    fresh()
    interface SlowStop extends ServerTypes { state: null }
    const pid = await start(defineServer<SlowStop>({
      init: () => ({ state: null }),
      terminate: async () => { await new Promise(() => {}) }
    }), undefined, { node })
    const settled = stop(pid, 'normal', 50).catch((e: Error) => e)
    await clock.advance(50)
    expect(await settled).toMatchObject({ name: 'StopTimeoutError' })
  })

  it('does not run terminate when killed by an exit signal it does not trap', async () => {
    fresh()
    const events: string[] = []
    const pid = await start(counter(events), 0, { node })
    exit(pid, 'kill')
    await waitFor(() => processInfo(pid) === undefined)
    expect(events.some(e => e.startsWith('terminate'))).toBe(false)
  })
})
