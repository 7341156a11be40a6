import { describe, expectTypeOf, it } from 'vitest'
import { call, cast, defineServer, getState, reply, start } from '../src/index.js'
import type { CallRequest, GenServer, Named, Pid, ReplyOf, ServerPid, ServerTypes } from '../src/index.js'

interface Kv extends ServerTypes {
  arg: { initial: Record<string, number> }
  state: Map<string, number>
  calls: {
    get: { request: { key: string }, reply: number | undefined }
    size: { reply: number }
    keys: { reply: string[] }
  }
  casts: { put: { key: string, value: number } }
  info: { type: 'expire', key: string }
}

const kv = defineServer<Kv>({
  init: ({ initial }) => ({ state: new Map(Object.entries(initial)) }),
  handleCall: {
    get: (req, _from, s) => ({ reply: s.get(req.key), state: s }),
    size: (_req, from, s) => {
      reply(from, s.size)
      return { noreply: true, state: s }
    },
    keys: async (_req, _from, s) => ({ reply: [...s.keys()], state: s })
  },
  handleCast: { put: (m, s) => ({ state: s.set(m.key, m.value) }) },
  handleInfo: (m, s) => {
    if (m.type === 'expire') s.delete(m.key)
    return { state: s }
  }
})

describe('typed GenServer API', () => {
  it('gives call the reply type of the request it sent', async () => {
    const pid = await start(kv, { initial: {} })
    expectTypeOf(pid).toEqualTypeOf<ServerPid<Kv>>()
    expectTypeOf(call(pid, { type: 'get', key: 'a' })).resolves.toEqualTypeOf<number | undefined>()
    expectTypeOf(call(pid, { type: 'size' })).resolves.toEqualTypeOf<number>()
    expectTypeOf(call(pid, { type: 'keys' })).resolves.toEqualTypeOf<string[]>()
    expectTypeOf(getState(pid)).resolves.toEqualTypeOf<Map<string, number>>()
  })

  it('refuses requests and casts the server does not declare', async () => {
    const pid = await start(kv, { initial: {} })
    // @ts-expect-error unknown call type
    void call(pid, { type: 'delete', key: 'a' })
    // @ts-expect-error missing field of a declared call
    void call(pid, { type: 'get' })
    // @ts-expect-error wrong field type
    cast(pid, { type: 'put', key: 'a', value: 'one' })
    cast(pid, { type: 'put', key: 'a', value: 1 })
  })

  it('types calls through a typed name', () => {
    const KV = 'kv' as Named<Kv>
    expectTypeOf(call(KV, { type: 'size' })).resolves.toEqualTypeOf<number>()
  })

  it('leaves calls to an untyped pid untyped', () => {
    const pid = {} as Pid
    expectTypeOf(call(pid, { anything: true })).resolves.toEqualTypeOf<unknown>()
  })

  it('derives request and reply types', () => {
    expectTypeOf<CallRequest<Kv>>().toEqualTypeOf<{ type: 'get', key: string } | { type: 'size' } | { type: 'keys' }>()
    expectTypeOf<ReplyOf<Kv, { type: 'keys' }>>().toEqualTypeOf<string[]>()
  })

  it('makes a missing or mistyped handler a compile error', () => {
    const missing: GenServer<Kv> = {
      init: () => ({ state: new Map() }),
      // @ts-expect-error handleCall.keys is missing
      handleCall: {
        get: (req, _f, s) => ({ reply: s.get(req.key), state: s }),
        size: (_r, _f, s) => ({ reply: s.size, state: s })
      },
      handleCast: { put: (_m, s) => ({ state: s }) },
      handleInfo: (_m, s) => ({ state: s })
    }
    const wrongReply: GenServer<Kv> = {
      init: () => ({ state: new Map() }),
      handleCall: {
        get: (req, _f, s) => ({ reply: s.get(req.key), state: s }),
        // @ts-expect-error size replies a number, not a string
        size: (_r, _f, s) => ({ reply: 'many', state: s }),
        keys: (_r, _f, s) => ({ reply: [...s.keys()], state: s })
      },
      handleCast: { put: (_m, s) => ({ state: s }) },
      handleInfo: (_m, s) => ({ state: s })
    }
    void missing
    void wrongReply
  })

  it('checks deferred replies against the reply type', () => {
    defineServer<Kv>({
      init: () => ({ state: new Map() }),
      handleCall: {
        get: (_req, from, s) => {
          // @ts-expect-error get replies number | undefined
          reply(from, 'text')
          return { noreply: true, state: s }
        },
        size: (_r, _f, s) => ({ reply: s.size, state: s }),
        keys: (_r, _f, s) => ({ reply: [], state: s })
      },
      handleCast: { put: (_m, s) => ({ state: s }) },
      handleInfo: (_m, s) => ({ state: s })
    })
  })

  it('accepts sync and async callbacks alike', () => {
    interface Both extends ServerTypes { state: number, calls: { a: { reply: number }, b: { reply: number } } }
    defineServer<Both>({
      init: async () => ({ state: 0 }),
      handleCall: {
        a: (_r, _f, n) => ({ reply: n, state: n }),
        b: async (_r, _f, n) => ({ reply: n, state: n })
      }
    })
  })
})
