/**
 * What OTP's gen_server has besides calls and casts: callback timeouts, a start timeout,
 * start_monitor, format_status, and stop's argument checks.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { call, cast, defineServer, getState, monitor, processInfo, send, start, startMonitor, stop } from '../src/index.js'
import type { CoreNode, DownMessage, InfoMessage, LogLevel, NameRegistry, Pid, ServerTypes } from '../src/index.js'
import { probe, settle, testNodes, VirtualClock, waitFor } from '../src/testing/index.js'

const nodes = testNodes('otp')
let node: CoreNode
let clock: VirtualClock
afterEach(() => { nodes.cleanup() })
function fresh (logger?: Parameters<typeof nodes.fresh>[0]): void {
  clock = new VirtualClock()
  node = nodes.fresh({ clock, ...logger })
}

interface Idle extends ServerTypes {
  arg: number | undefined
  state: string[]
  calls: { poke: { request: { timeout?: number }, reply: 'ok' }, log: { reply: string[] } }
  casts: { wait: { timeout: number | undefined }, both: {} }
  info: string
}

/** A server that records every info it gets, and asks for a timeout where told. */
const idle = defineServer<Idle>({
  init: (t) => t === undefined ? { state: [] } : { state: [], timeout: t },
  handleCall: {
    poke: (r, _f, s) => r.timeout === undefined ? { reply: 'ok', state: s } : { reply: 'ok', state: s, timeout: r.timeout },
    log: (_r, _f, s) => ({ reply: s, state: s })
  },
  handleCast: {
    wait: (m, s) => m.timeout === undefined ? { state: s } : { state: s, timeout: m.timeout },
    both: (_m, s) => ({ state: s, timeout: 5, continue: 'x' } as never)
  },
  handleInfo: (m: InfoMessage<Idle>, s) => ({ state: [...s, typeof m === 'string' ? m : (m as { type: string }).type] })
})

describe('callback timeouts', () => {
  it('gives the server a timeout info when no message arrives within the timeout of init', async () => {
    fresh()
    const pid = await start(idle, 100, { node })
    await clock.advance(99)
    expect(await getState(pid)).toEqual([])
    await clock.advance(100)
    expect(await call(pid, { type: 'log' })).toEqual(['timeout'])
  })

  it('cancels the timeout when any message arrives first, and arms the one of the next result', async () => {
    fresh()
    const pid = await start(idle, undefined, { node })
    await call(pid, { type: 'poke', timeout: 50 })
    await clock.advance(40)
    send(pid, 'hello')
    await clock.advance(100)
    expect(await call(pid, { type: 'log' })).toEqual(['hello'])
    cast(pid, { type: 'wait', timeout: 10 })
    await settle()
    await clock.advance(10)
    expect(await call(pid, { type: 'log' })).toEqual(['hello', 'timeout'])
  })

  it('starts the timeout again, in full, after a system request such as getState (as OTP does)', async () => {
    fresh()
    const pid = await start(idle, 100, { node })
    await clock.advance(60)
    await getState(pid)
    await clock.advance(60)
    expect(await getState(pid)).toEqual([])
    await clock.advance(100)
    expect(await getState(pid)).toEqual(['timeout'])
  })

  it('ends the timeout with a result that has none: a later system request does not start it again', async () => {
    fresh()
    const pid = await start(idle, undefined, { node })
    cast(pid, { type: 'wait', timeout: 100 })
    await settle()
    cast(pid, { type: 'wait', timeout: undefined })   // no timeout: infinity, as in OTP
    await settle()
    await getState(pid)
    await clock.advance(500)
    expect(await call(pid, { type: 'log' })).toEqual([])
  })

  it('stops the server with BadReturnError for a result with both timeout and continue, or a bad timeout', async () => {
    fresh()
    const pid = await start(idle, undefined, { node })
    const watcher = probe(node)
    const ref = watcher.run(() => monitor(pid))
    cast(pid, { type: 'both' })
    const down = await watcher.next<DownMessage>(m => (m as DownMessage).ref?.equals(ref) === true)
    expect(down.reason).toMatchObject({ name: 'BadReturnError', callback: 'handleCast' })
    await expect(start(idle, -1, { node })).rejects.toMatchObject({ name: 'InitError', reason: { name: 'BadReturnError', callback: 'init' } })
  })
})


