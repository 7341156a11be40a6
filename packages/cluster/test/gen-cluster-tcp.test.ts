/**
 * GenCluster over real libp2p on 127.0.0.1 (nodes in this process, a temporary home, a cluster
 * secret): clusters of 3 and 10 nodes formed by concurrent joins through different seeds, and a
 * partition made for real by cutting the TCP connections across it (`Libp2pTransport.block`), then
 * healed. Every callback of every member is recorded, and counts, order and pidlists are asserted
 * exactly.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { silentLogger } from '@gen-cluster/core'
import type { Pid } from '@gen-cluster/core'
import { waitFor } from '@gen-cluster/core/testing'
import { leader, pidlist, startGlobal, startMember, startNode } from '../src/index.js'
import type { ClusterNode, Libp2pTransport, NodeUpEvent } from '../src/index.js'
import { contractViolations, eventsOf, recorder } from './gen-cluster-recorder.js'
import type { CallbackEvent } from './gen-cluster-recorder.js'

const SECRET = 'd4'.repeat(32)
const CLUSTER = 'demo'
let home: string
const nodes: ClusterNode[] = []
let events: CallbackEvent[] = []

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'gen-cluster-tcp-'))
  events = []
})
afterEach(async () => {
  await Promise.all(nodes.splice(0).map(async n => { await n.stop() }))
  rmSync(home, { recursive: true, force: true })
})

/**
 * Starts `count` nodes `n0@test`…, each joining (in the background, so the joins overlap) through a
 * different earlier node: n1 and n2 through n0, n3 and n4 through n1, …; waits for the full mesh,
 * then starts the global registry on every node.
 */
async function mesh (count: number): Promise<ClusterNode[]> {
  const out: ClusterNode[] = []
  for (let i = 0; i < count; i++) {
    const seed = i === 0 ? [] : [(out[(i - 1) >> 1] as ClusterNode).addresses[0] as string]
    const node = await startNode({ name: `n${i}@test`, home, secret: SECRET, logger: silentLogger, seeds: seed })
    nodes.push(node)
    out.push(node)
  }
  await waitFor(() => out.every(n => n.nodes().length === count - 1), { timeout: 15_000, message: `no full mesh of ${count} nodes` })
  await Promise.all(out.map(async n => await startGlobal(n)))
  return out
}

/** Starts one member on every node, all at once. */
async function members (ns: ClusterNode[]): Promise<Pid[]> {
  const member = recorder(e => { events.push(e) }, () => performance.now())
  return await Promise.all(ns.map(async node => await startMember(member, undefined, { node, cluster: CLUSTER })))
}

const keys = (list: readonly Pid[]): string[] => list.map(p => p.key)
const sorted = (list: readonly string[]): string[] => [...list].sort()
const lists = async (pids: readonly Pid[]): Promise<string[][]> => await Promise.all(pids.map(async p => keys(await pidlist(p))))
const leaders = (ns: readonly ClusterNode[]): Array<string | undefined> => ns.map(n => leader(n, CLUSTER)?.key)
const since = (mark: number): CallbackEvent[] => events.slice(mark)
const count = (list: readonly CallbackEvent[], cb: CallbackEvent['cb']): number => list.filter(e => e.cb === cb).length

interface Formed {
  /** The holder's pidlist: the join order, the holder first. */
  readonly order: string[]
  /** Each member's pidlist when its join returned (the start of its history). */
  readonly initial: Map<string, string[]>
}

/**
 * Waits for the joins' callbacks and asserts them exactly: handleJoin only on the holder, once per
 * joiner in join order; handleNodeJoined on each member once per member that joined after it, none
 * on the joiner itself; each with the pidlist of that moment. Then one leader on every node and
 * identical pidlists everywhere.
 */
