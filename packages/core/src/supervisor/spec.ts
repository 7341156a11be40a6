/**
 * Checking supervisor and child specs before anything starts, with the defaults filled in. Each
 * rule broken throws `InvalidSupervisorSpecError` or `InvalidChildSpecError` naming the field.
 */
import { InvalidChildSpecError, InvalidSupervisorSpecError } from '../errors.js'
import type { Pid } from '../pid.js'
import type { AutoShutdown, ChildType, RestartType, Shutdown, StrategyName } from './supervisor.js'

/** OTP's default restart intensity: at most 1 restart... */
export const DEFAULT_INTENSITY = 1
/** ...in 5 seconds. */
export const DEFAULT_PERIOD = 5
/** Default `shutdown` of a worker, in ms (a supervisor child's is Infinity). */
export const DEFAULT_WORKER_SHUTDOWN = 5000

/** A child spec that passed the checks, defaults filled in. */
export interface CheckedChildSpec {
  readonly id: string
  readonly start: (arg: unknown) => Promise<Pid>
  readonly restart: RestartType
  readonly shutdown: Shutdown
  readonly type: ChildType
  readonly significant: boolean
}

/** A supervisor spec that passed the checks, defaults filled in. */
export interface CheckedSpec {
  readonly strategy: StrategyName
  readonly intensity: number
  readonly period: number
  readonly autoShutdown: AutoShutdown
  readonly children: readonly CheckedChildSpec[]
}

const STRATEGIES: readonly StrategyName[] = ['one_for_one', 'one_for_all', 'rest_for_one', 'simple_one_for_one']
const RESTARTS: readonly RestartType[] = ['permanent', 'transient', 'temporary']
const TYPES: readonly ChildType[] = ['worker', 'supervisor']
const AUTO_SHUTDOWNS: readonly AutoShutdown[] = ['never', 'any_significant', 'all_significant']
const SPEC_FIELDS = new Set(['strategy', 'intensity', 'period', 'autoShutdown', 'children'])
const CHILD_FIELDS = new Set(['id', 'start', 'restart', 'shutdown', 'type', 'significant'])

function oneOf<T extends string> (value: unknown, allowed: readonly T[]): value is T {
  return typeof value === 'string' && (allowed as readonly string[]).includes(value)
}

function isShutdown (value: unknown): value is Shutdown {
  return value === 'brutal_kill' || value === Infinity || (Number.isSafeInteger(value) && (value as number) >= 0)
}

/**
 * Checks one child spec; `at` (its index, if known) names it in the error until its id is known.
 * `autoShutdown` is the supervisor's: a significant child needs one other than `'never'` (OTP).
 */
export function checkChildSpec (spec: unknown, at?: number, autoShutdown: AutoShutdown = 'never'): CheckedChildSpec {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) throw new InvalidChildSpecError('spec', 'must be an object { id, start, restart?, shutdown?, type?, significant? }', at)
  const s = spec as Record<string, unknown>
  if (typeof s.id !== 'string' || s.id.length === 0) throw new InvalidChildSpecError('id', 'must be a non-empty string', at)
  const id = s.id
  for (const key of Object.keys(s)) {
    if (!CHILD_FIELDS.has(key)) throw new InvalidChildSpecError(key, 'is not a child spec field (id, start, restart, shutdown, type, significant)', id)
  }
  if (typeof s.start !== 'function') throw new InvalidChildSpecError('start', 'must be a function that starts the child linked to the caller and resolves with its pid', id)
  if (s.restart !== undefined && !oneOf(s.restart, RESTARTS)) throw new InvalidChildSpecError('restart', `must be one of ${RESTARTS.join(', ')}`, id)
  if (s.type !== undefined && !oneOf(s.type, TYPES)) throw new InvalidChildSpecError('type', `must be one of ${TYPES.join(', ')}`, id)
  if (s.shutdown !== undefined && !isShutdown(s.shutdown)) throw new InvalidChildSpecError('shutdown', "must be 'brutal_kill', a whole number of ms >= 0, or Infinity", id)
  const type = (s.type as ChildType | undefined) ?? 'worker'
  const restart = (s.restart as RestartType | undefined) ?? 'permanent'
  if (s.significant !== undefined && typeof s.significant !== 'boolean') throw new InvalidChildSpecError('significant', 'must be a boolean', id)
  const significant = s.significant === true
  if (significant && restart === 'permanent') throw new InvalidChildSpecError('significant', 'is only for transient or temporary children (a permanent one is always restarted)', id)
  if (significant && autoShutdown === 'never') throw new InvalidChildSpecError('significant', "needs the supervisor's autoShutdown to be 'any_significant' or 'all_significant'", id)
  return {
    id,
    start: s.start as (arg: unknown) => Promise<Pid>,
    restart,
    shutdown: (s.shutdown as Shutdown | undefined) ?? (type === 'supervisor' ? Infinity : DEFAULT_WORKER_SHUTDOWN),
    type,
    significant
  }
}

/** Checks a list of child specs, ids unique (OTP's `check_childspecs`). */
export function checkChildSpecs (specs: unknown, autoShutdown: AutoShutdown = 'never'): CheckedChildSpec[] {
  if (!Array.isArray(specs)) throw new InvalidSupervisorSpecError('children', 'must be an array of child specs')
  const seen = new Set<string>()
  return specs.map((spec: unknown, i) => {
    const checked = checkChildSpec(spec, i, autoShutdown)
    if (seen.has(checked.id)) throw new InvalidChildSpecError('id', 'is used by two children; ids must be unique', checked.id)
    seen.add(checked.id)
    return checked
  })
}

/** Checks a supervisor spec and its children. */
export function checkSupervisorSpec (spec: unknown): CheckedSpec {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) throw new InvalidSupervisorSpecError('spec', 'must be an object { strategy?, intensity?, period?, autoShutdown?, children }')
  const s = spec as Record<string, unknown>
  for (const key of Object.keys(s)) {
    if (!SPEC_FIELDS.has(key)) throw new InvalidSupervisorSpecError(key, 'is not a supervisor spec field (strategy, intensity, period, autoShutdown, children)')
  }
  if (s.strategy !== undefined && !oneOf(s.strategy, STRATEGIES)) throw new InvalidSupervisorSpecError('strategy', `must be one of ${STRATEGIES.join(', ')}`)
  if (s.intensity !== undefined && !(Number.isSafeInteger(s.intensity) && (s.intensity as number) >= 0)) throw new InvalidSupervisorSpecError('intensity', 'must be a whole number >= 0')
  if (s.period !== undefined && !(typeof s.period === 'number' && Number.isFinite(s.period) && s.period > 0)) throw new InvalidSupervisorSpecError('period', 'must be a number of seconds > 0')
  if (s.autoShutdown !== undefined && !oneOf(s.autoShutdown, AUTO_SHUTDOWNS)) throw new InvalidSupervisorSpecError('autoShutdown', `must be one of ${AUTO_SHUTDOWNS.join(', ')}`)
  const autoShutdown = (s.autoShutdown as AutoShutdown | undefined) ?? 'never'
  const strategy = (s.strategy as StrategyName | undefined) ?? 'one_for_one'
  const children = checkChildSpecs(s.children, autoShutdown)
  if (strategy === 'simple_one_for_one' && children.length !== 1) throw new InvalidSupervisorSpecError('children', 'must hold exactly one child spec (the template) under simple_one_for_one')
  return {
    strategy,
    intensity: (s.intensity as number | undefined) ?? DEFAULT_INTENSITY,
    period: (s.period as number | undefined) ?? DEFAULT_PERIOD,
    autoShutdown,
    children
  }
}
