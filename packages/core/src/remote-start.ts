/**
 * Starting a server on another node (OTP starts code on a node with `rpc` / `spawn(Node, …)`; code
 * does not cross the wire, so here a node *exposes* behaviours by name and others start those).
 *
 * | API | what it does |
 * | --- | --- |
 * | `exposeBehaviour(name, behaviour, { node? })` | lets other nodes start `behaviour` here as `name`, and upgrade servers here to it |
 * | `startOn(node, name, arg, { name?, link?, timeout? })` | starts what `node` exposes as `name`; resolves with the pid |
 *
 * A name the node does not expose is refused with `StartRefusedError`; `init` failing rejects with
 * `InitError` as a local start does; a node that is not connected gives `NodeDownError`.
 */
import type { CallTag, RemoteStartOptions } from './distribution.js'
import { NotInProcessError, StartRefusedError } from './errors.js'
import type { AnyGenServer, ArgOf, Named, ServerTypes, UntypedName } from './gen-server.js'
import type { ServerPid } from './server-client.js'
import type { CoreNode } from './node.js'
import type { Pid } from './pid.js'
import { actingNode, currentProc } from './realm.js'
import type { NodeOption } from './realm.js'
import { checkTimeout, DEFAULT_CALL_TIMEOUT, requestRemote } from './call.js'
import { startServer } from './server-client.js'
import type { AnyServer } from './server-loop.js'

/** The longest behaviour name, in UTF-8 bytes. */
export const MAX_BEHAVIOUR_NAME_BYTES = 255

/** Options of `startOn`. */
export interface StartOnOptions extends NodeOption {
  /** Register the new server on its node under this local name, or globally (`{ global }`). */
  name?: string | { readonly global: string }
  /** Link it to the calling process (which must be a process), before `init` runs. @default false */
  link?: boolean
  /** Milliseconds `init` may take there; past them it is killed and `StartTimeoutError` follows. @default 5000 */
  timeout?: number
}

/** Checks a behaviour name; throws a `TypeError` that states the rule otherwise. */
export function checkBehaviourName (name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length === 0 || Buffer.byteLength(name) > MAX_BEHAVIOUR_NAME_BYTES) {
    throw new TypeError(`behaviour name: expected a non-empty string of at most ${MAX_BEHAVIOUR_NAME_BYTES} bytes, got ${typeof name === 'string' ? JSON.stringify(name.slice(0, 40)) : typeof name}`)
  }
}

/** Exposes `behaviour` under `name` on the acting node: other nodes may start it (`startOn`) or upgrade to it. */
export function exposeBehaviour (name: string, behaviour: AnyGenServer, opts?: NodeOption): void {
  actingNode('exposeBehaviour', undefined, opts?.node).expose(name, behaviour)
}

function checkStartOn (opts: StartOnOptions): RemoteStartOptions {
  if (typeof opts !== 'object' || opts === null) throw new TypeError('startOn: options must be an object { name?, link?, timeout?, node? }')
  const n = opts.name
  if (n !== undefined && !(typeof n === 'string' && n.length > 0) && !(typeof n === 'object' && n !== null && typeof n.global === 'string' && n.global.length > 0)) {
    throw new TypeError('startOn: name must be a non-empty string (a local name there) or { global: name }')
  }
  if (opts.link !== undefined && typeof opts.link !== 'boolean') throw new TypeError('startOn: link must be a boolean')
  return { name: n, link: opts.link === true, timeout: checkTimeout('startOn', opts.timeout ?? DEFAULT_CALL_TIMEOUT) }
}

/**
 * Starts, on node `node` (its name), the behaviour it exposes as `behaviour`, with `arg`; resolves
 * with the new server's pid once its `init` has returned there.
 * @example
 * exposeBehaviour('counter', counter, { node: b })                 // on node b
 * const pid = await startOn('b@host', 'counter', 0, { node: a })   // from node a
 */
export async function startOn<T extends ServerTypes> (node: string, behaviour: Named<T>, arg: ArgOf<T>, opts?: StartOnOptions): Promise<ServerPid<T>>
export async function startOn (node: string, behaviour: UntypedName, arg: unknown, opts?: StartOnOptions): Promise<Pid>
export async function startOn (node: string, behaviour: string, arg: unknown, opts: StartOnOptions = {}): Promise<Pid> {
  if (typeof node !== 'string' || node.length === 0) throw new TypeError('startOn: node must be the name of a node (a non-empty string)')
  checkBehaviourName(behaviour)
  const o = checkStartOn(opts)
  const caller = currentProc()
  if (o.link && caller === undefined) throw new NotInProcessError('startOn({ link: true })')
  const here = actingNode('startOn', undefined, opts.node, caller)
  const callerPid = caller?.node === here ? caller.pid : undefined
  if (node === here.name) return await startHere(here, behaviour, arg, o, o.link ? callerPid : undefined)
  const wait = o.timeout === Infinity ? Infinity : o.timeout + 5000
  return await requestRemote(here, node, `${behaviour} on ${node}`, { timeout: wait, caller: callerPid },
    (tag) => { here.distribution.start(node, behaviour, arg, o, tag) }) as Pid
}

async function startHere (node: CoreNode, name: string, arg: unknown, o: RemoteStartOptions, linkTo: Pid | undefined): Promise<Pid> {
  const b = node.behaviours.get(name)
  if (b === undefined) throw new StartRefusedError(name, node.name)
  const started = await startServer(node, b as AnyServer, arg, { name: o.name, timeout: o.timeout }, { linkTo })
  return started.pid
}

/** Another node asks this one to start an exposed behaviour: answered with the pid or the error. */
export function startExposed (node: CoreNode, behaviour: string, arg: unknown, opts: RemoteStartOptions, tag: CallTag): void {
  const dist = node.distribution
  const linkTo = opts.link ? tag.pid : undefined
  startHere(node, behaviour, arg, opts, linkTo).then(
    (pid) => { if (dist.isConnected(tag.ref.node)) dist.reply(tag, pid) },
    (err: unknown) => { if (dist.isConnected(tag.ref.node)) replyError(node, tag, err) })
}

/** Ends a caller's request with `err`; an error that cannot cross goes as its name and message. */
export function replyError (node: CoreNode, tag: CallTag, err: unknown): void {
  const error = err instanceof Error ? err : new Error(String(err))
  try {
    node.distribution.replyError(tag, error)
  } catch {
    const plain = new Error(error.message)
    plain.name = error.name
    node.distribution.replyError(tag, plain)
  }
}
