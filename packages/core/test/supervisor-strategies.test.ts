/**
 * The restart strategies and `decide` as pure functions: children and an event in, actions out.
 */
import { describe, expect, it } from 'vitest'
import { decide, recordRestart, shouldRestart, strategies } from '../src/supervisor/index.js'
import type { ChildView, RestartType, StrategyName, SupervisorView } from '../src/supervisor/index.js'

/** Children in start order: `'a'` running permanent, `'b:temporary'`, `'c:transient:down'`. */
function children (...specs: string[]): Map<string, ChildView> {
  return new Map(specs.map(s => {
    const [id = '', restart = 'permanent', down] = s.split(':')
    return [id, { id, restart: restart as RestartType, running: down !== 'down' }]
  }))
}

function sup (strategy: StrategyName, kids: Map<string, ChildView>, restarts: number[] = [], intensity = 1, period = 5): SupervisorView {
  return { strategy, children: kids, restarts, intensity, period }
}

const crash = new Error('boom')

describe('restart strategies', () => {
  it('one_for_one restarts only the child that exited', () => {
    expect(strategies.one_for_one(children('a', 'b:permanent:down', 'c'), { id: 'b', reason: crash }))
      .toEqual([{ type: 'start', id: 'b' }])
  })

  it('one_for_all terminates the others in reverse start order, then starts all in start order', () => {
    expect(strategies.one_for_all(children('a', 'b:permanent:down', 'c', 'd'), { id: 'b', reason: crash })).toEqual([
      { type: 'terminate', id: 'd' },
      { type: 'terminate', id: 'c' },
      { type: 'terminate', id: 'a' },
      { type: 'start', id: 'a' },
      { type: 'start', id: 'b' },
      { type: 'start', id: 'c' },
      { type: 'start', id: 'd' }
    ])
  })

  it('one_for_all forgets temporary siblings instead of restarting them', () => {
    expect(strategies.one_for_all(children('a:permanent:down', 'b:temporary', 'c:transient'), { id: 'a', reason: crash })).toEqual([
      { type: 'terminate', id: 'c' },
      { type: 'terminate', id: 'b' },
      { type: 'delete', id: 'b' },
      { type: 'start', id: 'a' },
      { type: 'start', id: 'c' }
    ])
  })

  it('one_for_all also starts a transient sibling that had ended normally', () => {
    expect(strategies.one_for_all(children('a:permanent:down', 'b:transient:down'), { id: 'a', reason: crash })).toEqual([
      { type: 'start', id: 'a' },
      { type: 'start', id: 'b' }
    ])
  })

  it('rest_for_one restarts the child and those started after it, leaving earlier ones alone', () => {
    expect(strategies.rest_for_one(children('a', 'b:permanent:down', 'c', 'd'), { id: 'b', reason: crash })).toEqual([
      { type: 'terminate', id: 'd' },
      { type: 'terminate', id: 'c' },
      { type: 'start', id: 'b' },
      { type: 'start', id: 'c' },
      { type: 'start', id: 'd' }
    ])
  })

  it('rest_for_one restarts only the last child when the last child exited', () => {
    expect(strategies.rest_for_one(children('a', 'b', 'c:permanent:down'), { id: 'c', reason: crash }))
      .toEqual([{ type: 'start', id: 'c' }])
  })

  it('rest_for_one does nothing for a child it does not know', () => {
    expect(strategies.rest_for_one(children('a'), { id: 'x', reason: crash })).toEqual([])
  })

  it('simple_one_for_one restarts only the child that exited', () => {
    expect(strategies.simple_one_for_one(children('#1', '#2:permanent:down', '#3'), { id: '#2', reason: crash }))
      .toEqual([{ type: 'start', id: '#2' }])
  })
})

