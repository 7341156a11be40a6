/** Type tests for the OTP additions: typed names, multiCall/abcast, startOn, timeouts, formatStatus, the node option. */
import { describe, expectTypeOf, it } from 'vitest'
import { abcast, call, createNode, defineServer, multiCall, named, startOn, stop } from '../src/index.js'
import type { InfoMessage, MultiCallResult, NodeRef, Pid, ServerPid, ServerTypes } from '../src/index.js'

interface Counter extends ServerTypes {
  arg: number
  state: { n: number, secret: string }
  calls: { get: { reply: number } }
  casts: { inc: { by: number } }
}

describe('OTP additions, typed', () => {
  it('types calls, multiCall and abcast through named<T>', () => {
    const C = named<Counter>('counter')
    expectTypeOf(call(C, { type: 'get' })).toEqualTypeOf<Promise<number>>()
    expectTypeOf(multiCall(C, { type: 'get' })).toEqualTypeOf<Promise<MultiCallResult<number>>>()
    abcast(C, { type: 'inc', by: 1 })
    // @ts-expect-error a cast the server does not take does not compile
    abcast(C, { type: 'dec' })
    expectTypeOf(multiCall('plain', { type: 'x' })).toEqualTypeOf<Promise<MultiCallResult<unknown>>>()
  })

  it('types startOn by the behaviour name it is given', () => {
    expectTypeOf(startOn('b@host', named<Counter>('counter'), 1)).toEqualTypeOf<Promise<ServerPid<Counter>>>()
    expectTypeOf(startOn('b@host', 'untyped', {})).toEqualTypeOf<Promise<Pid>>()
    // @ts-expect-error the argument must be the behaviour's init argument
    void startOn('b@host', named<Counter>('counter'), 'one')
  })

  it('accepts timeout results, the timeout info and formatStatus', () => {
    defineServer<Counter>({
      init: (n) => ({ state: { n, secret: 's' }, timeout: 1000 }),
      handleCall: { get: (_r, _f, s) => ({ reply: s.n, state: s, timeout: 50 }) },
      handleCast: { inc: (m, s) => ({ state: { ...s, n: s.n + m.by } }) },
      handleInfo: (m: InfoMessage<Counter>, s) => {
        if (m.type === 'timeout') return { state: s }
        return { state: s }
      },
      formatStatus: (status) => ({ ...status, state: { n: status.state.n } })
    })
    // @ts-expect-error timeout and continue are exclusive
    defineServer<Counter & { continue: 'x' }>({ init: (n) => ({ state: { n, secret: '' }, timeout: 5, continue: 'x' }), handleCall: { get: (_r, _f, s) => ({ reply: 0, state: s }) }, handleCast: { inc: (_m, s) => ({ state: s }) }, handleContinue: (_c, s) => ({ state: s }) })
  })

  it('takes a node option that is a core node or a holder of one', () => {
    expectTypeOf(createNode()).toMatchTypeOf<NodeRef>()
    expectTypeOf<{ core: ReturnType<typeof createNode> }>().toMatchTypeOf<NodeRef>()
    expectTypeOf(stop).parameter(2).toEqualTypeOf<number | { timeout?: number, node?: NodeRef } | undefined>()
  })
})
