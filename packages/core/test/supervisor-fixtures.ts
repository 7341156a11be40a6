/**
 * Shared pieces of the supervisor tests: a worker that writes its life into a log, child specs for
 * it, and a fresh node with a virtual clock per test.
 */
import { createNode, forgetNode, spawn } from '../src/api.js'
import type { ExitReason } from '../src/exit-reason.js'
import type { ServerTypes } from '../src/gen-server.js'
import { defineServer } from '../src/gen-server.js'
import { silentLogger } from '../src/logger.js'
import type { CoreNode } from '../src/node.js'
import type { Pid } from '../src/pid.js'
import { startLink } from '../src/server-client.js'
import type { ChildSpec, SupervisorRef } from '../src/supervisor/index.js'
import { whichChildren } from '../src/supervisor/index.js'
import { VirtualClock } from '../src/testing/index.js'

export interface WorkerArg {
  readonly id: string
  readonly log: string[]
  /** Resolves before `terminate` returns (to make a slow shutdown). */
  readonly slowStop?: Promise<void>
}

interface Worker extends ServerTypes {
  arg: WorkerArg
  state: WorkerArg
  calls: { whoami: { reply: string } }
  casts: { crash: {}, stop: { reason: ExitReason } }
}

/** How a reason shows in the log: `normal`, `shutdown`, `crash`, ... */
export function tag (reason: ExitReason): string {
  if (reason instanceof Error) return 'crash'
  return typeof reason === 'string' ? reason : 'shutdown+'
}

/** A worker that logs `start <id>` in init and `stop <id> <reason>` in terminate. */
export const worker = defineServer<Worker>({
  init (arg) {
    arg.log.push(`start ${arg.id}`)
    return { state: arg }
  },
  handleCall: {
    whoami: (_request, _from, state) => ({ reply: state.id, state })
  },
  handleCast: {
    crash () {
      throw new Error('boom')
    },
    stop: ({ reason }, state) => ({ stop: reason, state })
  },
  async terminate (reason, state) {
    if (state.slowStop !== undefined) await state.slowStop
    state.log.push(`stop ${state.id} ${tag(reason)}`)
  }
})

/** A child spec for `worker`, trapping exits so that its `terminate` runs on shutdown. */
export function workerSpec (id: string, log: string[], extra: Partial<ChildSpec> & { slowStop?: Promise<void> } = {}): ChildSpec {
  const { slowStop, ...rest } = extra
  return { id, start: async () => await startLink(worker, { id, log, slowStop }, { trapExit: true }), ...rest }
}

/** A child spec for a process that traps exits and never stops on its own (only `'kill'` ends it). */
export function stubbornSpec (id: string, extra: Partial<ChildSpec> = {}): ChildSpec {
  return {
    id,
    start: async () => spawn(async ({ receive }) => {
      for (;;) await receive()
    }, { link: true, trapExit: true }),
    ...extra
  }
}

export interface TestNode {
  readonly node: CoreNode
  readonly clock: VirtualClock
  /** Kills what is left and forgets the node. */
  close(): void
}

let seq = 0

export function testNode (): TestNode {
  const clock = new VirtualClock()
  const node = createNode({ name: `sup${++seq}@test`, clock, logger: silentLogger })
  return {
    node,
    clock,
    close () {
      for (const proc of [...node.procs.values()]) node.terminate(proc, 'killed')
      forgetNode(node)
    }
  }
}

/** The pid of child `id` (undefined if it is not running). */
export async function childPid (sup: SupervisorRef, id: string): Promise<Pid | undefined> {
  const child = (await whichChildren(sup)).find(c => c.id === id)
  return child?.pid === 'restarting' ? undefined : child?.pid
}

/** The ids of the children, in start order. */
export async function childIds (sup: SupervisorRef): Promise<Array<string | undefined>> {
  return (await whichChildren(sup)).map(c => c.id)
}
