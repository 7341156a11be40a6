/**
 * Significant children and automatic shutdown (OTP 24's `auto_shutdown`), and `getChildSpec`.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { DownMessage } from '../src/process.js'
import { monitor } from '../src/api.js'
import type { Pid } from '../src/pid.js'
import { cast } from '../src/server-client.js'
import type { AutoShutdown, ChildSpec, StrategyName, SupervisorPid } from '../src/supervisor/index.js'
import { getChildSpec, startChild, startSupervisor, terminateChild, whichChildren } from '../src/supervisor/index.js'
import { decide } from '../src/supervisor/decide.js'
import { probe, settle, waitFor } from '../src/testing/index.js'
import { childPid, testNode, workerSpec } from './supervisor-fixtures.js'
import type { TestNode } from './supervisor-fixtures.js'

let t: TestNode
beforeEach(() => { t = testNode() })
afterEach(() => { t.close() })

function sig (id: string, log: string[], restart: 'transient' | 'temporary', significant = true): ChildSpec {
  return workerSpec(id, log, { restart, significant })
}

async function supervisor (autoShutdown: AutoShutdown, children: ChildSpec[], strategy: StrategyName = 'one_for_one'): Promise<{ sup: SupervisorPid, down: Promise<DownMessage> }> {
  const sup = await startSupervisor({ strategy, intensity: 5, autoShutdown, children } as never, { node: t.node })
  const watcher = probe(t.node)
  const ref = watcher.run(() => monitor(sup))
  return { sup, down: watcher.next<DownMessage>(m => (m as DownMessage).ref?.equals(ref) === true, 5000) }
}

async function end (sup: Pid, id: string, how: 'normal' | 'crash'): Promise<void> {
  const pid = await childPid(sup, id) as Pid
  cast(pid, how === 'crash' ? { type: 'crash' } : { type: 'stop', reason: 'normal' })
}

describe('automatic shutdown', () => {
  it('any_significant: shuts down, children first, when a transient significant child ends normally', async () => {
    const log: string[] = []
    const { sup, down } = await supervisor('any_significant', [workerSpec('a', log), sig('s', log, 'transient'), workerSpec('b', log)])
    await end(sup, 's', 'normal')
    expect((await down).reason).toBe('shutdown')
    expect(log).toEqual(['start a', 'start s', 'start b', 'stop s normal', 'stop b shutdown', 'stop a shutdown'])
  })

  it('any_significant: restarts a transient significant child that crashed (no shutdown)', async () => {
    const log: string[] = []
    const { sup } = await supervisor('any_significant', [sig('s', log, 'transient')])
    await end(sup, 's', 'crash')
    await waitFor(() => log.length === 3)
    expect(log).toEqual(['start s', 'stop s crash', 'start s'])
    expect((await whichChildren(sup))[0]?.pid).toBeDefined()
  })

  it('any_significant: shuts down when a temporary significant child ends, however it ends', async () => {
    const log: string[] = []
    const { sup, down } = await supervisor('any_significant', [sig('s', log, 'temporary')])
    await end(sup, 's', 'crash')
    expect((await down).reason).toBe('shutdown')
  })

  it('all_significant: shuts down only when the last significant child has ended; others do not count', async () => {
    const log: string[] = []
    const { sup, down } = await supervisor('all_significant', [sig('s1', log, 'temporary'), workerSpec('w', log, { restart: 'temporary' }), sig('s2', log, 'transient')])
    await end(sup, 'w', 'normal')
    await end(sup, 's1', 'normal')
    await settle()
    expect((await whichChildren(sup)).map(c => c.id)).toEqual(['s2'])
    await end(sup, 's2', 'normal')
    expect((await down).reason).toBe('shutdown')
  })

  it('all_significant under simple_one_for_one: shuts down when the last dynamic child has ended', async () => {
    const log: string[] = []
    const template: ChildSpec<string> = { id: 'w', restart: 'temporary', significant: true, start: async (id: string) => await workerSpec(id, log).start(undefined) }
    const { sup, down } = await supervisor('all_significant', [template as unknown as ChildSpec], 'simple_one_for_one')
    await startChild(sup, 'x')
    const y = await startChild(sup, 'y') as Pid
    const x = (await whichChildren(sup))[0]?.pid as Pid
    cast(x, { type: 'stop', reason: 'normal' })
    await settle()
    expect((await whichChildren(sup)).map(c => c.pid)).toEqual([y])
    cast(y, { type: 'stop', reason: 'normal' })
    expect((await down).reason).toBe('shutdown')
  })

  it('does not shut down when the supervisor itself terminates a significant child', async () => {
    const log: string[] = []
    const { sup } = await supervisor('any_significant', [sig('s', log, 'transient'), workerSpec('a', log)])
    await terminateChild(sup, 's')
    await settle()
    expect((await whichChildren(sup)).map(c => [c.id, c.pid === undefined])).toEqual([['s', true], ['a', false]])
  })

  it('refuses significant children without autoShutdown, permanent significant children, and a bad autoShutdown, naming the field', async () => {
    const log: string[] = []
    await expect(startSupervisor({ children: [sig('s', log, 'transient')] }, { node: t.node })).rejects.toMatchObject({ name: 'InvalidChildSpecError', field: 'significant' })
    await expect(startSupervisor({ autoShutdown: 'any_significant', children: [workerSpec('p', log, { significant: true })] }, { node: t.node })).rejects.toMatchObject({ name: 'InvalidChildSpecError', field: 'significant' })
    await expect(startSupervisor({ autoShutdown: 'sometimes' as never, children: [] }, { node: t.node })).rejects.toMatchObject({ name: 'InvalidSupervisorSpecError', field: 'autoShutdown' })
    const plain = await startSupervisor({ children: [] }, { node: t.node })
    await expect(startChild(plain, sig('s', log, 'transient'))).rejects.toMatchObject({ name: 'InvalidChildSpecError', field: 'significant' })
  })

  it('decides it as a pure function: the actions for a significant exit', () => {
    const view = (significant: boolean, running = false) => ({ id: 's', restart: 'transient' as const, running, significant })
    const base = { strategy: 'one_for_one' as const, restarts: [], intensity: 1, period: 5 }
    expect(decide({ ...base, autoShutdown: 'any_significant', children: new Map([['s', view(true)]]) }, { id: 's', reason: 'normal' }, 0).actions).toEqual([{ type: 'autoShutdown' }])
    expect(decide({ ...base, autoShutdown: 'never', children: new Map([['s', view(false)]]) }, { id: 's', reason: 'normal' }, 0).actions).toEqual([])
    const two = new Map([['s', view(true)], ['t', { ...view(true, true), id: 't' }]])
    expect(decide({ ...base, autoShutdown: 'all_significant', children: two }, { id: 's', reason: 'normal' }, 0).actions).toEqual([])
  })
})

describe('getChildSpec', () => {
  it('answers the spec of a child by id or pid, defaults filled in; ChildNotFoundError otherwise', async () => {
    const log: string[] = []
    const spec = workerSpec('a', log, { restart: 'transient' })
    const sup = await startSupervisor({ children: [spec] }, { node: t.node })
    const byId = await getChildSpec(sup, 'a')
    expect(byId).toMatchObject({ id: 'a', restart: 'transient', shutdown: 5000, type: 'worker', significant: false })
    expect(byId.start).toBe(spec.start)
    expect(await getChildSpec(sup, await childPid(sup, 'a') as Pid)).toMatchObject({ id: 'a' })
    await expect(getChildSpec(sup, 'nope')).rejects.toMatchObject({ name: 'ChildNotFoundError' })
  })
})
