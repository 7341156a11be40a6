/**
 * The supervisor's calls: managing children at run time (OTP's `start_child`, `terminate_child`,
 * `restart_child`, `delete_child`, `which_children`, `count_children`). Each answers an `Outcome`,
 * which the client functions in `supervisor.ts` turn back into a value or a thrown typed error.
 */
import { ChildNotFoundError, ChildRestartingError, ChildRunningError, ChildStartError, InvalidChildSpecError, WrongStrategyError } from '../errors.js'
import type { GenServer } from '../gen-server.js'
import { Pid } from '../pid.js'
import type { Proc } from '../process.js'
import { Child, me, startChildProcess, terminateChildren } from './children.js'
import { checkChildSpec } from './spec.js'
import type { Outcome, SupervisorServer, SupervisorState } from './server.js'

function outcome<T> (fn: () => T): Outcome<T> {
  try {
    return { ok: true, value: fn() }
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err : new Error(String(err)) }
  }
}

async function attempt<T> (fn: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await fn() }
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err : new Error(String(err)) }
  }
}

/** Adds a child and starts it; a child whose start fails is not kept. */
async function addChild (proc: Proc, state: SupervisorState, specOrArg: unknown): Promise<Pid | undefined> {
  let child: Child
  if (state.template !== undefined) {
    child = new Child(`#${state.nextDynamic++}`, state.template, specOrArg, true)
  } else {
    const spec = checkChildSpec(specOrArg, undefined, state.autoShutdown)
    if (state.children.get(spec.id) !== undefined) throw new InvalidChildSpecError('id', 'is already used by a child of this supervisor', spec.id)
    child = new Child(spec.id, spec, undefined, false)
  }
  state.children.add(child)
  const started = await startChildProcess(proc, state.children, child)
  if (!started.ok) {
    state.children.delete(child)
    throw new ChildStartError(child.dynamic ? undefined : child.id, started.reason)
  }
  // An ignored start keeps no process; a dynamic or temporary child is then not kept either (OTP).
  if (started.pid === undefined && (child.dynamic || child.restart === 'temporary')) state.children.delete(child)
  return started.pid
}

/** The static child `id`, for an operation that simple_one_for_one does not have. */
function staticChild (state: SupervisorState, operation: string, id: string): Child {
  if (state.template !== undefined) throw new WrongStrategyError(operation, state.strategy, 'dynamic children have no spec of their own; use terminateChild(sup, pid)')
  const child = state.children.get(id)
  if (child === undefined) throw new ChildNotFoundError(JSON.stringify(id))
  return child
}

export const supervisorCalls: GenServer<SupervisorServer>['handleCall'] = {
  async startChild ({ specOrArg }, _from, state) {
    const proc = me()
    return { reply: await attempt(async () => await addChild(proc, state, specOrArg)), state }
  },

  async terminateChild ({ child: which }, _from, state) {
    const proc = me()
    return {
      reply: await attempt(async () => {
        if (state.template !== undefined && !(which instanceof Pid)) throw new WrongStrategyError('terminateChild', state.strategy, 'children are terminated by pid')
        // A child whose restarts keep failing is found by its last pid too, as OTP does: terminating
        // it ends the retries.
        const child = which instanceof Pid ? state.children.ofPid(which) ?? state.children.restartingOf(which) : state.children.get(which)
        if (child === undefined) {
          // Under simple_one_for_one a child that has already exited is terminated already (OTP): only
          // a live process that is not a child is an error.
          if (state.template !== undefined && which instanceof Pid && which.node === proc.node.name && proc.node.lookup(which) === undefined) return undefined
          throw new ChildNotFoundError(which instanceof Pid ? which.toString() : JSON.stringify(which))
        }
        child.restarting = false
        await terminateChildren(proc, state.children, [child], state.log)
        if (child.dynamic || child.restart === 'temporary') state.children.delete(child)
        return undefined
      }),
      state
    }
  },

  async restartChild ({ id }, _from, state) {
    const proc = me()
    return {
      reply: await attempt(async () => {
        const child = staticChild(state, 'restartChild', id)
        if (child.restarting) throw new ChildRestartingError(id)
        if (child.running) throw new ChildRunningError(id)
        const started = await startChildProcess(proc, state.children, child)
        if (!started.ok) throw new ChildStartError(id, started.reason)
        return started.pid
      }),
      state
    }
  },

  async deleteChild ({ id }, _from, state) {
    return {
      reply: await attempt(async () => {
        const child = staticChild(state, 'deleteChild', id)
        if (child.restarting) throw new ChildRestartingError(id)
        if (child.running) throw new ChildRunningError(id)
        state.children.delete(child)
        return undefined
      }),
      state
    }
  },

  getChildSpec ({ child: which }, _from, state) {
    return {
      reply: outcome(() => {
        const child = which instanceof Pid ? state.children.ofPid(which) : state.children.get(which)
        // Under simple_one_for_one only a running child's pid names a spec: the template.
        if (child === undefined || (state.template !== undefined && !(which instanceof Pid))) {
          throw new ChildNotFoundError(which instanceof Pid ? which.toString() : JSON.stringify(which))
        }
        const spec = child.spec
        return { id: spec.id, start: spec.start, restart: spec.restart, shutdown: spec.shutdown, type: spec.type, significant: spec.significant }
      }),
      state
    }
  },

  whichChildren (_request, _from, state) {
    return { reply: state.children.list().map(child => child.info()), state }
  },

  countChildren (_request, _from, state) {
    const children = state.children.list()
    const active = children.filter(c => c.running).length
    const supervisors = children.filter(c => c.spec.type === 'supervisor').length
    return {
      reply: { specs: state.template !== undefined ? 1 : children.length, active, supervisors, workers: children.length - supervisors },
      state
    }
  }
}
