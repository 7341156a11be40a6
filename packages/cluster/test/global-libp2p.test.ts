/**
 * The global registry over real libp2p on loopback (three nodes, a temporary home, a cluster secret):
 * the same guarantees as in memory, with real links, real time and the wire codec.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { call, defineServer, start } from '@gen-cluster/core'
import type { Pid, ServerTypes } from '@gen-cluster/core'
import { probe, waitFor } from '@gen-cluster/core/testing'
import { startNode } from '../src/index.js'
import type { ClusterNode } from '../src/index.js'
import { startGlobal } from '../src/global/index.js'
import type { GlobalRegistry } from '../src/global/index.js'

interface Echo extends ServerTypes { state: null, calls: { ping: { reply: string } } }
const echo = defineServer<Echo>({ init: () => ({ state: null }), handleCall: { ping: (_r, _f, s) => ({ reply: 'pong', state: s }) } })

const SECRET = 'c7'.repeat(32)
let home: string
const nodes: ClusterNode[] = []

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'gen-cluster-global-'))
})
afterEach(async () => {
  for (const n of nodes.splice(0)) await n.stop()
  rmSync(home, { recursive: true, force: true })
})

async function trio (): Promise<{ n: ClusterNode[], g: GlobalRegistry[] }> {
  const a = await startNode({ name: 'a@test', home, secret: SECRET })
  nodes.push(a)
  for (const name of ['b@test', 'c@test']) nodes.push(await startNode({ name, home, secret: SECRET, seeds: [a.addresses[0] as string] }))
  await waitFor(() => nodes.every(n => n.nodes().length === 2), { timeout: 10_000 })
  const g = await Promise.all(nodes.map(async n => await startGlobal(n)))
  return { n: [...nodes], g }
}

describe('global registry over libp2p', () => {
  it('makes a name visible on every node when registerName resolves true, and reaches it with call({ global })', async () => {
    const { n, g } = await trio()
    const pid = await start(echo, undefined, { node: n[2]!.core })
    const where = await g[1]!.registerName('echo', pid).then(ok => ({ ok, where: g.map(r => r.whereisName('echo')?.toString()) }))
    expect(where).toEqual({ ok: true, where: [pid.toString(), pid.toString(), pid.toString()] })
    expect(await probe(n[0]!.core).run(async () => await call({ global: 'echo' }, { type: 'ping' }))).toBe('pong')
  })

  it('gives exactly one true when the three nodes register one name at once', async () => {
    const { n, g } = await trio()
    const pids = n.map(x => probe(x.core).pid)
    const answers = await Promise.all(g.map(async (r, i) => await r.registerName('x', pids[i] as Pid)))
    expect(answers.filter(a => a)).toHaveLength(1)
    const winner = pids[answers.indexOf(true)] as Pid
    expect(g.map(r => r.whereisName('x')?.equals(winner))).toEqual([true, true, true])
  })

  it('removes the names of a node that stops from the others', async () => {
    const { n, g } = await trio()
    await start(echo, undefined, { node: n[2]!.core, name: { global: 'on-c' } })
    expect(g[0]!.whereisName('on-c')).toBeDefined()
    await n[2]!.stop()
    await waitFor(() => g[0]!.whereisName('on-c') === undefined && g[1]!.whereisName('on-c') === undefined, { timeout: 5000 })
    expect(g[0]!.registeredNames()).toEqual([])
  })
})
