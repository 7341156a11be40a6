/**
 * The supervisor server: a GenServer that owns the children and is the one place where the actions
 * of the strategies are performed. Contract and API: `supervisor.ts`; decisions: `decide.ts`.
 *
 * It runs with exits trapped, so a child's exit arrives as an `EXIT` message (`handleInfo`); an
 * `EXIT` from its parent is handled by the GenServer loop (it stops, and `terminate` shuts the
 * children down in reverse start order).
 */
import { ChildStartError, preview } from '../errors.js'
import { formatReason, isCleanExit } from '../exit-reason.js'
import type { CastResult, ServerTypes } from '../gen-server.js'
import { defineServer } from '../gen-server.js'
import type { Logger } from '../logger.js'
import type { Pid } from '../pid.js'
import type { ExitMessage, Proc } from '../process.js'
import { Child, ChildTable, me, startChildProcess, terminateChildren } from './children.js'
import { decide } from './decide.js'
import type { CheckedChildSpec, CheckedSpec } from './spec.js'
import type { Action, ChildExit } from './strategy.js'
import type { AutoShutdown, ChildCounts, ChildInfo, ChildSpec, StrategyName } from './supervisor.js'
import { supervisorCalls } from './calls.js'

/** A result that crosses a call: the value, or the typed error the client function throws. */
export type Outcome<T> = { readonly ok: true, readonly value: T } | { readonly ok: false, readonly error: Error }

export interface SupervisorState {
  readonly strategy: StrategyName
  readonly intensity: number
  readonly period: number
  readonly autoShutdown: AutoShutdown
  /** The template of simple_one_for_one. */
  readonly template: CheckedChildSpec | undefined
  readonly children: ChildTable
  /** Clock times (ms) of recent restarts. */
  restarts: number[]
  /** Numbers the dynamic children of simple_one_for_one. */
  nextDynamic: number
  readonly log: Logger
}

/** A restart that failed, to try again after the messages already waiting (OTP's `try_again_restart`). */
export class RetryRestart {
  constructor (readonly id: string, readonly reason: unknown) {}
}

export interface SupervisorServer extends ServerTypes {
  arg: CheckedSpec
  state: SupervisorState
  calls: {
    startChild: { request: { specOrArg: unknown }, reply: Outcome<Pid | undefined> }
    terminateChild: { request: { child: string | Pid }, reply: Outcome<undefined> }
    restartChild: { request: { id: string }, reply: Outcome<Pid | undefined> }
    deleteChild: { request: { id: string }, reply: Outcome<undefined> }
    getChildSpec: { request: { child: string | Pid }, reply: Outcome<Required<ChildSpec<any>>> }
    whichChildren: { reply: ChildInfo[] }
    countChildren: { reply: ChildCounts }
  }
  info: RetryRestart
}

function isExit (message: unknown): message is ExitMessage {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'EXIT' && 'from' in message
}

export const supervisorServer = defineServer<SupervisorServer>({
  name: 'supervisor',

  async init (spec) {
    const proc = me()
    const state: SupervisorState = {
      strategy: spec.strategy,
      intensity: spec.intensity,
      period: spec.period,
      autoShutdown: spec.autoShutdown,
      template: spec.strategy === 'simple_one_for_one' ? spec.children[0] : undefined,
      children: new ChildTable(),
      restarts: [],
      nextDynamic: 1,
      log: proc.node.logger('core:supervisor')
    }
    if (state.template !== undefined) return { state }
    for (const childSpec of spec.children) {
      const child = new Child(childSpec.id, childSpec, undefined, false)
      state.children.add(child)
      const started = await startChildProcess(proc, state.children, child)
      if (!started.ok) {
        state.children.delete(child)
        await terminateChildren(proc, state.children, state.children.list().reverse(), state.log)
        return { stop: new ChildStartError(childSpec.id, started.reason) }
      }
      if (started.pid === undefined && child.restart === 'temporary') state.children.delete(child)
    }
    return { state }
  },

  handleCall: supervisorCalls,

  async handleInfo (message, state) {
    const proc = me()
    if (message instanceof RetryRestart) {
      const child = state.children.get(message.id)
      if (child === undefined || !child.restarting) return { state }
      child.restarting = false
      return await react(proc, state, { id: child.id, reason: new ChildStartError(child.dynamic ? undefined : child.id, message.reason) })
    }
    if (isExit(message)) {
      const child = state.children.ofPid(message.from)
      // An EXIT of a child already terminated or forgotten (its DOWN ended the shutdown) is dropped.
      if (child === undefined) return { state }
      state.children.setPid(child, undefined)
      if (!isCleanExit(message.reason)) {
        state.log.error('child terminated', { supervisor: proc.pid.toString(), child: child.id, pid: message.from.toString(), reason: formatReason(message.reason) })
      }
      return await react(proc, state, { id: child.id, reason: message.reason })
    }
    state.log.warn('unexpected message dropped', { supervisor: proc.pid.toString(), message: preview(message) })
    return { state }
  },

  async terminate (_reason, state) {
    const proc = me()
    await terminateChildren(proc, state.children, state.children.list().reverse(), state.log, state.template !== undefined)
  }
})

/** Decides what `event` calls for and does it; escalating stops the supervisor with `'shutdown'`. */
async function react (proc: Proc, state: SupervisorState, event: ChildExit): Promise<CastResult<SupervisorState, never>> {
  const { restarts, actions } = decide({ ...state, children: state.children.byId }, event, proc.node.clock.now())
  state.restarts = restarts
  const done = await perform(proc, state, actions)
  if (done === 'escalate') {
    state.log.error('reached maximum restart intensity; shutting down', { supervisor: proc.pid.toString(), intensity: state.intensity, period: state.period, child: event.id, reason: formatReason(event.reason) })
    return { stop: 'shutdown', state }
  }
  if (done === 'autoShutdown') {
    state.log.info('a significant child ended: shutting down (autoShutdown)', { supervisor: proc.pid.toString(), child: event.id, autoShutdown: state.autoShutdown })
    return { stop: 'shutdown', state }
  }
  return { state }
}

/** Performs `actions` in order. A failed start ends the run and is retried later as a new event. */
async function perform (proc: Proc, state: SupervisorState, actions: readonly Action[]): Promise<'done' | 'escalate' | 'autoShutdown' | 'retry'> {
  const table = state.children
  for (const action of actions) {
    if (action.type === 'escalate' || action.type === 'autoShutdown') return action.type
    const child = table.get(action.id)
    if (child === undefined) continue
    if (action.type === 'terminate') {
      await terminateChildren(proc, table, [child], state.log)
    } else if (action.type === 'delete') {
      table.delete(child)
    } else {
      child.restarting = false
      const started = await startChildProcess(proc, table, child)
      if (!started.ok) {
        state.log.error('child restart failed', { supervisor: proc.pid.toString(), child: child.id, reason: started.reason instanceof Error ? formatReason(started.reason) : preview(started.reason) })
        child.restarting = true
        proc.deliver(new RetryRestart(child.id, started.reason))
        return 'retry'
      }
      if (started.pid === undefined && child.dynamic) table.delete(child)
    }
  }
  return 'done'
}
