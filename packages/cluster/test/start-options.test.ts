import { spawn } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { silentLogger } from '@gen-cluster/core'
import { probe } from '@gen-cluster/core/testing'
import { startNode } from '../src/index.js'
import type { NodeDownMessage } from '../src/index.js'
import { memCluster } from './helpers.js'
import type { MemCluster } from './helpers.js'

let home: string
beforeEach(() => { home = mkdtempSync(join(tmpdir(), 'gen-cluster-opts-')) })
afterEach(() => { rmSync(home, { recursive: true, force: true }) })

describe('startNode refuses bad options with a typed error naming the option', () => {
  it('an invalid listen address', async () => {
    await expect(startNode({ name: 'a@test', home, listen: 'not an address', logger: silentLogger })).rejects.toMatchObject({ name: 'InvalidOptionError', option: 'listen' })
  })

  it('a listen host that is not an address of this machine: one line with the system code, nothing of libp2p\'s advice', async () => {
    const err = await startNode({ name: 'a@test', home, listen: '192.0.2.1:4000', logger: silentLogger }).catch((e: unknown) => e as Error)
    expect(err).toMatchObject({ name: 'InvalidOptionError', option: 'listen', code: 'EADDRNOTAVAIL' })
    expect((err as Error).message).toBe('invalid option listen: cannot listen on /ip4/192.0.2.1/tcp/4000: that host is not an address of this machine (EADDRNOTAVAIL)')
    // Nothing of the failed start is held: the same node starts at once on a good address.
    const a = await startNode({ name: 'a@test', home, logger: silentLogger })
    await a.stop()
  })

  it('a name this home runs in another live OS process: NodeRunningError; the identity is free again once it stopped', async () => {
    // Another OS process that holds the identity, as a running node does.
    const holder = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' })
    try {
      mkdirSync(join(home, 'nodes', 'a@test'), { recursive: true })
      const started = readFileSync(`/proc/${holder.pid as number}/stat`, 'utf8')
      const ticks = started.slice(started.lastIndexOf(')') + 2).split(' ')[19]
      writeFileSync(join(home, 'nodes', 'a@test', 'running'), JSON.stringify({ pid: holder.pid, started: ticks }))
      await expect(startNode({ name: 'a@test', home, logger: silentLogger })).rejects.toMatchObject({ name: 'NodeRunningError', node: 'a@test', pid: holder.pid })
    } finally {
      holder.kill('SIGKILL')
      await new Promise(resolve => holder.once('exit', resolve))
    }
    // The holder is gone (as after kill -9): its file is taken over.
    const a = await startNode({ name: 'a@test', home, logger: silentLogger })
    await a.stop()
    const again = await startNode({ name: 'a@test', home, logger: silentLogger })
    await again.stop()
  })

  it('an invalid seed', async () => {
    await expect(startNode({ name: 'a@test', home, seeds: ['127.0.0.1:0'], logger: silentLogger })).rejects.toMatchObject({ name: 'InvalidOptionError', option: 'seeds' })
    await expect(startNode({ name: 'a@test', home, seeds: ['/udp/1'], logger: silentLogger })).rejects.toMatchObject({ name: 'InvalidOptionError', option: 'seeds' })
  })

  it('an invalid node name', async () => {
    await expect(startNode({ name: 'bad name!', home, logger: silentLogger })).rejects.toMatchObject({ name: 'InvalidOptionError', option: 'name' })
  })

  it('a second node of the same name in one OS process: NodeNameInUseError, the first carries on', async () => {
    const first = await startNode({ name: 'dup@test', home, logger: silentLogger })
    try {
      await expect(startNode({ name: 'dup@test', home, logger: silentLogger })).rejects.toMatchObject({ name: 'NodeNameInUseError', nodeName: 'dup@test' })
      expect(first.addresses.length).toBeGreaterThan(0)
    } finally {
      await first.stop()
    }
    const again = await startNode({ name: 'dup@test', home, logger: silentLogger })
    await again.stop()
  })

  it('a missing, malformed or group-readable secret file', async () => {
    await expect(startNode({ name: 'a@test', home, secretFile: join(home, 'nope'), logger: silentLogger })).rejects.toMatchObject({ name: 'SecretFileError', option: 'secretFile' })
    const bad = join(home, 'bad')
    writeFileSync(bad, 'not a secret', { mode: 0o600 })
    await expect(startNode({ name: 'a@test', home, secretFile: bad, logger: silentLogger })).rejects.toMatchObject({ name: 'SecretFileError', option: 'secretFile' })
    const open = join(home, 'open')
    writeFileSync(open, 'ab'.repeat(32))
    chmodSync(open, 0o644)
    await expect(startNode({ name: 'a@test', home, secretFile: open, logger: silentLogger })).rejects.toMatchObject({ name: 'SecretFileError', option: 'secretFile' })
  })
})

describe('monitorNode', () => {
  let c: MemCluster
  afterEach(async () => { await c.stopAll() })

  it('tells the watcher once when the node goes down, and at once for a node that is not connected', async () => {
    c = memCluster()
    const a = await c.add('a')
    const b = await c.add('b', ['a'])
    await b.joined
    await c.until(() => a.nodes().length === 1)
    const w = probe(a.core)
    a.monitorNode('nowhere@test', w.pid)
    expect(await w.next<NodeDownMessage>()).toEqual({ type: 'nodedown', node: 'nowhere@test' })
    a.monitorNode(b.name, w.pid)
    c.net.cut(a.name, b.name, { silent: false })
    await c.clock.advance(10)
    expect(await w.next<NodeDownMessage>()).toEqual({ type: 'nodedown', node: b.name })
    await c.clock.advance(3000)
    expect(w.messages.filter(m => (m as NodeDownMessage).type === 'nodedown')).toHaveLength(2)
  })
})