describe('shouldRestart', () => {
  it('restarts a permanent child after any exit', () => {
    for (const reason of ['normal', 'shutdown', { shutdown: 1 }, 'killed', crash] as const) expect(shouldRestart('permanent', reason)).toBe(true)
  })

  it('restarts a transient child only after an abnormal exit', () => {
    expect(shouldRestart('transient', 'normal')).toBe(false)
    expect(shouldRestart('transient', 'shutdown')).toBe(false)
    expect(shouldRestart('transient', { shutdown: 'done' })).toBe(false)
    expect(shouldRestart('transient', 'killed')).toBe(true)
    expect(shouldRestart('transient', crash)).toBe(true)
  })

  it('never restarts a temporary child', () => {
    for (const reason of ['normal', 'killed', crash] as const) expect(shouldRestart('temporary', reason)).toBe(false)
  })
})

describe('recordRestart', () => {
  it('allows intensity restarts within the period and not one more', () => {
    let r = recordRestart([], 0, 2, 5)
    expect(r.exceeded).toBe(false)
    r = recordRestart(r.restarts, 100, 2, 5)
    expect(r.exceeded).toBe(false)
    r = recordRestart(r.restarts, 200, 2, 5)
    expect(r.exceeded).toBe(true)
  })

  it('forgets restarts that are a whole period old', () => {
    expect(recordRestart([0, 1000], 5999, 1, 5)).toEqual({ restarts: [1000, 5999], exceeded: true })
    expect(recordRestart([0, 1000], 6000, 1, 5)).toEqual({ restarts: [6000], exceeded: false })
  })
})

describe('decide', () => {
  it('asks the strategy when the exited child is to be restarted, and records the restart', () => {
    const d = decide(sup('rest_for_one', children('a', 'b:permanent:down', 'c')), { id: 'b', reason: crash }, 42)
    expect(d.restarts).toEqual([42])
    expect(d.actions).toEqual([{ type: 'terminate', id: 'c' }, { type: 'start', id: 'b' }, { type: 'start', id: 'c' }])
  })

  it('keeps the spec of a transient child that ended normally, and does nothing else', () => {
    const d = decide(sup('one_for_all', children('a', 'b:transient:down')), { id: 'b', reason: 'normal' }, 0)
    expect(d).toEqual({ restarts: [], actions: [] })
  })

  it('forgets a temporary child whatever its reason, without counting a restart', () => {
    expect(decide(sup('one_for_one', children('a:temporary:down')), { id: 'a', reason: crash }, 0))
      .toEqual({ restarts: [], actions: [{ type: 'delete', id: 'a' }] })
  })

  it('forgets a dynamic transient child that ended normally under simple_one_for_one', () => {
    expect(decide(sup('simple_one_for_one', children('#1:transient:down')), { id: '#1', reason: { shutdown: 'bye' } }, 0))
      .toEqual({ restarts: [], actions: [{ type: 'delete', id: '#1' }] })
  })

  it('escalates when one more restart would exceed the intensity within the period', () => {
    const d = decide(sup('one_for_one', children('a:permanent:down'), [1000], 1, 5), { id: 'a', reason: crash }, 2000)
    expect(d.actions).toEqual([{ type: 'escalate' }])
  })

  it('restarts again once the earlier restarts are older than the period', () => {
    const d = decide(sup('one_for_one', children('a:permanent:down'), [1000], 1, 5), { id: 'a', reason: crash }, 7000)
    expect(d).toEqual({ restarts: [7000], actions: [{ type: 'start', id: 'a' }] })
  })

  it('escalates at the first restart when the intensity is 0', () => {
    expect(decide(sup('one_for_all', children('a:permanent:down'), [], 0), { id: 'a', reason: 'normal' }, 0).actions)
      .toEqual([{ type: 'escalate' }])
  })

  it('does nothing for a child it does not know', () => {
    expect(decide(sup('one_for_one', children('a')), { id: 'zz', reason: crash }, 0)).toEqual({ restarts: [], actions: [] })
  })
})
