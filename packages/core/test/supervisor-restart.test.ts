/**
 * Supervisors with real processes: who is restarted, in which order, and when the supervisor gives up.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { InitIgnoredError } from '../src/errors.js'
import type { ExitMessage } from '../src/process.js'
import { Pid } from '../src/pid.js'
import { cast } from '../src/server-client.js'
import type { ChildSpec } from '../src/supervisor/index.js'
import { countChildren, deleteChild, restartChild, startChild, startLinkSupervisor, startSupervisor, terminateChild, whichChildren } from '../src/supervisor/index.js'
import { probe, settle, waitFor } from '../src/testing/index.js'
import { childIds, childPid, testNode, workerSpec } from './supervisor-fixtures.js'
import type { TestNode } from './supervisor-fixtures.js'

let t: TestNode
beforeEach(() => { t = testNode() })
afterEach(() => { t.close() })

async function crash (sup: Pid, id: string): Promise<void> {
  const pid = await childPid(sup, id)
  if (pid === undefined) throw new Error(`${id} is not running`)
  cast(pid, { type: 'crash' })
}

/** Waits until `log` has `n` entries, then until nothing else happens. */
async function logged (log: string[], n: number): Promise<void> {
  await waitFor(() => log.length >= n)
  await settle()
}

describe('supervisor restarts', () => {
  it('restarts only the crashed child under one_for_one', async () => {
    const log: string[] = []
    const sup = await startSupervisor({ strategy: 'one_for_one', intensity: 5, children: ['a', 'b', 'c'].map(id => workerSpec(id, log)) }, { node: t.node })
    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map(async id => await childPid(sup, id)))
    log.length = 0
    await crash(sup, 'b')
    await logged(log, 2)
    expect(log).toEqual(['stop b crash', 'start b'])
    expect(await childPid(sup, 'a')).toEqual(a)
    expect(await childPid(sup, 'c')).toEqual(c)
    expect((await childPid(sup, 'b'))?.equals(b)).toBe(false)
  })

  it('restarts every child under one_for_all: the others stop in reverse start order, then all start in start order', async () => {
    const log: string[] = []
    const sup = await startSupervisor({ strategy: 'one_for_all', intensity: 5, children: ['a', 'b', 'c'].map(id => workerSpec(id, log)) }, { node: t.node })
    log.length = 0
    await crash(sup, 'b')
    await logged(log, 6)
    expect(log).toEqual(['stop b crash', 'stop c shutdown', 'stop a shutdown', 'start a', 'start b', 'start c'])
    expect((await whichChildren(sup)).every(c => c.pid !== undefined)).toBe(true)
  })

  it('restarts the crashed child and those started after it under rest_for_one', async () => {
    const log: string[] = []
    const sup = await startSupervisor({ strategy: 'rest_for_one', intensity: 5, children: ['a', 'b', 'c', 'd'].map(id => workerSpec(id, log)) }, { node: t.node })
    const a = await childPid(sup, 'a')
    log.length = 0
    await crash(sup, 'b')
    await logged(log, 6)
    expect(log).toEqual(['stop b crash', 'stop d shutdown', 'stop c shutdown', 'start b', 'start c', 'start d'])
    expect(await childPid(sup, 'a')).toEqual(a)
  })

  it('does not restart a transient child after a normal exit, and keeps its spec', async () => {
    const log: string[] = []
    const sup = await startSupervisor({ children: [workerSpec('a', log, { restart: 'transient' })] }, { node: t.node })
    cast(await childPid(sup, 'a') as Pid, { type: 'stop', reason: 'normal' })
    await logged(log, 2)
    expect(log).toEqual(['start a', 'stop a normal'])
    expect(await whichChildren(sup)).toEqual([{ id: 'a', pid: undefined, type: 'worker' }])
  })

  it('does not restart a transient child after a shutdown exit', async () => {
    const log: string[] = []
    const sup = await startSupervisor({ children: [workerSpec('a', log, { restart: 'transient' })] }, { node: t.node })
    cast(await childPid(sup, 'a') as Pid, { type: 'stop', reason: { shutdown: 'done' } })
    await logged(log, 2)
    expect(await childPid(sup, 'a')).toBeUndefined()
  })

  it('restarts a transient child after a crash', async () => {
    const log: string[] = []
    const sup = await startSupervisor({ children: [workerSpec('a', log, { restart: 'transient' })] }, { node: t.node })
    await crash(sup, 'a')
    await logged(log, 3)
    expect(log).toEqual(['start a', 'stop a crash', 'start a'])
  })

  it('never restarts a temporary child, and forgets it', async () => {
    const log: string[] = []
    const sup = await startSupervisor({ children: [workerSpec('a', log, { restart: 'temporary' }), workerSpec('b', log)] }, { node: t.node })
    await crash(sup, 'a')
    await logged(log, 3)
    expect(log).toEqual(['start a', 'start b', 'stop a crash'])
    expect(await childIds(sup)).toEqual(['b'])
  })

  it('escalates to its parent when restarts exceed the intensity: stops every child and exits shutdown', async () => {
    const log: string[] = []
    const parent = probe(t.node, { trapExit: true })
    const sup = await parent.run(async () => await startLinkSupervisor({ intensity: 1, period: 5, children: ['a', 'b'].map(id => workerSpec(id, log)) }, { node: t.node }))
    await crash(sup, 'a')
    await logged(log, 4)
    expect(log).toEqual(['start a', 'start b', 'stop a crash', 'start a'])
    await crash(sup, 'a')
    const exit = await parent.next<ExitMessage>(m => (m as ExitMessage).type === 'EXIT')
    expect(exit.from).toEqual(sup)
    expect(exit.reason).toBe('shutdown')
    expect(log.slice(4)).toEqual(['stop a crash', 'stop b shutdown'])
    expect(t.node.lookup(sup)).toBeUndefined()
  })

  it('forgets restarts older than the period, so crashes spread out in time do not escalate', async () => {
    const log: string[] = []
    const sup = await startSupervisor({ intensity: 1, period: 5, children: [workerSpec('a', log)] }, { node: t.node })
    for (let i = 0; i < 3; i++) {
      await crash(sup, 'a')
      await logged(log, 3 + 2 * i)
      await t.clock.advance(5000)
    }
    expect(log.filter(l => l === 'start a')).toHaveLength(4)
    expect(t.node.lookup(sup)).toBeDefined()
  })

  it('tries a failed restart again, counting each try against the intensity', async () => {
    const log: string[] = []
    let failures = 2
    const flaky: ChildSpec = {
      id: 'a',
      start: async () => {
        if (log.length > 0 && failures-- > 0) throw new Error('not yet')
        return await workerSpec('a', log).start(undefined)
      }
    }
    const sup = await startSupervisor({ intensity: 3, children: [flaky] }, { node: t.node })
    await crash(sup, 'a')
    await waitFor(async () => await childPid(sup, 'a') !== undefined && failures < 0)
    expect(log).toEqual(['start a', 'stop a crash', 'start a'])
  })

  it('shows a child whose restart failed as restarting until the retry', async () => {
    const log: string[] = []
    let attempt = 0
    let failStart = (): void => {}
    const gated: ChildSpec = {
      id: 'a',
      start: async () => {
        attempt++
        if (attempt === 2) await new Promise<void>((_resolve, reject) => { failStart = () => { reject(new Error('not yet')) } })
        return await workerSpec('a', log).start(undefined)
      }
    }
    const sup = await startSupervisor({ intensity: 5, children: [gated] }, { node: t.node })
    await crash(sup, 'a')
    await waitFor(() => attempt === 2)
    const during = whichChildren(sup)
    failStart()
    expect(await during).toEqual([{ id: 'a', pid: 'restarting', type: 'worker' }])
    await waitFor(async () => await childPid(sup, 'a') !== undefined)
    expect(attempt).toBe(3)
  })

  it('escalates when a restart keeps failing', async () => {
    const log: string[] = []
    let started = false
    const once: ChildSpec = {
      id: 'a',
      start: async () => {
        if (started) throw new Error('cannot start again')
        started = true
        return await workerSpec('a', log).start(undefined)
      }
    }
    const parent = probe(t.node, { trapExit: true })
    const sup = await parent.run(async () => await startLinkSupervisor({ intensity: 3, children: [once] }, { node: t.node }))
    await crash(sup, 'a')
    const exit = await parent.next<ExitMessage>(m => (m as ExitMessage).type === 'EXIT')
    expect(exit.reason).toBe('shutdown')
  })

  it('fails to start when a child fails to start, after stopping the children already started', async () => {
    const log: string[] = []
    const bad: ChildSpec = { id: 'b', start: async () => { throw new Error('no') } }
    const err = await startSupervisor({ children: [workerSpec('a', log), bad, workerSpec('c', log)] }, { node: t.node }).catch((e: unknown) => e) as { name: string, reason: { name: string, childId: string } }
    expect(err.name).toBe('InitError')
    expect(err.reason.name).toBe('ChildStartError')
    expect(err.reason.childId).toBe('b')
    expect(log).toEqual(['start a', 'stop a shutdown'])
    await settle()
    expect(t.node.procs.size).toBe(0)
  })

  it('keeps the spec of a child whose start was ignored, without a process', async () => {
    const ignored: ChildSpec = { id: 'i', start: async () => { throw new InitIgnoredError() } }
    const sup = await startSupervisor({ children: [ignored] }, { node: t.node })
    expect(await whichChildren(sup)).toEqual([{ id: 'i', pid: undefined, type: 'worker' }])
    expect(await countChildren(sup)).toEqual({ specs: 1, active: 0, supervisors: 0, workers: 1 })
  })

  it('does not keep a temporary child whose start was ignored: not listed, not counted, its id free', async () => {
    const ignored: ChildSpec = { id: 'i', restart: 'temporary', start: async () => { throw new InitIgnoredError() } }
    const sup = await startSupervisor({ children: [ignored] }, { node: t.node })
    expect(await whichChildren(sup)).toEqual([])
    expect(await countChildren(sup)).toEqual({ specs: 0, active: 0, supervisors: 0, workers: 0 })
    expect(await startChild(sup, ignored)).toBeUndefined()
    expect(await whichChildren(sup)).toEqual([])
    const log: string[] = []
    expect(await startChild(sup, workerSpec('i', log))).toBeInstanceOf(Pid)
  })

  it('answers restartChild and deleteChild of a child whose restarts keep failing with ChildRestartingError, and keeps retrying until it starts', async () => {
    const log: string[] = []
    let attempts = 0
    let gate = Promise.withResolvers<boolean>()
    const gated: ChildSpec = {
      id: 'a',
      start: async () => {
        if (++attempts > 1) {
          gate = Promise.withResolvers<boolean>()
          if (!await gate.promise) throw new Error('not yet')
        }
        return await workerSpec('a', log).start(undefined)
      }
    }
    const sup = await startSupervisor({ intensity: 5, children: [gated] }, { node: t.node })
    await crash(sup, 'a')
    await waitFor(() => attempts === 2)
    // Both calls wait in the mailbox while the restart is under way; they are answered once it failed.
    const restart = restartChild(sup, 'a').then(() => undefined, (e: unknown) => e)
    const del = deleteChild(sup, 'a').then(() => undefined, (e: unknown) => e)
    await settle()
    gate.resolve(false)
    expect(await restart).toMatchObject({ name: 'ChildRestartingError', childId: 'a' })
    expect(await del).toMatchObject({ name: 'ChildRestartingError', childId: 'a' })
    await waitFor(() => attempts === 3)
    gate.resolve(true)
    await waitFor(async () => await childPid(sup, 'a') !== undefined)
    expect(log).toEqual(['start a', 'stop a crash', 'start a'])
  })

  it('terminates a simple_one_for_one child whose restarts keep failing by its last pid, which ends the retries', async () => {
    const log: string[] = []
    let attempts = 0
    let gate = Promise.withResolvers<boolean>()
    const failing: ChildSpec = {
      id: 'w',
      start: async () => {
        if (++attempts > 1) {
          gate = Promise.withResolvers<boolean>()
          if (!await gate.promise) throw new Error('cannot start again')
        }
        return await workerSpec('w', log).start(undefined)
      }
    }
    const sup = await startSupervisor({ strategy: 'simple_one_for_one', intensity: 5, children: [failing] }, { node: t.node })
    const pid = await startChild(sup, []) as Pid
    cast(pid, { type: 'crash' })
    await waitFor(() => attempts === 2)
    gate.resolve(false)
    await waitFor(() => attempts === 3)
    // Waits in the mailbox while the third start runs; answered once it failed and a retry is due.
    const terminated = terminateChild(sup, pid)
    await settle()
    gate.resolve(false)
    await terminated
    await settle()
    expect(await whichChildren(sup)).toEqual([])
    expect(attempts).toBe(3)
  })
})
