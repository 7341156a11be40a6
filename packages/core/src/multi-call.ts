/**
 * Calling and casting a locally registered name on many nodes at once: OTP's `gen_server:multi_call`
 * and `gen_server:abcast`.
 *
 * - `multiCall(name, request, { nodes?, timeout? })` calls the server registered as `name` on each
 *   node, all at once, and resolves when every node answered or `timeout` passed: the replies by
 *   node, and the *bad nodes* (not connected, no such server, it failed or did not answer in time),
 *   each with its error.
 * - `abcast(name, message, { nodes? })` casts to `name` on each node; it never fails (a node without
 *   the name, or not connected, drops it).
 *
 * `nodes` defaults to the acting node and every connected node (Erlang's `[node() | nodes()]`).
 */
import { checkCallOptions, DEFAULT_CALL_TIMEOUT } from './call.js'
import * as calls from './call.js'
import type { CallRequest, Named, ReplyOf, CastMessage, ServerTypes, UntypedName } from './gen-server.js'
import type { CoreNode } from './node.js'
import { actingNode, currentProc } from './realm.js'
import type { NodeOption } from './realm.js'

/** Options of `multiCall` and `abcast`. */
export interface MultiOptions extends NodeOption {
  /** The nodes, by name. @default the acting node and every connected node */
  nodes?: readonly string[]
}

/** Options of `multiCall`. */
export interface MultiCallOptions extends MultiOptions {
  /** Milliseconds to wait for all answers; nodes that have not answered by then are bad. @default 5000 */
  timeout?: number
}

/** What `multiCall` resolves with. */
export interface MultiCallResult<R> {
  /** One reply per node that answered, in the order of `nodes`. */
  readonly replies: ReadonlyArray<{ readonly node: string, readonly reply: R }>
  /** The nodes that gave no reply, in the order of `nodes`. */
  readonly badNodes: readonly string[]
  /** Why each bad node gave none (`NodeDownError`, `NoProcError`, `CallTimeoutError`, …). */
  readonly errors: ReadonlyArray<{ readonly node: string, readonly error: Error }>
}

function checkName (api: string, name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length === 0) throw new TypeError(`${api}: name must be a locally registered name (a non-empty string)`)
}

function targets (api: string, node: CoreNode, nodes: unknown): string[] {
  if (nodes === undefined) return [node.name, ...node.distribution.connectedNodes().filter(n => n !== node.name)]
  if (!Array.isArray(nodes) || !nodes.every(n => typeof n === 'string' && n.length > 0)) throw new TypeError(`${api}: nodes must be an array of node names (non-empty strings)`)
  return [...new Set(nodes as string[])]
}

/**
 * Calls the server registered as `name` on each node with `request`, at once.
 * @example
 * const { replies, badNodes } = await multiCall(COUNTER, { type: 'get' }, { timeout: 1000 })
 */
export async function multiCall<T extends ServerTypes, const R extends CallRequest<T>> (name: Named<T>, request: R, opts?: MultiCallOptions): Promise<MultiCallResult<ReplyOf<T, R>>>
export async function multiCall (name: UntypedName, request: unknown, opts?: MultiCallOptions): Promise<MultiCallResult<unknown>>
export async function multiCall (name: string, request: unknown, opts: MultiCallOptions = {}): Promise<MultiCallResult<unknown>> {
  checkName('multiCall', name)
  if (request === undefined) throw new TypeError('multiCall: the request must not be undefined')
  const { timeout } = checkCallOptions({ timeout: opts.timeout }, 'multiCall', DEFAULT_CALL_TIMEOUT)
  const caller = currentProc()
  const node = actingNode('multiCall', undefined, opts.node, caller)
  const list = targets('multiCall', node, opts.nodes)
  const from = caller?.node === node ? caller.pid : undefined
  const answers = await Promise.allSettled(list.map(async n => await calls.call(node, n === node.name ? name : { name, node: n }, request, { timeout }, from)))
  const replies: Array<{ node: string, reply: unknown }> = []
  const errors: Array<{ node: string, error: Error }> = []
  answers.forEach((a, i) => {
    const n = list[i] as string
    if (a.status === 'fulfilled') replies.push({ node: n, reply: a.value })
    else errors.push({ node: n, error: a.reason as Error })
  })
  return { replies, badNodes: errors.map(e => e.node), errors }
}

/** Casts `message` to the server registered as `name` on each node; never fails. */
export function abcast<T extends ServerTypes, const M extends CastMessage<T>> (name: Named<T>, message: M, opts?: MultiOptions): void
export function abcast (name: UntypedName, message: unknown, opts?: MultiOptions): void
export function abcast (name: string, message: unknown, opts: MultiOptions = {}): void {
  checkName('abcast', name)
  if (message === undefined) throw new TypeError('abcast: the message must not be undefined')
  const caller = currentProc()
  if (caller !== undefined && !caller.alive) return
  const node = actingNode('abcast', undefined, opts.node, caller)
  const from = caller?.node === node ? caller.pid : undefined
  for (const n of targets('abcast', node, opts.nodes)) {
    if (n === node.name) {
      if (node.whereis(name) !== undefined) calls.cast(node, name, message, from)
    } else calls.cast(node, { name, node: n }, message, from)
  }
}
