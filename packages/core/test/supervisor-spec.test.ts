/**
 * Bad supervisor and child specs are refused before anything starts, with a typed error naming the field.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { checkSupervisorSpec } from '../src/supervisor/spec.js'
import type { SupervisorSpec } from '../src/supervisor/index.js'
import { startSupervisor } from '../src/supervisor/index.js'
import { testNode, workerSpec } from './supervisor-fixtures.js'
import type { TestNode } from './supervisor-fixtures.js'

let t: TestNode
beforeEach(() => { t = testNode() })
afterEach(() => { t.close() })

async function refused (spec: unknown): Promise<{ name: string, field: string, child?: unknown }> {
  const err = await startSupervisor(spec as SupervisorSpec, { node: t.node }).then(() => { throw new Error('expected a refusal') }, (e: unknown) => e)
  expect(t.node.procs.size).toBe(0)
  return err as { name: string, field: string }
}

const ok = workerSpec('ok', [])

describe('bad child specs', () => {
  const cases: Array<[string, unknown, string]> = [
    ['a missing id', { start: ok.start }, 'id'],
    ['an empty id', { id: '', start: ok.start }, 'id'],
    ['a missing start', { id: 'x' }, 'start'],
    ['a start that is not a function', { id: 'x', start: 'worker.js' }, 'start'],
    ['an unknown restart type', { id: 'x', start: ok.start, restart: 'always' }, 'restart'],
    ['a negative shutdown', { id: 'x', start: ok.start, shutdown: -1 }, 'shutdown'],
    ['a shutdown that is not a number of ms', { id: 'x', start: ok.start, shutdown: 'soon' }, 'shutdown'],
    ['an unknown child type', { id: 'x', start: ok.start, type: 'manager' }, 'type'],
    ['a field that is not a child spec field', { id: 'x', start: ok.start, restrat: 'temporary' }, 'restrat'],
    ['a child spec that is not an object', 'x', 'spec']
  ]
  for (const [what, child, field] of cases) {
    it(`refuses ${what}, naming the field ${field}`, async () => {
      const err = await refused({ children: [ok, child] })
      expect(err.name).toBe('InvalidChildSpecError')
      expect(err.field).toBe(field)
    })
  }

  it('refuses two children with the same id', async () => {
    const err = await refused({ children: [workerSpec('a', []), workerSpec('b', []), workerSpec('a', [])] })
    expect(err.name).toBe('InvalidChildSpecError')
    expect(err.field).toBe('id')
    expect(err.child).toBe('a')
  })

  it('names the child by index until its id is known', async () => {
    const err = await refused({ children: [ok, { start: ok.start }] })
    expect(err.child).toBe(1)
  })
})

describe('bad supervisor specs', () => {
  const cases: Array<[string, unknown, string]> = [
    ['an unknown strategy', { strategy: 'all_for_one', children: [] }, 'strategy'],
    ['a negative intensity', { intensity: -1, children: [] }, 'intensity'],
    ['a fractional intensity', { intensity: 1.5, children: [] }, 'intensity'],
    ['a period of 0', { period: 0, children: [] }, 'period'],
    ['missing children', { strategy: 'one_for_one' }, 'children'],
    ['a simple_one_for_one without exactly one template', { strategy: 'simple_one_for_one', children: [ok, workerSpec('b', [])] }, 'children'],
    ['a field that is not a supervisor spec field', { children: [], maxRestarts: 3 }, 'maxRestarts'],
    ['a spec that is not an object', null, 'spec']
  ]
  for (const [what, spec, field] of cases) {
    it(`refuses ${what}, naming the field ${field}`, async () => {
      const err = await refused(spec)
      expect(err.name).toBe('InvalidSupervisorSpecError')
      expect(err.field).toBe(field)
    })
  }
})

describe('spec defaults', () => {
  it('fills in OTP defaults: one_for_one, 1 restart in 5 s, permanent workers with a 5000 ms shutdown', () => {
    const spec = checkSupervisorSpec({ children: [{ id: 'w', start: ok.start }, { id: 's', type: 'supervisor', start: ok.start }] })
    expect(spec).toMatchObject({ strategy: 'one_for_one', intensity: 1, period: 5 })
    expect(spec.children[0]).toMatchObject({ restart: 'permanent', shutdown: 5000, type: 'worker' })
    expect(spec.children[1]).toMatchObject({ restart: 'permanent', shutdown: Infinity, type: 'supervisor' })
  })
})
