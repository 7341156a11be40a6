/**
 * How a supervisor stops its children: in reverse start order, each as its `shutdown` says, on the
 * node's clock.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { exit, monitor } from '../src/api.js'
import type { DownMessage, ExitMessage } from '../src/process.js'
import type { Pid } from '../src/pid.js'
import { stop } from '../src/system.js'
import { startLinkSupervisor, startSupervisor, terminateChild } from '../src/supervisor/index.js'
import { probe } from '../src/testing/index.js'
import { childPid, stubbornSpec, testNode, workerSpec } from './supervisor-fixtures.js'
import type { TestNode } from './supervisor-fixtures.js'

let t: TestNode
beforeEach(() => { t = testNode() })
afterEach(() => { t.close() })

/** Monitors `pid` from a probe; resolves with its exit reason when it goes down. */
function watch (pid: Pid): { down: Promise<DownMessage>, exited: () => boolean } {
  const p = probe(t.node)
  p.run(() => monitor(pid))
  let exited = false
  const down = p.next<DownMessage>(m => (m as DownMessage).type === 'DOWN', 10_000).then(d => { exited = true; return d })
  return { down, exited: () => exited }
}

describe('supervisor shutdown', () => {
  it('stops its children in reverse start order when it stops', async () => {
    const log: string[] = []
    const sup = await startSupervisor({ children: ['a', 'b', 'c'].map(id => workerSpec(id, log)) }, { node: t.node })
    await stop(sup, 'shutdown')
    expect(log).toEqual(['start a', 'start b', 'start c', 'stop c shutdown', 'stop b shutdown', 'stop a shutdown'])
    expect(t.node.procs.size).toBe(0)
  })

  it('stops its children in reverse start order when its parent exits', async () => {
    const log: string[] = []
    const parent = probe(t.node)
    const sup = await parent.run(async () => await startLinkSupervisor({ children: ['a', 'b'].map(id => workerSpec(id, log)) }, { node: t.node }))
    const watched = watch(sup)
    exit(parent.pid, new Error('parent died'))
    expect((await watched.down).reason).toBeInstanceOf(Error)
    expect(log).toEqual(['start a', 'start b', 'stop b shutdown', 'stop a shutdown'])
  })

  it('kills a brutal_kill child at once, even one that traps exits', async () => {
    const sup = await startSupervisor({ children: [stubbornSpec('s', { shutdown: 'brutal_kill' })] }, { node: t.node })
    const watched = watch(await childPid(sup, 's') as Pid)
    await terminateChild(sup, 's')
    expect((await watched.down).reason).toBe('killed')
    expect(t.clock.now()).toBe(0)
  })

  it('kills a child that traps exits and does not stop once its shutdown timeout has passed', async () => {
    const sup = await startSupervisor({ children: [stubbornSpec('s', { shutdown: 1000 })] }, { node: t.node })
    const watched = watch(await childPid(sup, 's') as Pid)
    const stopped = stop(sup, 'shutdown')
    await t.clock.advance(999)
    expect(watched.exited()).toBe(false)
    await t.clock.advance(1)
    expect((await watched.down).reason).toBe('killed')
    await stopped
    expect(t.node.lookup(sup)).toBeUndefined()
  })

  it('lets a child that stops within its shutdown timeout exit with shutdown', async () => {
    const log: string[] = []
    let release = (): void => {}
    const slowStop = new Promise<void>(resolve => { release = resolve })
    const sup = await startSupervisor({ children: [workerSpec('a', log, { shutdown: 1000, slowStop })] }, { node: t.node })
    const watched = watch(await childPid(sup, 'a') as Pid)
    const stopped = stop(sup, 'shutdown')
    await t.clock.advance(500)
    release()
    expect((await watched.down).reason).toBe('shutdown')
    await stopped
    expect(log).toEqual(['start a', 'stop a shutdown'])
  })

  it('waits as long as a child takes when its shutdown is Infinity', async () => {
    const log: string[] = []
    let release = (): void => {}
    const slowStop = new Promise<void>(resolve => { release = resolve })
    const sup = await startSupervisor({ children: [workerSpec('a', log, { shutdown: Infinity, slowStop })] }, { node: t.node })
    const watched = watch(await childPid(sup, 'a') as Pid)
    const stopped = stop(sup, 'shutdown')
    await t.clock.advance(24 * 3600 * 1000)
    expect(watched.exited()).toBe(false)
    expect(t.clock.pending).toBe(0)
    release()
    expect((await watched.down).reason).toBe('shutdown')
    await stopped
  })

  it('exits with the reason it was stopped with, once all its children are gone', async () => {
    const log: string[] = []
    const parent = probe(t.node, { trapExit: true })
    const sup = await parent.run(async () => await startLinkSupervisor({ children: [workerSpec('a', log), stubbornSpec('s', { shutdown: 'brutal_kill' })] }, { node: t.node }))
    await stop(sup, { shutdown: 'maintenance' })
    const exit = await parent.next<ExitMessage>(m => (m as ExitMessage).type === 'EXIT')
    expect(exit.reason).toEqual({ shutdown: 'maintenance' })
    expect(log).toEqual(['start a', 'stop a shutdown'])
    expect([...t.node.procs.values()].map(p => p.pid)).toEqual([parent.pid])
  })
})
