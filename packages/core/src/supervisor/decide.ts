/**
 * What every strategy shares, as pure functions: whether an exit calls for a restart (the child's
 * restart type), whether one more restart stays within the intensity, and `decide`, which puts them
 * together with the supervisor's strategy.
 */
import type { ExitReason } from '../exit-reason.js'
import { isCleanExit } from '../exit-reason.js'
import type { Action, ChildExit, ChildView, Strategy } from './strategy.js'
import type { AutoShutdown, RestartType, StrategyName } from './supervisor.js'
import { oneForOne } from './strategies/one-for-one.js'
import { oneForAll } from './strategies/one-for-all.js'
import { restForOne } from './strategies/rest-for-one.js'
import { simpleOneForOne } from './strategies/simple-one-for-one.js'

/** The strategies, by name. */
export const strategies: Readonly<Record<StrategyName, Strategy>> = {
  one_for_one: oneForOne,
  one_for_all: oneForAll,
  rest_for_one: restForOne,
  simple_one_for_one: simpleOneForOne
}

/** What `decide` needs to know of the supervisor. */
export interface SupervisorView {
  readonly strategy: StrategyName
  /** The children, in start order. */
  readonly children: ReadonlyMap<string, ChildView>
  /** Clock times (ms) of the restarts still inside the period, oldest first. */
  readonly restarts: readonly number[]
  /** At most this many restarts... */
  readonly intensity: number
  /** ...in this many seconds. */
  readonly period: number
  /** When significant children's own exits shut the supervisor down. @default 'never' */
  readonly autoShutdown?: AutoShutdown
}

export interface Decision {
  /** The new restart history. */
  readonly restarts: number[]
  readonly actions: Action[]
}

/**
 * True if a child of restart type `restart` that exited with `reason` is to be restarted: always
 * when permanent; when transient, only after an abnormal exit (not `normal`, `shutdown` or
 * `{ shutdown }`); never when temporary.
 */
export function shouldRestart (restart: RestartType, reason: ExitReason): boolean {
  if (restart === 'permanent') return true
  if (restart === 'temporary') return false
  return !isCleanExit(reason)
}

/**
 * Adds a restart at `now` (ms) to `restarts`, dropping those `period` seconds old or more;
 * `exceeded` is true if that makes more than `intensity` restarts within the period.
 */
export function recordRestart (restarts: readonly number[], now: number, intensity: number, period: number): { restarts: number[], exceeded: boolean } {
  const since = now - period * 1000
  const kept = restarts.filter(at => at > since)
  kept.push(now)
  return { restarts: kept, exceeded: kept.length > intensity }
}

/**
 * True if the exit (not restarted) of significant child `id` shuts the supervisor down: under
 * `any_significant` always; under `all_significant` when no other significant child runs (OTP 24).
 */
export function autoShutdownNow (sup: SupervisorView, id: string): boolean {
  if (sup.autoShutdown === 'any_significant') return true
  if (sup.autoShutdown !== 'all_significant') return false
  for (const c of sup.children.values()) if (c.id !== id && c.significant === true && c.running) return false
  return true
}

/**
 * The actions for `event` at clock time `now`: none (or forgetting the child, and maybe an
 * automatic shutdown for a significant one) if it is not to be restarted, `escalate` if restarting it would exceed the intensity, else the strategy's answer.
 */
export function decide (sup: SupervisorView, event: ChildExit, now: number): Decision {
  const child = sup.children.get(event.id)
  if (child === undefined) return { restarts: [...sup.restarts], actions: [] }
  if (!shouldRestart(child.restart, event.reason)) {
    const forget = child.restart === 'temporary' || sup.strategy === 'simple_one_for_one'
    const actions: Action[] = forget ? [{ type: 'delete', id: child.id }] : []
    if (child.significant === true && autoShutdownNow(sup, child.id)) actions.push({ type: 'autoShutdown' })
    return { restarts: [...sup.restarts], actions }
  }
  const { restarts, exceeded } = recordRestart(sup.restarts, now, sup.intensity, sup.period)
  if (exceeded) return { restarts, actions: [{ type: 'escalate' }] }
  return { restarts, actions: strategies[sup.strategy](sup.children, event) }
}
