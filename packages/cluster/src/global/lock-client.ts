/**
 * Taking a global lock on a set of nodes (protocol: `locks.ts`): ask every node at once; if all grant
 * it, it is held; if any refuses (another requester holds it there) or cannot answer, give back what
 * was granted, wait a random while (so two requesters do not meet again in step), and try again, up
 * to `retries` times (Erlang's default: for ever).
 */
import { call, CallAbortedError, Pid } from '@gen-cluster/core'
import type { ClusterNode } from '../cluster-node.js'
import { InvalidOptionError } from '../errors.js'
import type { LockRequest } from './locks.js'
import { MAX_REQUESTER_BYTES } from './locks.js'
import { nameProblem, SERVER_NAME } from './protocol.js'
import { InvalidNameError, InvalidPidError } from '../errors.js'

/** Options of `setLock`, `delLock` and `trans`. */
export interface LockOptions {
  /**
   * Who the lock is for: holders with the same requester share it, others wait (Erlang's
   * `LockRequesterId`). @default the holder's pid, as a string (the lock is the process's own)
   */
  requester?: string
  /** The process that holds the lock: when it exits, its locks go. @default the calling process */
  holder?: Pid
  /** The nodes to lock on, by name. @default this node and every connected node */
  nodes?: readonly string[]
  /** How many times to try again after a refusal. @default Infinity (as Erlang) */
  retries?: number
  /** Ends the attempts with `CallAbortedError`. */
  signal?: AbortSignal
}

/** First wait before another attempt, in ms; it doubles, up to {@link MAX_BACKOFF_MS}, times a random 0.5–1. */
const FIRST_BACKOFF_MS = 10
const MAX_BACKOFF_MS = 1000

export interface LockContext {
  readonly node: ClusterNode
  readonly peerTimeoutMs: number
  /** A number in [0, 1). @default Math.random */
  readonly random: () => number
}

/** The checked lock of `resource` for `opts`, and the nodes to take it on. */
export function lockOf (ctx: LockContext, resource: string, opts: LockOptions, holder: Pid | undefined): { request: LockRequest, nodes: string[] } {
  const problem = nameProblem(resource)
  if (problem !== undefined) throw new InvalidNameError(resource, problem)
  const pid = opts.holder ?? holder
  if (!(pid instanceof Pid)) throw new InvalidPidError(pid)
  if (!ctx.node.core.isLocal(pid)) throw new InvalidOptionError('holder', `must be a process of ${ctx.node.name}: a node takes locks for its own processes`)
  const requester = opts.requester ?? pid.toString()
  if (typeof requester !== 'string' || requester.length === 0 || Buffer.byteLength(requester) > MAX_REQUESTER_BYTES) {
    throw new InvalidOptionError('requester', `must be a non-empty string of at most ${MAX_REQUESTER_BYTES} bytes`)
  }
  if (opts.retries !== undefined && !(opts.retries === Infinity || (Number.isSafeInteger(opts.retries) && opts.retries >= 0))) {
    throw new InvalidOptionError('retries', 'must be a whole number >= 0, or Infinity')
  }
  const nodes = opts.nodes === undefined ? [ctx.node.name, ...ctx.node.nodes()] : [...new Set(opts.nodes)]
  if (!nodes.every(n => typeof n === 'string' && n.length > 0)) throw new InvalidOptionError('nodes', 'must be an array of node names')
  return { request: { resource, requester, pid }, nodes }
}

async function ask (ctx: LockContext, node: string, type: 'lock' | 'unlock', r: LockRequest): Promise<unknown> {
  return await call({ name: SERVER_NAME, node }, { type, ...r }, { timeout: ctx.peerTimeoutMs, node: ctx.node }).catch((err: unknown) => err)
}

/** A node that is not connected, went down while asked, or runs no registry. */
function notTakingPart (answer: unknown): boolean {
  const name = (answer as Error | undefined)?.name
  return answer instanceof Error && (name === 'NodeDownError' || name === 'NoProcError')
}

/** Takes the lock on every node of `nodes`; false once `retries` attempts more were refused. */
export async function takeLock (ctx: LockContext, r: LockRequest, nodes: readonly string[], retries: number, signal: AbortSignal | undefined): Promise<boolean> {
  const clock = ctx.node.core.clock
  for (let attempt = 0; ; attempt++) {
    if (signal?.aborted === true) throw new CallAbortedError(`lock ${r.resource}`, signal.reason)
    const answers = await Promise.all(nodes.map(async n => [n, await ask(ctx, n, 'lock', r)] as const))
    // As global:set_lock: a node that is down (or runs no registry) takes no part; any other answer
    // than true refuses. A LOCK that timed out may still be granted there later: it is released too.
    const taking = answers.filter(([, a]) => !notTakingPart(a))
    if (taking.every(([, a]) => a === true) && taking.some(([n]) => n === ctx.node.name)) return true
    await Promise.all(taking.filter(([, a]) => a !== false).map(async ([n]) => await ask(ctx, n, 'unlock', r)))
    if (attempt >= retries) return false
    const wait = Math.min(FIRST_BACKOFF_MS * 2 ** attempt, MAX_BACKOFF_MS) * (0.5 + ctx.random() / 2)
    await new Promise<void>(resolve => { clock.setTimeout(resolve, wait) })
  }
}

/** Gives the lock back on every node of `nodes`. */
export async function releaseLock (ctx: LockContext, r: LockRequest, nodes: readonly string[]): Promise<void> {
  await Promise.all(nodes.map(async n => await ask(ctx, n, 'unlock', r)))
}
