/** Servers shared by the GenServer tests. */
import { defineServer, reply, self } from '../src/index.js'
import type { GenServer } from '../src/index.js'
import type { ExitReason, From, Pid, ServerTypes } from '../src/index.js'

export interface Counter extends ServerTypes {
  arg: number
  state: number
  calls: {
    get: { reply: number }
    add: { request: { by: number }, reply: number }
    whoami: { reply: Pid }
    slowGet: { request: { ms: number }, reply: number }
    later: { reply: number }
    stopWith: { request: { reason: ExitReason }, reply: 'bye' }
    bad: { reply: number }
    boom: { reply: number }
  }
  casts: { inc: { by: number }, release: {} }
  info: { type: 'tick' }
  continue: 'double'
}

/** A counter with sync and async handlers, deferred replies, continue and terminate hooks. */
export function counter (events: string[] = []): GenServer<Counter> {
  let pending: From<number> | undefined
  return defineServer<Counter>({
    version: '1',
    init: (n) => {
      events.push(`init ${n}`)
      return { state: n }
    },
    handleCall: {
      get: (_req, _from, n) => ({ reply: n, state: n }),
      add: (req, _from, n) => ({ reply: n + req.by, state: n + req.by, ...(req.by === 0 ? { continue: 'double' as const } : {}) }),
      whoami: async (_req, _from, n) => {
        await Promise.resolve()
        await new Promise(resolve => setImmediate(resolve))
        return { reply: self(), state: n }
      },
      slowGet: async (req, _from, n) => {
        await new Promise(resolve => setTimeout(resolve, req.ms))
        return { reply: n, state: n }
      },
      later: (_req, from, n) => {
        pending = from
        return { noreply: true, state: n }
      },
      stopWith: (req, _from, n) => ({ stop: req.reason, reply: 'bye', state: n }),
      bad: () => ({ nonsense: 1 }) as never,
      boom: () => { throw new Error('boom') }
    },
    handleCast: {
      inc: (m, n) => ({ state: n + m.by }),
      release: (_m, n) => {
        if (pending !== undefined) reply(pending, n)
        pending = undefined
        return { state: n }
      }
    },
    handleInfo: (m, n) => {
      events.push(`info ${m.type}`)
      return { state: m.type === 'tick' ? n + 100 : n }
    },
    handleContinue: (c, n) => {
      events.push(`continue ${c}`)
      return { state: n * 2 }
    },
    terminate: (reason, n) => {
      events.push(`terminate ${typeof reason === 'string' ? reason : reason instanceof Error ? reason.name : 'shutdown'} ${n}`)
    }
  })
}
