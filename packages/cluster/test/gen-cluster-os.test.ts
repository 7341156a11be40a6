/**
 * GenCluster with the holder's node in an OS process of its own (`fixtures/member-main.ts`, started
 * first, so its member founds the cluster and holds the name), and two nodes with a member each in
 * this process: kill -9 of the holder's node, and SIGSTOP then SIGCONT of it. The child is ended by
 * pid after each test, whatever happened.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Pid, silentLogger } from '@gen-cluster/core'
import type { IdentityTuple } from '@gen-cluster/core'
import { waitFor } from '@gen-cluster/core/testing'
import { leader, pidlist, startGlobal, startMember, startNode } from '../src/index.js'
import type { ClusterNode, NodeDownEvent } from '../src/index.js'
import { endChildren, MEMBER_MAIN, startChild } from './child.js'
import type { ChildNode } from './child.js'
import { contractViolations, eventsOf, recorder } from './gen-cluster-recorder.js'
import type { CallbackEvent } from './gen-cluster-recorder.js'

const SECRET = 'e5'.repeat(32)
const CLUSTER = 'demo'
let home: string
const nodes: ClusterNode[] = []
let events: CallbackEvent[] = []
/** What each node's registry said holds the name when a takeover ran (proof it is held again then). */
let leadersAtTakeover: Array<Array<string | undefined>> = []

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'gen-cluster-os-members-'))
  events = []
  leadersAtTakeover = []
})
afterEach(async () => {
  await endChildren()
  await Promise.all(nodes.splice(0).map(async n => { await n.stop() }))
  rmSync(home, { recursive: true, force: true })
})

interface Trio {
  readonly h: ChildNode
  readonly a: ClusterNode
  readonly b: ClusterNode
  /** Members by node: the holder's (in the child), a's and b's. */
  readonly mh: string
  readonly ma: Pid
  readonly mb: Pid
}

/** The child's callback events (as the test process records its own). */
const childEvents = (h: ChildNode): CallbackEvent[] => h.events.filter(e => e.event === 'callback') as unknown as CallbackEvent[]

/**
 * Starts the holder's node `h@test` as a child, then `a@test` and `b@test` here (seeded with h), the
 * registry on both, and one member on a, then one on b: the pidlist is [h, a, b] in join order.
 */
async function trio (): Promise<Trio> {
  const h = startChild(['--name', 'h@test', '--home', home, '--secret', SECRET], MEMBER_MAIN)
  const ready = await h.next(e => e.event === 'ready')
  const mh = Pid.from(ready.member as { pid: IdentityTuple }).key
  const seed = (ready.addresses as string[])[0] as string
  const a = await startNode({ name: 'a@test', home, secret: SECRET, logger: silentLogger, seeds: [seed] })
  nodes.push(a)
  const b = await startNode({ name: 'b@test', home, secret: SECRET, logger: silentLogger, seeds: [seed] })
  nodes.push(b)
  await waitFor(() => a.nodes().length === 2 && b.nodes().length === 2, { timeout: 10_000, message: 'no full mesh of a, b, h' })
  const [ga, gb] = await Promise.all([startGlobal(a), startGlobal(b)])
  await waitFor(() => ga.whereisName(`gen_cluster:${CLUSTER}`)?.key === mh && gb.whereisName(`gen_cluster:${CLUSTER}`)?.key === mh, { timeout: 5000, message: 'a and b do not see the holder' })
  const member = recorder(e => {
    events.push(e)
    if (e.cb === 'handleTakeover') leadersAtTakeover.push([a, b].map(n => leader(n, CLUSTER)?.key))
  }, () => performance.now())
  const ma = await startMember(member, undefined, { node: a, cluster: CLUSTER })
  const mb = await startMember(member, undefined, { node: b, cluster: CLUSTER })
  await waitFor(() => events.length === 1 && childEvents(h).length === 2, { timeout: 5000, message: 'join callbacks missing' })
  // Exactly: the holder ran handleJoin for a's member then b's; a's ran handleNodeJoined for b's.
  expect(childEvents(h).map(e => [e.member, e.cb, e.pid, e.pidlist])).toEqual([
    [mh, 'handleJoin', ma.key, [mh, ma.key]],
    [mh, 'handleJoin', mb.key, [mh, ma.key, mb.key]]
  ])
  expect(events.map(e => [e.member, e.cb, e.pid, e.pidlist])).toEqual([[ma.key, 'handleNodeJoined', mb.key, [mh, ma.key, mb.key]]])
  expect([(await pidlist(ma)).map(p => p.key), (await pidlist(mb)).map(p => p.key)]).toEqual([[mh, ma.key, mb.key], [mh, ma.key, mb.key]])
  return { h, a, b, mh, ma, mb }
}

