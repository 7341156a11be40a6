/**
 * Supervision trees: supervisors as children of supervisors.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ExitMessage } from '../src/process.js'
import type { Pid } from '../src/pid.js'
import { cast } from '../src/server-client.js'
import { stop } from '../src/system.js'
import type { ChildSpec, SupervisorSpec } from '../src/supervisor/index.js'
import { countChildren, startLinkSupervisor, startSupervisor, whichChildren } from '../src/supervisor/index.js'
import { probe, settle, waitFor } from '../src/testing/index.js'
import { childPid, testNode, workerSpec } from './supervisor-fixtures.js'
import type { TestNode } from './supervisor-fixtures.js'

let t: TestNode
beforeEach(() => { t = testNode() })
afterEach(() => { t.close() })

function supervisorSpec (id: string, spec: SupervisorSpec, extra: Partial<ChildSpec> = {}): ChildSpec {
  return { id, type: 'supervisor', start: async () => await startLinkSupervisor(spec), ...extra }
}

/** root (one_for_one): a, sub (one_for_all: b, c), d */
async function tree (log: string[], sub: Partial<SupervisorSpec> = {}, rootIntensity = 5): Promise<Pid> {
  return await startSupervisor({
    intensity: rootIntensity,
    children: [
      workerSpec('a', log),
      supervisorSpec('sub', { strategy: 'one_for_all', intensity: 5, children: ['b', 'c'].map(id => workerSpec(id, log)), ...sub } as SupervisorSpec),
      workerSpec('d', log)
    ]
  }, { node: t.node })
}

async function crash (sup: Pid, id: string): Promise<void> {
  cast(await childPid(sup, id) as Pid, { type: 'crash' })
}

describe('supervision trees', () => {
  it('starts the tree depth first, in start order', async () => {
    const log: string[] = []
    const root = await tree(log)
    expect(log).toEqual(['start a', 'start b', 'start c', 'start d'])
    expect(await countChildren(root)).toEqual({ specs: 3, active: 3, supervisors: 1, workers: 2 })
    expect((await whichChildren(root)).map(c => c.type)).toEqual(['worker', 'supervisor', 'worker'])
  })

  it('handles a crash inside a subtree without touching the rest of the tree', async () => {
    const log: string[] = []
    const root = await tree(log)
    const sub = await childPid(root, 'sub') as Pid
    log.length = 0
    await crash(sub, 'b')
    await waitFor(() => log.length === 4)
    await settle()
    expect(log).toEqual(['stop b crash', 'stop c shutdown', 'start b', 'start c'])
    expect(await childPid(root, 'sub')).toEqual(sub)
  })

  it('restarts a subtree whose supervisor gave up, as its restart type says', async () => {
    const log: string[] = []
    const root = await tree(log, { intensity: 0 })
    const sub = await childPid(root, 'sub') as Pid
    log.length = 0
    await crash(sub, 'b')
    await waitFor(() => log.length === 4)
    await settle()
    expect(log).toEqual(['stop b crash', 'stop c shutdown', 'start b', 'start c'])
    expect((await childPid(root, 'sub'))?.equals(sub)).toBe(false)
  })

  it('does not restart a transient subtree that gave up, since it exits with shutdown', async () => {
    const log: string[] = []
    const root = await startSupervisor({
      children: [supervisorSpec('sub', { intensity: 0, children: [workerSpec('b', log)] }, { restart: 'transient' })]
    }, { node: t.node })
    const sub = await childPid(root, 'sub') as Pid
    await crash(sub, 'b')
    await waitFor(async () => await childPid(root, 'sub') === undefined)
    await settle()
    expect(log).toEqual(['start b', 'stop b crash'])
  })

  it('escalates up the tree when every level gives up', async () => {
    const log: string[] = []
    const parent = probe(t.node, { trapExit: true })
    const root = await parent.run(async () => await startLinkSupervisor({
      intensity: 0,
      children: [workerSpec('a', log), supervisorSpec('sub', { intensity: 0, children: [workerSpec('b', log)] })]
    }, { node: t.node }))
    await crash(await childPid(root, 'sub') as Pid, 'b')
    const exit = await parent.next<ExitMessage>(m => (m as ExitMessage).type === 'EXIT')
    expect(exit.reason).toBe('shutdown')
    expect(log).toEqual(['start a', 'start b', 'stop b crash', 'stop a shutdown'])
    await settle()
    expect([...t.node.procs.values()].map(p => p.pid)).toEqual([parent.pid])
  })

  it('shuts the whole tree down in reverse start order, depth first', async () => {
    const log: string[] = []
    const root = await tree(log)
    await stop(root, 'shutdown')
    expect(log.slice(4)).toEqual(['stop d shutdown', 'stop c shutdown', 'stop b shutdown', 'stop a shutdown'])
    expect(t.node.procs.size).toBe(0)
  })
})