async function expectFormed (ns: ClusterNode[], pids: Pid[]): Promise<Formed> {
  const n = pids.length
  const expected = (n - 1) + (n - 1) * (n - 2) / 2
  await waitFor(() => events.length >= expected, { timeout: 10_000, message: `fewer than ${expected} callbacks after the joins` })
  const holder = leader(ns[0] as ClusterNode, CLUSTER)
  expect(holder).toBeDefined()
  expect(leaders(ns)).toEqual(ns.map(() => holder?.key))
  const order = keys(await pidlist(holder as Pid))
  expect(order[0]).toBe(holder?.key)
  expect(sorted(order)).toEqual(sorted(keys(pids)))
  expect(await lists(pids)).toEqual(pids.map(() => order))
  order.forEach((m, k) => {
    const got = eventsOf(events, m).map(e => [e.cb, e.pid, e.pidlist])
    const want = k === 0
      ? order.slice(1).map((p, j) => ['handleJoin', p, order.slice(0, j + 2)])
      : order.slice(k + 1).map((p, j) => ['handleNodeJoined', p, order.slice(0, k + j + 2)])
    expect(got, `callbacks of member #${k}`).toEqual(want)
  })
  expect(events.length).toBe(expected)
  return { order, initial: new Map(order.map((m, k) => [m, order.slice(0, k + 1)])) }
}