/** Resolves with the time (performance.now) of `node`'s node-down event for `peer`. */
function downAt (node: ClusterNode, peer: string): Promise<number> {
  return new Promise(resolve => {
    const h = (e: Event): void => {
      if ((e as CustomEvent<NodeDownEvent>).detail.node !== peer) return
      node.removeEventListener('node:down', h)
      resolve(performance.now())
    }
    node.addEventListener('node:down', h)
  })
}

let query = 0
/** The child's view: its registry's holder of the name and its member's pidlist. */
async function childState (h: ChildNode): Promise<{ leader: string | null, pidlist: string[] }> {
  const id = ++query
  h.proc.stdin?.write(`state ${id}\n`)
  return await h.next(e => e.event === 'state' && e.id === id, 5000) as unknown as { leader: string | null, pidlist: string[] }
}

const row = (e: CallbackEvent): unknown[] => e.cb === 'handleLeave' ? [e.member, e.cb, e.pid, e.pidlist, e.info] : [e.member, e.cb, e.pid, e.pidlist]

describe('GenCluster with the holder in another OS process', () => {
  it('re-registers the cluster name on the longest-standing survivor within 50 ms of node-down when the holder\'s node is killed with -9', async () => {
    const { h, a, b, mh, ma, mb } = await trio()
    const mark = events.length
    const down = downAt(a, 'h@test')
    h.signal('SIGKILL')
    const detected = await down
    await waitFor(() => events.slice(mark).some(e => e.cb === 'handleTakeover'), { timeout: 5000, message: 'no takeover after kill -9' })
    const takeover = events.slice(mark).find(e => e.cb === 'handleTakeover') as CallbackEvent
    const ms = takeover.at - detected
    process.stdout.write(`kill -9: name held again ${ms.toFixed(1)} ms after node-down\n`)
    await waitFor(() => events.length === mark + 3, { timeout: 5000, message: 'leave callbacks missing' })

    const survivors = [ma.key, mb.key]
    expect(eventsOf(events.slice(mark), ma.key).map(row)).toEqual([
      [ma.key, 'handleLeave', mh, survivors, 'noconnection'],
      [ma.key, 'handleTakeover', mh, survivors]
    ])
    expect(eventsOf(events.slice(mark), mb.key).map(row)).toEqual([[mb.key, 'handleLeave', mh, survivors, 'noconnection']])
    // When handleTakeover ran, the registration had completed on every node.
    expect(leadersAtTakeover).toEqual([[ma.key, ma.key]])
    expect([leader(a, CLUSTER)?.key, leader(b, CLUSTER)?.key]).toEqual([ma.key, ma.key])
    expect([(await pidlist(ma)).map(p => p.key), (await pidlist(mb)).map(p => p.key)]).toEqual([survivors, survivors])
    expect(ms).toBeLessThanOrEqual(50)
    const initial = new Map([[ma.key, [mh, ma.key]], [mb.key, [mh, ma.key, mb.key]]])
    expect(survivors.map(m => contractViolations(events, m, initial.get(m) ?? []))).toEqual([[], []])
  })

  it('takes the name over once a paused (SIGSTOP) holder\'s node is detected, and after SIGCONT ends with one holder, the stale one merged, identical pidlists', async () => {
    const { h, a, b, mh, ma, mb } = await trio()
    const mark = events.length
    const down = downAt(a, 'h@test')
    const stoppedAt = performance.now()
    h.signal('SIGSTOP')
    const detected = await down
    await waitFor(() => events.slice(mark).some(e => e.cb === 'handleTakeover'), { timeout: 5000, message: 'no takeover after the pause' })
    const takeover = events.slice(mark).find(e => e.cb === 'handleTakeover') as CallbackEvent
    await waitFor(() => events.length === mark + 3, { timeout: 5000, message: 'leave callbacks missing' })
    const survivors = [ma.key, mb.key]
    expect(eventsOf(events.slice(mark), ma.key).map(row)).toEqual([
      [ma.key, 'handleLeave', mh, survivors, 'noconnection'],
      [ma.key, 'handleTakeover', mh, survivors]
    ])
    expect(eventsOf(events.slice(mark), mb.key).map(row)).toEqual([[mb.key, 'handleLeave', mh, survivors, 'noconnection']])
    expect(leadersAtTakeover).toEqual([[ma.key, ma.key]])

    const resume = events.length
    const childMark = childEvents(h).length
    const resumedAt = performance.now()
    h.signal('SIGCONT')
    // Bounded poll of every node's view (the child answers on stdin) until they agree.
    const all = [mh, ma.key, mb.key]
    let agreed = false
    for (let i = 0; i < 100 && !agreed && performance.now() - resumedAt < 5000; i++) {
      const child = await childState(h)
      const lists = [child.pidlist, (await pidlist(ma)).map(p => p.key), (await pidlist(mb)).map(p => p.key)]
      const views = [child.leader, leader(a, CLUSTER)?.key, leader(b, CLUSTER)?.key]
      agreed = views.every(v => v === ma.key) && lists.every(l => l.length === 3 && l.join() === lists[0]?.join())
      if (!agreed) await new Promise(resolve => setTimeout(resolve, 20))
    }
    const settledMs = performance.now() - resumedAt
    await waitFor(() => events.length === resume + 2 && childEvents(h).length === childMark + 4, { timeout: 5000, message: 'merge callbacks missing' })
    process.stdout.write(`SIGSTOP: node-down ${(detected - stoppedAt).toFixed(0)} ms after the stop, takeover ${(takeover.at - detected).toFixed(1)} ms after node-down; after SIGCONT one holder and identical pidlists in ${settledMs.toFixed(0)} ms\n`)

    expect(agreed).toBe(true)
    expect(takeover.at - stoppedAt).toBeLessThanOrEqual(2500)
    expect(settledMs).toBeLessThanOrEqual(2000)
    // The survivors each see the stale holder join back, once.
    expect(events.slice(resume).map(e => [e.member, e.cb, e.pid]).sort()).toEqual([
      [ma.key, 'handleNodeJoined', mh],
      [mb.key, 'handleNodeJoined', mh]
    ].sort())
    // The stale holder saw each other member leave (the links it lost while paused), then join back
    // once merged: once each, the leave first.
    const stale = childEvents(h).slice(childMark)
    expect(stale.map(e => [e.cb, e.pid, e.info ?? null]).sort()).toEqual([
      ['handleLeave', ma.key, 'noconnection'], ['handleLeave', mb.key, 'noconnection'],
      ['handleNodeJoined', ma.key, null], ['handleNodeJoined', mb.key, null]
    ].sort())
    for (const p of [ma.key, mb.key]) expect(stale.filter(e => e.pid === p).map(e => e.cb)).toEqual(['handleLeave', 'handleNodeJoined'])
    const final = await childState(h)
    expect(final).toEqual({ event: 'state', id: query, leader: ma.key, pidlist: [ma.key, mb.key, mh] })
    expect([(await pidlist(ma)).map(p => p.key), (await pidlist(mb)).map(p => p.key)]).toEqual([final.pidlist, final.pidlist])
    const initial = new Map([[mh, [mh]], [ma.key, [mh, ma.key]], [mb.key, [mh, ma.key, mb.key]]])
    const everything = [...events, ...childEvents(h)]
    expect(all.map(m => contractViolations(everything, m, initial.get(m) ?? []))).toEqual([[], [], []])
  })
})