interface Slow extends ServerTypes { arg: Promise<void>, state: null }
const slow = defineServer<Slow>({ init: async (gate) => { await gate; return { state: null } } })

describe('start timeout', () => {
  it('kills a server whose init takes longer than the start timeout, and rejects with StartTimeoutError', async () => {
    fresh()
    const gate = Promise.withResolvers<void>()
    const before = node.procs.size
    const started = start(slow, gate.promise, { node, timeout: 200, name: 'slow' }).catch((e: unknown) => e)
    await clock.advance(199)
    expect(node.whereis('slow')).toBeDefined()
    await clock.advance(1)
    expect(await started).toMatchObject({ name: 'StartTimeoutError', timeout: 200 })
    expect(node.procs.size).toBe(before)
    expect(node.whereis('slow')).toBeUndefined()
    gate.resolve()
    await settle()
    expect(node.procs.size).toBe(before)
  })

  it('counts a slow registration through a registry (via, global) within the start timeout', async () => {
    fresh()
    const before = node.procs.size
    const names = new Map<string, Pid>()
    const slowRegistry: NameRegistry = {
      registerName: async (n, pid) => { await new Promise<void>(resolve => { clock.setTimeout(() => { resolve() }, 500) }); names.set(n, pid); return true },
      unregisterName: (n) => { names.delete(n) },
      whereisName: (n) => names.get(n)
    }
    const gate = Promise.withResolvers<void>()
    gate.resolve()
    const started = start(slow, gate.promise, { node, timeout: 100, name: { via: slowRegistry, name: 's' } }).catch((e: unknown) => e)
    await clock.advance(100)
    expect(await started).toMatchObject({ name: 'StartTimeoutError', timeout: 100 })
    expect(node.procs.size).toBe(before)
  })

  it('refuses a bad start timeout with a TypeError that states the rule, starting nothing', async () => {
    fresh()
    const before = node.procs.size
    for (const bad of [-1, Number.NaN, '10']) {
      await expect(start(idle, undefined, { node, timeout: bad as number })).rejects.toThrow(/timeout must be a non-negative number/)
    }
    expect(node.procs.size).toBe(before)
  })
})

describe('startMonitor', () => {
  it('resolves with the pid and a monitor set before init, whose DOWN follows the exit', async () => {
    fresh()
    const p = probe(node)
    const { pid, ref } = await p.run(async () => await startMonitor(idle, undefined, { node }))
    expect(processInfo(pid)?.monitoredBy).toEqual([p.pid])
    await stop(pid, 'shutdown')
    const down = await p.next<DownMessage>(m => (m as DownMessage).type === 'DOWN')
    expect(down.ref.equals(ref)).toBe(true)
    expect(down.reason).toBe('shutdown')
  })

  it('delivers the DOWN also when init fails, after the rejection', async () => {
    fresh()
    const p = probe(node)
    await expect(p.run(async () => await startMonitor(idle, -1, { node }))).rejects.toMatchObject({ name: 'InitError' })
    const down = await p.next<DownMessage>(m => (m as DownMessage).type === 'DOWN')
    expect(down.reason).toMatchObject({ name: 'BadReturnError' })
  })

  it('outside a process throws a TypeError (the monitor needs a watcher)', async () => {
    fresh()
    await expect(startMonitor(idle, undefined, { node })).rejects.toThrow(/inside a process/)
  })
})

interface Vault extends ServerTypes {
  state: { password: string, hits: number }
  calls: { boom: { reply: never } }
}

