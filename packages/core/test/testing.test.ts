import { describe, expect, it } from 'vitest'
import { defineServer, send } from '../src/index.js'
import type { Pid, ServerTypes } from '../src/index.js'
import { startIsolated, VirtualClock } from '../src/testing/index.js'
import { counter } from './fixtures.js'

interface Relay extends ServerTypes {
  arg: undefined
  state: Pid[]
  calls: { subscribe: { request: { pid: Pid }, reply: 'ok' } }
  casts: { publish: { text: string } }
}

const relay = defineServer<Relay>({
  init: () => ({ state: [] }),
  handleCall: { subscribe: (req, _from, subs) => ({ reply: 'ok', state: [...subs, req.pid] }) },
  handleCast: {
    publish: (m, subs) => {
      for (const s of subs) send(s, { text: m.text })
      return { state: subs }
    }
  }
})

describe('test kit', () => {
  it('starts a behaviour in isolation and records what it sent', async () => {
    const h = await startIsolated(relay, undefined)
    try {
      const a = h.probe()
      const b = h.probe()
      await h.call({ type: 'subscribe', pid: a.pid })
      await h.call({ type: 'subscribe', pid: b.pid })
      await h.cast({ type: 'publish', text: 'hi' })
      expect(h.sent.map(s => [(s.to as Pid).equals(a.pid) ? 'a' : 'b', s.message])).toEqual([['a', { text: 'hi' }], ['b', { text: 'hi' }]])
      expect(await a.next()).toEqual({ text: 'hi' })
      expect(await h.state()).toHaveLength(2)
    } finally {
      await h.close()
    }
  })

  it('drives call timeouts with the virtual clock, not wall time', async () => {
    const h = await startIsolated(counter(), 0)
    try {
      const pending = h.call({ type: 'later' }, 1000).catch((e: Error) => e.name)
      await h.clock.advance(1000)
      expect(await pending).toBe('CallTimeoutError')
    } finally {
      await h.close()
    }
  })

  it('fires virtual timers in deadline order', async () => {
    const clock = new VirtualClock()
    const fired: number[] = []
    clock.setTimeout(() => fired.push(3), 30)
    clock.setTimeout(() => fired.push(1), 10)
    const t = clock.setTimeout(() => fired.push(99), 20)
    clock.setTimeout(() => fired.push(2), 20)
    clock.clearTimeout(t)
    await clock.advance(25)
    expect(fired).toEqual([1, 2])
    await clock.runAll()
    expect(fired).toEqual([1, 2, 3])
    expect(clock.now()).toBe(30)
  })
})