describe('GenCluster over TCP loopback', () => {
  it('forms one cluster of 3 nodes from concurrent joins: handleJoin on the holder only, handleNodeJoined once per later joiner, one leader, identical pidlists', async () => {
    const ns = await mesh(3)
    const pids = await members(ns)
    const { order, initial } = await expectFormed(ns, pids)
    expect(order.map(m => contractViolations(events, m, initial.get(m) ?? []))).toEqual(order.map(() => []))
  })

  it('forms one cluster of 10 nodes from concurrent joins through different seeds, with exact callback counts on every member', async () => {
    const ns = await mesh(10)
    const pids = await members(ns)
    const { order, initial } = await expectFormed(ns, pids)
    expect(count(events, 'handleJoin')).toBe(9)
    expect(count(events, 'handleNodeJoined')).toBe(36)
    expect(order.map(m => contractViolations(events, m, initial.get(m) ?? []))).toEqual(order.map(() => []))
  }, 40_000)

  it('splits 10 nodes 5 | 5 over cut TCP connections (leaves with noconnection, one takeover on the side without the holder) and heals to one holder and identical pidlists', async () => {
    const N = 10
    const across = 2 * (N / 2) * (N / 2)
    const ns = await mesh(N)
    const pids = await members(ns)
    const { order, initial } = await expectFormed(ns, pids)
    const holder = order[0] as string
    const nodeOf = (m: string): ClusterNode => ns[pids.findIndex(p => p.key === m)] as ClusterNode
    const left = ns.slice(0, N / 2)
    const right = ns.slice(N / 2)
    const [held, other] = left.includes(nodeOf(holder)) ? [left, right] : [right, left]
    const on = (side: ClusterNode[]) => (m: string): boolean => side.includes(nodeOf(m))
    const heldMembers = order.filter(on(held))
    const otherMembers = order.filter(on(other))
    const successor = otherMembers[0] as string
    /** The members on the other side of the cut from `m`. */
    const acrossFrom = (m: string): string[] => on(held)(m) ? otherMembers : heldMembers

    // Partition: every connection across the cut closed and refused, both ways.
    const cut = events.length
    await Promise.all(left.flatMap(l => right.flatMap(r => [
      (l.transport as Libp2pTransport).block(r.peerId),
      (r.transport as Libp2pTransport).block(l.peerId)
    ])))
    await waitFor(() => left.every(n => n.nodes().length === N / 2 - 1) && right.every(n => n.nodes().length === N / 2 - 1), { timeout: 10_000, message: 'the sides still see each other' })
    await waitFor(() => count(since(cut), 'handleLeave') >= across && count(since(cut), 'handleTakeover') >= 1, { timeout: 10_000, message: 'leaves or takeover missing after the cut' })

    for (const m of order) {
      const leaves = eventsOf(since(cut), m, 'handleLeave')
      expect(sorted(leaves.map(e => e.pid)), `leaves seen by ${m}`).toEqual(sorted(acrossFrom(m)))
      expect(leaves.map(e => e.info)).toEqual(leaves.map(() => 'noconnection'))
    }
    const takeovers = since(cut).filter(e => e.cb === 'handleTakeover')
    expect(takeovers.map(e => [e.member, e.pid])).toEqual([[successor, holder]])
    // Its pidlist: the join order without the members it had seen leave by then.
    const takeoverAt = events.indexOf(takeovers[0] as CallbackEvent)
    const goneBefore = new Set(eventsOf(events.slice(cut, takeoverAt), successor, 'handleLeave').map(e => e.pid))
    expect(takeovers[0]?.pidlist).toEqual(order.filter(m => !goneBefore.has(m)))
    expect(count(since(cut), 'handleJoin') + count(since(cut), 'handleNodeJoined')).toBe(0)
    expect(leaders(held)).toEqual(held.map(() => holder))
    expect(leaders(other)).toEqual(other.map(() => successor))
    const byKey = new Map(pids.map(p => [p.key, p]))
    const pidsOf = (list: string[]): Pid[] => list.map(m => byKey.get(m) as Pid)
    expect(await lists(pidsOf(heldMembers))).toEqual(heldMembers.map(() => heldMembers))
    expect(await lists(pidsOf(otherMembers))).toEqual(otherMembers.map(() => otherMembers))

    // Heal: allow the connections again; the smaller-named side of each pair redials.
    const healed = events.length
    let reconnectedAt: number | undefined
    for (const n of ns) {
      n.addEventListener('node:up', (e) => {
        const up = (e as CustomEvent<NodeUpEvent>).detail.node
        if (left.includes(n) !== left.some(x => x.name === up)) reconnectedAt ??= performance.now()
      })
    }
    const unblockedAt = performance.now()
    for (const l of left) for (const r of right) {
      (l.transport as Libp2pTransport).unblock(r.peerId);
      (r.transport as Libp2pTransport).unblock(l.peerId)
    }
    // The first moment each held: the successor's node linked to every node again (the reconnection
    // that settling the name needs), the whole mesh, one holder on every node.
    const at: { linked?: number, mesh?: number, holder?: number } = {}
    await waitFor(() => {
      const now = performance.now()
      if (at.linked === undefined && nodeOf(successor).nodes().length === N - 1) at.linked = now
      if (at.mesh === undefined && ns.every(n => n.nodes().length === N - 1)) at.mesh = now
      const l = leaders(ns)
      if (at.holder === undefined && l[0] !== undefined && l.every(x => x === l[0])) at.holder = now
      return at.mesh !== undefined && at.holder !== undefined
    }, { timeout: 10_000, message: 'the mesh did not come back, or no single holder after the heal' })
    const oneHolderMs = (at.holder as number) - (at.linked as number)
    await waitFor(() => count(since(healed), 'handleNodeJoined') >= across, { timeout: 10_000, message: 'merge callbacks missing after the heal' })
    await waitFor(async () => { const l = await lists(pids); return l.every(x => x.length === N && x.join() === l[0]?.join()) }, { timeout: 5000, message: 'pidlists differ after the heal' })
    const sinceUnblock = (t: number | undefined): string => ((t as number) - unblockedAt).toFixed(0)
    process.stdout.write(`partition healed (ms after unblock): first link across ${sinceUnblock(reconnectedAt)}, successor's node linked to all ${sinceUnblock(at.linked)}, one holder everywhere ${sinceUnblock(at.holder)}, full mesh ${sinceUnblock(at.mesh)}\n`)

    expect(leaders(ns)).toEqual(ns.map(() => successor))
    expect(oneHolderMs).toBeLessThanOrEqual(1000)
    for (const m of order) {
      const after = since(healed).filter(e => e.member === m)
      expect(after.map(e => e.cb), `callbacks of ${m} after the heal`).toEqual(acrossFrom(m).map(() => 'handleNodeJoined'))
      expect(sorted(after.map(e => e.pid))).toEqual(sorted(acrossFrom(m)))
    }
    const final = await lists(pids)
    expect(final).toEqual(pids.map(() => final[0]))
    expect(sorted(final[0] as string[])).toEqual(sorted(order))
    expect(order.map(m => contractViolations(events, m, initial.get(m) ?? []))).toEqual(order.map(() => []))
  }, 40_000)
})