describe('formatStatus', () => {
  const vault = defineServer<Vault>({
    init: () => ({ state: { password: 'hunter2', hits: 0 } }),
    handleCall: { boom: () => { throw new Error('kaboom') } },
    formatStatus: (status) => ({ ...status, state: { password: '***', hits: status.state.hits } })
  })

  it('shapes what processInfo shows of the state, not what getState answers', async () => {
    fresh()
    const pid = await start(vault, undefined, { node })
    expect(processInfo(pid)?.state).toEqual({ password: '***', hits: 0 })
    expect(await getState(pid)).toEqual({ password: 'hunter2', hits: 0 })
  })

  it('shapes the crash report: reason, last message and state, never the hidden field', async () => {
    const lines: Array<{ level: LogLevel, message: string, data: Record<string, unknown> | undefined }> = []
    fresh({ logger: () => ({ debug () {}, info () {}, warn () {}, error: (message: string, data?: Record<string, unknown>) => { lines.push({ level: 'error', message, data }) } }) as never })
    const pid = await start(vault, undefined, { node })
    await expect(call(pid, { type: 'boom' })).rejects.toMatchObject({ name: 'CallExitError' })
    await waitFor(() => lines.length > 0)
    const report = lines.find(l => l.message === 'server terminating')
    expect(report?.data).toMatchObject({ reason: expect.stringContaining('kaboom') as unknown, lastMessage: '{"call":{"type":"boom"}}' })
    expect(JSON.stringify(lines)).not.toContain('hunter2')
    expect(report?.data?.state).toBe('{"password":"***","hits":0}')
  })

  it('shows neither state when formatStatus throws', async () => {
    fresh()
    const leaky = defineServer<Vault>({ ...vault, formatStatus: () => { throw new Error('bug') } })
    const pid = await start(leaky, undefined, { node })
    expect(JSON.stringify(processInfo(pid)?.state)).not.toContain('hunter2')
  })
})

describe('stop checks its arguments', () => {
  it('refuses a bad timeout or reason with a TypeError and leaves the server running', async () => {
    fresh()
    const pid = await start(idle, undefined, { node })
    for (const bad of [Number.NaN, -5, '100', null]) {
      await expect(stop(pid, 'normal', bad as number)).rejects.toMatchObject({ name: 'TypeError' })
      await expect(stop(pid, 'normal', { timeout: bad as number })).rejects.toMatchObject({ name: 'TypeError' })
    }
    await expect(stop(pid, 'bogus' as never)).rejects.toMatchObject({ name: 'TypeError' })
    await settle()
    expect(processInfo(pid)).toBeDefined()
    expect(await call(pid, { type: 'poke' })).toBe('ok')
    await stop(pid, 'normal', { timeout: 1000 })
    expect(processInfo(pid)).toBeUndefined()
  })
})

describe('stop answers how the server ended', () => {
  interface Fragile extends ServerTypes { arg: 'terminate throws' | 'fine', state: 'terminate throws' | 'fine', casts: { boom: {} } }
  const fragile = defineServer<Fragile>({
    init: (how) => ({ state: how }),
    handleCast: { boom: () => { throw new Error('boom') } },
    terminate: (_reason, how) => { if (how === 'terminate throws') throw new Error('terminate failed') }
  })

  it('rejects with CallExitError when terminate throws, so the server ended with another reason (as gen_server:stop exits)', async () => {
    fresh()
    const pid = await start(fragile, 'terminate throws', { node })
    await expect(stop(pid, 'normal')).rejects.toMatchObject({ name: 'CallExitError', reason: { message: 'terminate failed' } })
    expect(processInfo(pid)).toBeUndefined()
  })

  it('rejects when the server crashed before it read the stop request, and resolves for the reason asked', async () => {
    fresh()
    const pid = await start(fragile, 'fine', { node })
    cast(pid, { type: 'boom' })
    await expect(stop(pid, 'normal')).rejects.toMatchObject({ name: 'CallExitError', reason: { message: 'boom' } })
    const other = await start(fragile, 'fine', { node })
    await expect(stop(other, { shutdown: 'bye' })).resolves.toBeUndefined()
  })
})
