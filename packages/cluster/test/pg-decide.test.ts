import { describe, expect, it } from 'vitest'
import { Pid, Ref } from '@gen-cluster/core'
import { addWatch, localJoin, localLeave, processDown } from '../src/pg/decide-local.js'
import { discovered, peerJoined, synced } from '../src/pg/decide-peers.js'
import { newScopeState } from '../src/pg/state.js'
import type { ScopeState } from '../src/pg/state.js'

const me = new Pid('a@x', 1, 7)
const peer = new Pid('b@x', 1, 9)
const watcher = new Pid('a@x', 50, 7)
const ref = new Ref('a@x', 1, 7)
const [p1, p2] = [new Pid('a@x', 10, 7), new Pid('a@x', 11, 7)]
const [q1, q2] = [new Pid('b@x', 20, 9), new Pid('b@x', 21, 9)]

/** A scope on a@x that knows peer b@x and has one watcher of group 'g'. */
function scope (): ScopeState {
  const s = newScopeState('default', me, new Map())
  discovered(s, peer)
  addWatch(s, { ref, watcher, group: 'g' })
  return s
}

describe('process-group decisions, as plain data', () => {
  it('monitors a process on its first join only, then tells every peer and every watcher, in that order', () => {
    const s = scope()
    expect(localJoin(s, 'g', [p1, p1])).toEqual([
      { type: 'monitor', pid: p1 },
      { type: 'send', to: peer, message: { pg: 1, op: 'join', scope: me, group: 'g', pids: [p1, p1] } },
      { type: 'send', to: watcher, message: { type: 'pg:join', ref, scope: 'default', group: 'g', pids: [p1, p1] } }
    ])
    expect(localLeave(s, 'g', [p1]).effects.map(e => e.type)).toEqual(['send', 'send'])
    expect(localLeave(s, 'g', [p1]).effects[0]).toEqual({ type: 'demonitor', pid: p1 })
    expect(localLeave(s, 'g', [p1])).toEqual({ left: false, effects: [] })
  })

  it('answers a DISCOVER with a SYNC, and asks back (and monitors) only a peer it did not know', () => {
    const s = newScopeState('default', me, new Map())
    localJoin(s, 'g', [p2, p1])
    const sync = { pg: 1, op: 'sync', scope: me, groups: [['g', [p2, p1]]] }
    expect(discovered(s, peer)).toEqual([
      { type: 'send', to: peer, message: sync },
      { type: 'monitor', pid: peer },
      { type: 'send', to: peer, message: { pg: 1, op: 'discover', scope: me } }
    ])
    expect(discovered(s, peer)).toEqual([{ type: 'send', to: peer, message: sync }])
  })

  it('tells watchers only what a SYNC changes against what the peer said before', () => {
    const s = scope()
    synced(s, peer, [['g', [q1, q1]], ['h', [q2]]])
    const effects = synced(s, peer, [['g', [q1, q2]], ['h', [q2]]])
    expect(effects.map(e => e.type === 'send' ? e.message : e)).toEqual([
      { type: 'pg:leave', ref, scope: 'default', group: 'g', pids: [q1] },
      { type: 'pg:join', ref, scope: 'default', group: 'g', pids: [q2] }
    ])
    expect(s.view.get('g')?.all).toEqual([q1, q2])
  })

  it('drops a JOIN from a peer it has not discovered, and a peer that goes down takes its members along', () => {
    const s = newScopeState('default', me, new Map())
    expect(peerJoined(s, peer, 'g', [q1])).toMatchObject([{ type: 'log', level: 'debug' }])
    expect(s.view.size).toBe(0)
    synced(s, peer, [['g', [q1]]])
    localJoin(s, 'g', [p1])
    expect(s.view.get('g')).toEqual({ all: [p1, q1], local: [p1] })
    expect(processDown(s, peer)).toEqual([])
    expect(s.view.get('g')).toEqual({ all: [p1], local: [p1] })
    expect(s.peers.size).toBe(0)
  })
})
