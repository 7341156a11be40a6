/**
 * Nodes as separate OS processes: kill -9, SIGSTOP/SIGCONT, and a restart with the same identity.
 * The test process is node `a`; the others are children (`fixtures/node-main.ts`), ended by pid.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { call, monitor, Pid, silentLogger } from '@gen-cluster/core'
import type { DownMessage, IdentityTuple } from '@gen-cluster/core'
import { probe } from '@gen-cluster/core/testing'
import { startNode } from '../src/index.js'
import type { ClusterNode, ClusterNodeEvents } from '../src/index.js'
import { endChildren, startChild } from './child.js'

const SECRET = 'a0'.repeat(32)
let home: string
let a: ClusterNode | undefined

beforeEach(() => { home = mkdtempSync(join(tmpdir(), 'gen-cluster-os-')) })
afterEach(async () => {
  await endChildren()
  await a?.stop()
  a = undefined
  rmSync(home, { recursive: true, force: true })
})

function waitEvent<K extends keyof ClusterNodeEvents> (node: ClusterNode, type: K, match: (d: ClusterNodeEvents[K]) => boolean, timeoutMs = 15_000): Promise<ClusterNodeEvents[K]> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => { node.removeEventListener(type, h); reject(new Error(`no ${type} within ${timeoutMs} ms`)) }, timeoutMs)
    const h = (e: CustomEvent<ClusterNodeEvents[K]>): void => {
      const d = e.detail
      if (match(d)) { clearTimeout(t); node.removeEventListener(type, h); resolve(d) }
    }
    node.addEventListener(type, h)
  })
}

async function cluster (): Promise<{ a: ClusterNode, b: ReturnType<typeof startChild>, counter: Pid }> {
  a = await startNode({ name: 'a@test', home, secret: SECRET, logger: silentLogger })
  const up = waitEvent(a, 'node:up', d => d.node === 'b@test')
  const b = startChild(['--name', 'b@test', '--home', home, '--secret', SECRET, '--seed', a.addresses[0] as string])
  const ready = await b.next(e => e.event === 'ready')
  await up
  return { a, b, counter: Pid.from(ready.counter as { pid: IdentityTuple }) }
}

describe('nodes as OS processes', () => {
  it('turns kill -9 of a node into node-down at once: calls in flight fail with NodeDownError, monitors fire noconnection', async () => {
    const { a, b, counter } = await cluster()
    const p = probe(a.core)
    const ref = p.run(() => monitor(counter))
    const pending = p.run(async () => await call(counter, { type: 'hang' }, { timeout: 10_000 })).catch((e: unknown) => e)
    expect(await p.run(async () => await call(counter, { type: 'add', by: 1 }))).toBe(1)
    b.signal('SIGKILL')
    expect(await pending).toMatchObject({ name: 'NodeDownError', node: 'b@test' })
    const down = await p.next<DownMessage>(m => (m as DownMessage).type === 'DOWN')
    expect(down.ref.equals(ref)).toBe(true)
    expect(down.reason).toBe('noconnection')
  })

  it('detects a paused node (SIGSTOP) by heartbeats, and sees it reconnect and announced again after SIGCONT', async () => {
    const { a, b } = await cluster()
    await new Promise(resolve => setTimeout(resolve, 1500))
    const down = waitEvent(a, 'node:down', d => d.node === 'b@test')
    const stoppedAt = performance.now()
    b.signal('SIGSTOP')
    const d = await down
    const detectedMs = performance.now() - stoppedAt
    process.stdout.write(`paused node detected after ${detectedMs.toFixed(0)} ms (${d.reason})\n`)
    expect(d.reason).toMatch(/heartbeat/)
    expect(detectedMs).toBeLessThan(4000)
    const up = waitEvent(a, 'node:up', u => u.node === 'b@test')
    b.signal('SIGCONT')
    await up
    expect(a.nodes()).toEqual(['b@test'])
  })

  it('raises no node-down when a healthy node blocks its event loop for 1 s, on either side', async () => {
    const { a, b, counter } = await cluster()
    await new Promise(resolve => setTimeout(resolve, 1500))
    const downs: string[] = []
    a.addEventListener('node:down', (e) => { downs.push(e.detail.node) })
    b.proc.stdin?.write('block 1000\n')
    await b.next(e => e.event === 'unblocked')
    const until = performance.now() + 1000
    while (performance.now() < until) { /* this node blocks too */ }
    await new Promise(resolve => setTimeout(resolve, 2500))
    expect(downs).toEqual([])
    expect(b.events.filter(e => e.event === 'node:down')).toEqual([])
    const p = probe(a.core)
    expect(await p.run(async () => await call(counter, { type: 'get' }))).toBe(0)
  })

  it('restarts a node with the same identity: same peer id, higher creation, and pids of the old run get noproc', async () => {
    const { a, b, counter } = await cluster()
    const first = await b.next(e => e.event === 'ready')
    const down = waitEvent(a, 'node:down', d => d.node === 'b@test')
    await b.end()
    expect((await down).reason).toMatch(/left/)
    const up = waitEvent(a, 'node:up', d => d.node === 'b@test')
    const b2 = startChild(['--name', 'b@test', '--home', home, '--secret', SECRET, '--seed', a.addresses[0] as string])
    const second = await b2.next(e => e.event === 'ready')
    await up
    expect(second.peerId).toBe(first.peerId)
    expect(second.creation as number).toBeGreaterThan(first.creation as number)
    const p = probe(a.core)
    await expect(p.run(async () => await call(counter, { type: 'get' }))).rejects.toMatchObject({ name: 'NoProcError' })
    const ref = p.run(() => monitor(counter))
    const d = await p.next<DownMessage>(m => (m as DownMessage).type === 'DOWN')
    expect(d.ref.equals(ref)).toBe(true)
    expect(d.reason).toBe('noproc')
    const fresh = Pid.from(second.counter as { pid: IdentityTuple })
    expect(fresh.equals(counter)).toBe(false)
    expect(await p.run(async () => await call(fresh, { type: 'get' }))).toBe(0)
  })
})
