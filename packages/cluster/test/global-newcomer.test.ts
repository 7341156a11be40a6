/**
 * A node that has just joined, and whose name sorts first (so it coordinates its own
 * registrations), registers a GenCluster cluster name that a process of a connected node has held
 * for a long time: it gets false, and every node keeps naming the holder. Found by the
 * process-faults suite (`pnpm test:chaos`): the newcomer committed the name before it had learnt
 * the table from its peers, the peer's SYNC then met the fresh entry as a clash, and clashes over
 * cluster names keep the *later* registration (meant for a takeover made while the other side was
 * cut off), so the newcomer took the name and its member never joined through the holder. Now a
 * registration whose commit is under way yields to the established one a SYNC brings.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { silentLogger, spawn } from '@gen-cluster/core'
import { waitFor } from '@gen-cluster/core/testing'
import { startGlobal, startNode } from '../src/index.js'
import type { ClusterNode } from '../src/index.js'

const nodes: ClusterNode[] = []
const homes: string[] = []
afterEach(async () => {
  await Promise.all(nodes.splice(0).map(async n => { await n.stop() }))
  for (const h of homes.splice(0)) rmSync(h, { recursive: true, force: true })
})

describe('global registry and a node that just joined', () => {
  it('gives false to a newcomer registering a cluster name a process of a connected node holds, and keeps the holder everywhere', async () => {
    const home = mkdtempSync(join(tmpdir(), 'gen-cluster-name-join-'))
    homes.push(home)
    const secret = 'ab'.repeat(32)
    const b = await startNode({ name: 'b@test', home, secret, logger: silentLogger })
    nodes.push(b)
    const gb = await startGlobal(b)
    const holder = spawn(async ({ receive }) => { await receive() }, { node: b.core })
    expect(await gb.registerName('gen_cluster:demo', holder)).toBe(true)

    const a = await startNode({ name: 'a@test', home, secret, logger: silentLogger, seeds: [b.addresses[0] as string] })
    nodes.push(a)
    await a.joined
    const ga = await startGlobal(a)
    const newcomer = spawn(async ({ receive }) => { await receive() }, { node: a.core })
    const registered = await ga.registerName('gen_cluster:demo', newcomer)

    expect({ registered, a: ga.whereisName('gen_cluster:demo')?.key, b: gb.whereisName('gen_cluster:demo')?.key }).toEqual({ registered: false, a: holder.key, b: holder.key })
  })
})

describe('global registry and a node that rejoins again and again', () => {
  it('never lets a restarted node, seeded by a node other than the holder\'s, take a cluster name from its holder', async () => {
    // Found the same way: the newcomer's SYNC to the holder's node announced its registration while
    // the commit was still under way; the holder's node settled it as a clash (the later one wins
    // for cluster names) and dropped the established holder, everywhere.
    const home = mkdtempSync(join(tmpdir(), 'gen-cluster-name-rejoin-'))
    homes.push(home)
    const secret = 'cd'.repeat(32)
    const e = await startNode({ name: 'e@test', home, secret, logger: silentLogger })
    nodes.push(e)
    const ge = await startGlobal(e)
    const holder = spawn(async ({ receive }) => { await receive() }, { node: e.core })
    expect(await ge.registerName('gen_cluster:demo', holder)).toBe(true)
    const others = [e]
    for (const name of ['b@test', 'c@test', 'd@test']) {
      const x = await startNode({ name, home, secret, logger: silentLogger, seeds: [e.addresses[0] as string] })
      nodes.push(x)
      others.push(x)
      await x.joined
      await startGlobal(x)
    }
    await waitFor(() => others.every(o => o.nodes().length === 3), { timeout: 10_000 })
    const answers: boolean[] = []
    for (let i = 0; i < 6; i++) {
      const seed = others[1 + (i % 3)]?.addresses[0] as string
      const a = await startNode({ name: 'a@test', home, secret, logger: silentLogger, seeds: [seed] })
      await a.joined
      const ga = await startGlobal(a)
      answers.push(await ga.registerName('gen_cluster:demo', spawn(async ({ receive }) => { await receive() }, { node: a.core })))
      await a.stop()
      await waitFor(() => others.every(o => o.nodes().length === 3), { timeout: 10_000 })
      expect(others.map(o => o.core.globalRegistry?.whereisName('gen_cluster:demo')?.key)).toEqual(others.map(() => holder.key))
    }
    expect(answers).toEqual([false, false, false, false, false, false])
  }, 60_000)
})
