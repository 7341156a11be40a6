/**
 * Type tests at the cluster boundary: typed global names, group members, GenCluster handles and
 * helpers, and the event map of a ClusterNode (known names compile without a cast, others do not).
 */
import { describe, expectTypeOf, it } from 'vitest'
import { call, named } from '@gen-cluster/core'
import type { Pid, ServerPid, ServerTypes } from '@gen-cluster/core'
import { clusterOf, globalName, groupName, leader, multiCall, broadcast } from '../src/index.js'
import type { ClusterNode, MemberResult, NodeDownEvent, NodeUpEvent, Pg } from '../src/index.js'

interface Counter extends ServerTypes {
  state: number
  calls: { get: { reply: number }, add: { request: { by: number }, reply: number } }
  info: { type: 'tick' }
}

declare const node: ClusterNode
declare const pg: Pg

describe('typed handles at the cluster boundary', () => {
  it('types calls through globalName<T>', () => {
    const COUNTER = globalName<Counter>('counter')
    expectTypeOf(call(COUNTER, { type: 'get' })).toEqualTypeOf<Promise<number>>()
    expectTypeOf(call(COUNTER, { type: 'add', by: 2 })).toEqualTypeOf<Promise<number>>()
    // @ts-expect-error an unknown request type does not compile
    void call(COUNTER, { type: 'nope' })
    // @ts-expect-error a missing field does not compile
    void call(COUNTER, { type: 'add' })
  })

  it('types the members of a typed group, and leaves a plain group untyped', () => {
    const WORKERS = groupName<Counter>('workers')
    expectTypeOf(pg.members(WORKERS)).toEqualTypeOf<ReadonlyArray<ServerPid<Counter>>>()
    expectTypeOf(pg.localMembers(WORKERS)).toEqualTypeOf<ReadonlyArray<ServerPid<Counter>>>()
    expectTypeOf(pg.members('plain')).toEqualTypeOf<readonly Pid[]>()
    const first = pg.members(WORKERS)[0]
    if (first !== undefined) expectTypeOf(call(first, { type: 'get' })).toEqualTypeOf<Promise<number>>()
  })

  it('types leader, multiCall and broadcast of a GenCluster<T>, and its handle', () => {
    const CHAT = named<Counter>('chat')
    expectTypeOf(leader(node, CHAT)).toEqualTypeOf<ServerPid<Counter> | undefined>()
    expectTypeOf(leader(node, 'plain')).toEqualTypeOf<Pid | undefined>()
    expectTypeOf(multiCall(node, CHAT, { type: 'add', by: 1 })).toEqualTypeOf<Promise<Array<MemberResult<number>>>>()
    expectTypeOf(broadcast(node, CHAT, { type: 'tick' })).toEqualTypeOf<Promise<number>>()
    // @ts-expect-error an info the server does not take does not compile
    void broadcast(node, CHAT, { type: 'tock' })
    const chat = clusterOf<Counter>(node, 'chat')
    expectTypeOf(chat.leader()).toEqualTypeOf<ServerPid<Counter> | undefined>()
    expectTypeOf(chat.multiCall({ type: 'get' })).toEqualTypeOf<Promise<Array<MemberResult<number>>>>()
    // @ts-expect-error an unknown request type does not compile
    void chat.multiCall({ type: 'nope' })
  })

  it('types the events of a ClusterNode by name, and refuses unknown names', () => {
    node.addEventListener('node:up', (e) => { expectTypeOf(e.detail).toEqualTypeOf<NodeUpEvent>() })
    node.addEventListener('node:down', (e) => { expectTypeOf(e.detail.node).toEqualTypeOf<string>(); expectTypeOf(e.detail).toEqualTypeOf<NodeDownEvent>() })
    node.addEventListener('node:joining', (e) => { expectTypeOf(e.detail.attempt).toEqualTypeOf<number>() })
    // @ts-expect-error an event name not in the map does not compile
    node.addEventListener('node:upp', () => {})
  })
})
