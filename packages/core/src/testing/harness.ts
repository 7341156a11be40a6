/**
 * Starts one behaviour in isolation, on a node of its own with a virtual clock, to drive it and
 * assert on what it did.
 */
import { forgetNode, createNode } from '../api.js'
import type { CallOptions } from '../call.js'
import { Cast } from '../call.js'
import type { ExitReason } from '../exit-reason.js'
import type { ArgOf, CallRequest, CastMessage, GenServer, ReplyOf, ServerTypes, StateOf } from '../gen-server.js'
import { silentLogger } from '../logger.js'
import type { LoggerFactory } from '../logger.js'
import type { Dest } from '../names.js'
import type { CoreNode } from '../node.js'
import type { Pid } from '../pid.js'
import { call, cast, start } from '../server-client.js'
import { getState, stop } from '../system.js'
import type { ServerPid } from '../server-client.js'
import { processInfo } from '../introspection.js'
import type { ProcessInfo } from '../introspection.js'
import { VirtualClock } from './virtual-clock.js'
import { probe } from './probe.js'
import type { Probe } from './probe.js'
import { settle } from './wait.js'

/** A message the server sent (with `send` or `cast`). */
export interface SentMessage {
  readonly to: Dest
  readonly kind: 'send' | 'cast'
  readonly message: unknown
}

export interface Harness<T extends ServerTypes> {
  readonly node: CoreNode
  readonly clock: VirtualClock
  readonly pid: ServerPid<T>
  /** Everything the server sent, in order. */
  readonly sent: SentMessage[]
  call<R extends CallRequest<T>>(request: R, opts?: CallOptions | number): Promise<ReplyOf<T, R>>
  cast(message: CastMessage<T>): Promise<void>
  /** Sends an info message and waits until the server has handled it. */
  send(message: unknown): Promise<void>
  state(): Promise<StateOf<T>>
  info(): ProcessInfo | undefined
  /** A probe process on the same node, to link, monitor or receive replies. */
  probe(opts?: { trapExit?: boolean }): Probe
  stop(reason?: ExitReason): Promise<void>
  /** Stops the server if it still runs, and forgets the node. */
  close(): Promise<void>
}

let seq = 0

/** Starts `behaviour` with `arg` on a fresh node (virtual clock, silent logger unless given). */
export async function startIsolated<T extends ServerTypes> (behaviour: GenServer<T>, arg: ArgOf<T>, opts: { logger?: LoggerFactory, clock?: VirtualClock } = {}): Promise<Harness<T>> {
  const clock = opts.clock ?? new VirtualClock()
  const node = createNode({ name: `isolated${++seq}@test`, clock, logger: opts.logger ?? silentLogger })
  const sent: SentMessage[] = []
  const pid = await start(behaviour, arg, { node })
  node.onSend = (from, to, message) => {
    if (from?.equals(pid) !== true) return
    if (message instanceof Cast) sent.push({ to, kind: 'cast', message: message.message })
    else sent.push({ to, kind: 'send', message })
  }
  return {
    node,
    clock,
    pid,
    sent,
    call: async (request, o) => await call(pid, request as never, o) as never,
    cast: async (message) => {
      cast(pid, message as never)
      await settle()
    },
    send: async (message) => {
      node.send(pid as Pid, message, undefined)
      await settle()
    },
    state: async () => await getState(pid) as StateOf<T>,
    info: () => processInfo(pid),
    probe: (o) => probe(node, o),
    stop: async (reason = 'normal') => { await stop(pid, reason) },
    close: async () => {
      if (node.lookup(pid) !== undefined) await stop(pid, 'shutdown', 1000).catch(() => {})
      for (const proc of [...node.procs.values()]) node.terminate(proc, 'killed')
      forgetNode(node)
    }
  }
}
