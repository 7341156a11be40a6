/**
 * Children managed at run time: simple_one_for_one's dynamic children, and startChild,
 * terminateChild, restartChild and deleteChild on the other strategies.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { DownMessage } from '../src/process.js'
import { monitor } from '../src/api.js'
import { Pid } from '../src/pid.js'
import { call, cast, startLink } from '../src/server-client.js'
import { stop } from '../src/system.js'
import type { ChildSpec, SupervisorPid } from '../src/supervisor/index.js'
import {
  countChildren, deleteChild, restartChild, startChild, startLinkSupervisor, startSupervisor, terminateChild, whichChildren
} from '../src/supervisor/index.js'
import { probe, settle, waitFor } from '../src/testing/index.js'
import { childIds, childPid, stubbornSpec, testNode, worker, workerSpec } from './supervisor-fixtures.js'
import type { TestNode } from './supervisor-fixtures.js'

let t: TestNode
beforeEach(() => { t = testNode() })
afterEach(() => { t.close() })

async function caught (p: Promise<unknown>): Promise<{ name: string } & Record<string, unknown>> {
  return await p.then(() => { throw new Error('expected a rejection') }, (err: unknown) => err as { name: string })
}

describe('simple_one_for_one', () => {
  async function simple (log: string[], extra: Partial<ChildSpec<string>> = {}): Promise<SupervisorPid> {
    const template: ChildSpec<string> = { id: 'w', start: async (id: string) => await startLink(worker, { id, log }, { trapExit: true }), ...extra }
    return await startSupervisor({ strategy: 'simple_one_for_one', intensity: 5, children: [template] }, { node: t.node })
  }

  it('starts no child until startChild, then one per call with its argument', async () => {
    const log: string[] = []
    const sup = await simple(log)
    expect(await whichChildren(sup)).toEqual([])
    const x = await startChild(sup, 'x') as Pid
    const y = await startChild(sup, 'y') as Pid
    expect(await call(x, { type: 'whoami' })).toBe('x')
    expect(await call(y, { type: 'whoami' })).toBe('y')
    expect(await whichChildren(sup)).toEqual([{ id: undefined, pid: x, type: 'worker' }, { id: undefined, pid: y, type: 'worker' }])
    expect(await countChildren(sup)).toEqual({ specs: 1, active: 2, supervisors: 0, workers: 2 })
  })

  it('terminates a dynamic child by pid and forgets it', async () => {
    const log: string[] = []
    const sup = await simple(log)
    const x = await startChild(sup, 'x') as Pid
    const y = await startChild(sup, 'y') as Pid
    await terminateChild(sup, x)
    expect(log).toEqual(['start x', 'start y', 'stop x shutdown'])
    expect((await whichChildren(sup)).map(c => c.pid)).toEqual([y])
    expect(await countChildren(sup)).toEqual({ specs: 1, active: 1, supervisors: 0, workers: 1 })
  })

  it('refuses to terminate a live process that is not its child', async () => {
    const sup = await simple([])
    expect((await caught(terminateChild(sup, probe(t.node).pid))).name).toBe('ChildNotFoundError')
    expect((await caught(terminateChild(sup, 'x'))).name).toBe('WrongStrategyError')
  })

  it('terminates a child that has already exited without an error (it is terminated already)', async () => {
    const log: string[] = []
    const sup = await simple(log, { restart: 'temporary' })
    const x = await startChild(sup, 'x') as Pid
    const watcher = probe(t.node)
    const ref = watcher.run(() => monitor(x))
    cast(x, { type: 'stop', reason: 'normal' })
    await watcher.next<DownMessage>(m => (m as DownMessage).type === 'DOWN' && (m as DownMessage).ref.equals(ref))
    await waitFor(async () => (await whichChildren(sup)).length === 0)
    await terminateChild(sup, x)
    expect(await whichChildren(sup)).toEqual([])
    const live = probe(t.node)
    expect((await caught(terminateChild(sup, live.pid))).name).toBe('ChildNotFoundError')
  })

  it('restarts a crashed dynamic child with the argument it was started with', async () => {
    const log: string[] = []
    const sup = await simple(log)
    const x = await startChild(sup, 'x') as Pid
    cast(x, { type: 'crash' })
    await waitFor(() => log.length === 3)
    expect(log).toEqual(['start x', 'stop x crash', 'start x'])
    const [child] = await whichChildren(sup)
    expect(child?.pid instanceof Pid && !child.pid.equals(x)).toBe(true)
  })

  it('forgets a transient dynamic child that ended normally', async () => {
    const log: string[] = []
    const sup = await simple(log, { restart: 'transient' })
    const x = await startChild(sup, 'x') as Pid
    cast(x, { type: 'stop', reason: 'normal' })
    await waitFor(() => log.length === 2)
    await settle()
    expect(await whichChildren(sup)).toEqual([])
  })

  it('has no restartChild or deleteChild', async () => {
    const sup = await simple([])
    expect((await caught(restartChild(sup, 'w'))).name).toBe('WrongStrategyError')
    expect((await caught(deleteChild(sup, 'w'))).name).toBe('WrongStrategyError')
  })

  it('fails startChild with ChildStartError when the template fails to start', async () => {
    const sup = await simple([], { start: async () => { throw new Error('no') } })
    const err = await caught(startChild(sup, 'x'))
    expect(err.name).toBe('ChildStartError')
    expect(await countChildren(sup)).toEqual({ specs: 1, active: 0, supervisors: 0, workers: 0 })
  })

  it('stops all dynamic children at the same time when it stops', async () => {
    const template = stubbornSpec('s', { shutdown: 1000 }) as ChildSpec<unknown>
    const sup = await startSupervisor({ strategy: 'simple_one_for_one', children: [template] }, { node: t.node })
    const pids = [await startChild(sup, 1), await startChild(sup, 2), await startChild(sup, 3)] as Pid[]
    const watcher = probe(t.node)
    watcher.run(() => { for (const pid of pids) monitor(pid) })
    const stopped = stop(sup, 'shutdown')
    await t.clock.advance(1000)
    await stopped
    const downs = watcher.messages as DownMessage[]
    expect(downs.map(d => d.reason)).toEqual(['killed', 'killed', 'killed'])
    expect(t.clock.now()).toBe(1000)
  })
})

describe('managing the children of a static supervisor', () => {
  it('adds a child with startChild at the end of the start order', async () => {
    const log: string[] = []
    const sup = await startSupervisor({ children: [workerSpec('a', log)] }, { node: t.node })
    const b = await startChild(sup, workerSpec('b', log))
    expect(b).toBeInstanceOf(Pid)
    expect(await childIds(sup)).toEqual(['a', 'b'])
    await stop(sup, 'shutdown')
    expect(log).toEqual(['start a', 'start b', 'stop b shutdown', 'stop a shutdown'])
  })

  it('refuses startChild with an id already in use, naming the field', async () => {
    const sup = await startSupervisor({ children: [workerSpec('a', [])] }, { node: t.node })
    const err = await caught(startChild(sup, workerSpec('a', [])))
    expect(err.name).toBe('InvalidChildSpecError')
    expect(err.field).toBe('id')
  })

  it('refuses startChild with a bad spec, naming the field', async () => {
    const sup = await startSupervisor({ children: [] }, { node: t.node })
    const err = await caught(startChild(sup, { ...workerSpec('a', []), restart: 'sometimes' }))
    expect(err.name).toBe('InvalidChildSpecError')
    expect(err.field).toBe('restart')
    expect(await whichChildren(sup)).toEqual([])
  })

  it('does not keep a child whose startChild failed', async () => {
    const sup = await startSupervisor({ children: [] }, { node: t.node })
    const err = await caught(startChild(sup, { id: 'x', start: async () => { throw new Error('no') } }))
    expect(err.name).toBe('ChildStartError')
    expect(err.childId).toBe('x')
    expect(await whichChildren(sup)).toEqual([])
  })

  it('terminates a child but keeps its spec, so restartChild can start it again in its place', async () => {
    const log: string[] = []
    const sup = await startSupervisor({ children: ['a', 'b'].map(id => workerSpec(id, log)) }, { node: t.node })
    await terminateChild(sup, 'a')
    expect(await whichChildren(sup)).toEqual([{ id: 'a', pid: undefined, type: 'worker' }, { id: 'b', pid: await childPid(sup, 'b'), type: 'worker' }])
    const a = await restartChild(sup, 'a')
    expect(a).toBeInstanceOf(Pid)
    expect(await childPid(sup, 'a')).toEqual(a)
    expect(await childIds(sup)).toEqual(['a', 'b'])
    expect(log).toEqual(['start a', 'start b', 'stop a shutdown', 'start a'])
    await settle()
    expect(await childPid(sup, 'a')).toEqual(a)
  })

  it('forgets a temporary child when it is terminated', async () => {
    const sup = await startSupervisor({ children: [workerSpec('a', [], { restart: 'temporary' })] }, { node: t.node })
    await terminateChild(sup, 'a')
    expect(await whichChildren(sup)).toEqual([])
  })

  it('deletes the spec of a terminated child, and refuses to delete or restart a running one', async () => {
    const sup = await startSupervisor({ children: ['a', 'b'].map(id => workerSpec(id, [])) }, { node: t.node })
    expect((await caught(deleteChild(sup, 'a'))).name).toBe('ChildRunningError')
    expect((await caught(restartChild(sup, 'a'))).name).toBe('ChildRunningError')
    await terminateChild(sup, 'a')
    await deleteChild(sup, 'a')
    expect(await childIds(sup)).toEqual(['b'])
  })

  it('reports an unknown child id with ChildNotFoundError', async () => {
    const sup = await startSupervisor({ children: [] }, { node: t.node })
    for (const op of [terminateChild(sup, 'x'), restartChild(sup, 'x'), deleteChild(sup, 'x')]) {
      expect((await caught(op)).name).toBe('ChildNotFoundError')
    }
  })

  it('passes call options to its calls: an aborted signal ends the call', async () => {
    const sup = await startSupervisor({ children: [] }, { node: t.node })
    const err = await caught(whichChildren(sup, { signal: AbortSignal.abort() }))
    expect(err.name).toBe('CallAbortedError')
  })

  it('counts specs, running children, supervisors and workers', async () => {
    const sup = await startSupervisor({
      children: [workerSpec('a', []), workerSpec('b', []), { id: 'sub', type: 'supervisor', start: async () => await startLinkSupervisor({ children: [] }) }]
    }, { node: t.node })
    await terminateChild(sup, 'b')
    expect(await countChildren(sup)).toEqual({ specs: 3, active: 2, supervisors: 1, workers: 2 })
  })
})
