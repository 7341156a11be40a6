/**
 * The distribution protocol, `/gen-cluster/dist/1.0.0`: what two nodes say to each other.
 *
 * ## Main idea
 * Each pair of nodes keeps ONE long-lived, ordered, encrypted link (a libp2p stream over TCP, noise
 * and yamux, inside the cluster's pre-shared-key network). Every signal between processes of the two
 * nodes travels on it, so messages between any two processes keep their order, as in Erlang. A frame
 * is one message: a msgpack array `[op, ...fields]` (codec in `codec.ts`, which carries pids, refs,
 * errors, Map, Set, BigInt, Date and Uint8Array), behind a 4-byte big-endian length. Frames queued in
 * one turn of the event loop are written together.
 *
 * ## Assumptions
 * The transport authenticates the peer (its libp2p peer id, proven by noise) and admits only holders
 * of the cluster secret. Node names are unique in a cluster; a node that restarts comes back with the
 * same name and a new, larger creation.
 *
 * ## A trace: b joins a cluster of a through seed a, then a process on b calls a server on a
 * ```
 * b → a  HELLO   [1, 1, 'b@h', 7, idB, ['/ip4/…/tcp/4002'], false]
 * a → b  HELLO   [1, 1, 'a@h', 3, idA, ['/ip4/…/tcp/4001'], false]
 * a → b  MEMBERS [2, [['c@h', 5, idC, ['/ip4/…/tcp/4003']]]]     b then dials c (full mesh)
 * a → c  MEMBERS [2, [['b@h', 7, idB, [...]]]]                    the join is announced
 * b → a  CALL    [7, <a@h.12.3>, { type: 'get' }, <b@h.40.7>, #Ref<b@h.9.7>]
 * a → b  REPLY   [8, #Ref<b@h.9.7>, 42]        or REPLY_ERROR [9, ref, CallExitError] if the server
 *                                               exits first, NoProcError if there is no such process
 * a ↔ b  HEARTBEAT [3]                                            every heartbeat interval, both ways
 * ```
 *
 * ## Messages (numbered by op; "from either" unless said)
 * 1. HELLO `[1, version, name, creation, peerId, addresses, hidden]`: first frame of each side.
 * 2. MEMBERS `[2, [[name, creation, peerId, addresses], ...]]`: nodes the sender knows (after HELLO,
 *    and to announce a joining node to the others).
 * 3. HEARTBEAT `[3]`: liveness, for the failure detector (any frame also counts).
 * 4. SEND `[4, to: Pid, message, from: Pid | null]`
 * 5. SEND_NAMED `[5, name, message, from: Pid | null]`
 * 6. CAST `[6, to: Pid | name, message]`
 * 7. CALL `[7, to: Pid | name, request, caller: Pid | null, ref]`
 * 8. REPLY `[8, ref, value]`
 * 9. REPLY_ERROR `[9, ref, error]`
 * 10. LINK `[10, from: Pid, to: Pid]` / 11. UNLINK `[11, from, to]`
 * 12. EXIT `[12, from: Pid, to: Pid, reason, linked: boolean]`
 * 13. MONITOR `[13, watcher: Pid, target: Pid | name, ref]` / 14. DEMONITOR (same fields)
 * 15. DOWN `[15, watcher: Pid, target: Pid, ref, reason]`
 * 16. BYE `[16, reason]`: the sender leaves the cluster on purpose; do not reconnect to it.
 * 17. SYSTEM `[17, to: Pid | name, kind, arg, caller: Pid | null, ref]`: a system request to a server
 *     (`kind` 'getState' | 'stop' | 'upgrade'; `arg` the exit reason for 'stop', `{ behaviour: name,
 *     extra }` for 'upgrade'), answered with REPLY (the state, `{ from, to }` versions, or the exit
 *     reason once a stopped server has exited) or REPLY_ERROR.
 * 18. START `[18, behaviour, arg, options: { name?, link, timeout }, caller: Pid | null, ref]`:
 *     starts the behaviour the receiver exposes under that name; REPLY with the new pid, or
 *     REPLY_ERROR (`StartRefusedError` for a name it does not expose, `InitError`, …). With `link`
 *     the new server is linked to the caller (a LINK follows before the REPLY).
 *
 * A frame that does not decode, has an unknown op, the wrong fields, or addresses a pid of a node
 * other than the receiver, is a protocol error: the receiver closes that one link with a logged
 * reason (the node and its other links carry on). Newer versions understand older ones: a HELLO
 * with a higher version is accepted, and ops this version does not know close the link.
 */
import { MAX_BEHAVIOUR_NAME_BYTES, Pid, Ref, isExitReason } from '@gen-cluster/core'
import type { ExitReason, RemoteStartOptions, SystemKind } from '@gen-cluster/core'
import { decode, encode } from './codec.js'

export const PROTOCOL = '/gen-cluster/dist/1.0.0'
export const VERSION = 1

export const Op = {
  Hello: 1,
  Members: 2,
  Heartbeat: 3,
  Send: 4,
  SendNamed: 5,
  Cast: 6,
  Call: 7,
  Reply: 8,
  ReplyError: 9,
  Link: 10,
  Unlink: 11,
  Exit: 12,
  Monitor: 13,
  Demonitor: 14,
  Down: 15,
  Bye: 16,
  System: 17,
  Start: 18
} as const

/** A node as the membership knows it. */
export interface MemberInfo {
  readonly name: string
  readonly creation: number
  readonly peerId: string
  readonly addresses: readonly string[]
}

export interface Hello extends MemberInfo {
  readonly version: number
  readonly hidden: boolean
}

export type Message =
  | { op: typeof Op.Hello, hello: Hello }
  | { op: typeof Op.Members, members: MemberInfo[] }
  | { op: typeof Op.Heartbeat }
  | { op: typeof Op.Send, to: Pid, message: unknown, from: Pid | undefined }
  | { op: typeof Op.SendNamed, name: string, message: unknown, from: Pid | undefined }
  | { op: typeof Op.Cast, to: Pid | string, message: unknown }
  | { op: typeof Op.Call, to: Pid | string, request: unknown, caller: Pid | undefined, ref: Ref }
  | { op: typeof Op.Reply, ref: Ref, value: unknown }
  | { op: typeof Op.ReplyError, ref: Ref, error: Error }
  | { op: typeof Op.Link | typeof Op.Unlink, from: Pid, to: Pid }
  | { op: typeof Op.Exit, from: Pid, to: Pid, reason: ExitReason, linked: boolean }
  | { op: typeof Op.Monitor | typeof Op.Demonitor, watcher: Pid, target: Pid | string, ref: Ref }
  | { op: typeof Op.Down, watcher: Pid, target: Pid, ref: Ref, reason: ExitReason }
  | { op: typeof Op.Bye, reason: string }
  | { op: typeof Op.System, to: Pid | string, kind: SystemKind, arg: unknown, caller: Pid | undefined, ref: Ref }
  | { op: typeof Op.Start, behaviour: string, arg: unknown, options: RemoteStartOptions, caller: Pid | undefined, ref: Ref }

/** Thrown for a frame that breaks the protocol; the link it came on is closed. */
export class ProtocolError extends Error {
  override name = 'ProtocolError' as const
}

const HEARTBEAT = encode([Op.Heartbeat])

/** Encodes a message as one frame. */
export function frame (m: Message): Uint8Array {
  switch (m.op) {
    case Op.Hello: {
      const h = m.hello
      return encode([Op.Hello, h.version, h.name, h.creation, h.peerId, h.addresses, h.hidden])
    }
    case Op.Members: return encode([Op.Members, m.members.map(x => [x.name, x.creation, x.peerId, x.addresses])])
    case Op.Heartbeat: return HEARTBEAT
    case Op.Send: return encode([Op.Send, m.to, m.message, m.from ?? null])
    case Op.SendNamed: return encode([Op.SendNamed, m.name, m.message, m.from ?? null])
    case Op.Cast: return encode([Op.Cast, m.to, m.message])
    case Op.Call: return encode([Op.Call, m.to, m.request, m.caller ?? null, m.ref])
    case Op.Reply: return encode([Op.Reply, m.ref, m.value])
    case Op.ReplyError: return encode([Op.ReplyError, m.ref, m.error])
    case Op.Link: case Op.Unlink: return encode([m.op, m.from, m.to])
    case Op.Exit: return encode([Op.Exit, m.from, m.to, m.reason, m.linked])
    case Op.Monitor: case Op.Demonitor: return encode([m.op, m.watcher, m.target, m.ref])
    case Op.Down: return encode([Op.Down, m.watcher, m.target, m.ref, m.reason])
    case Op.Bye: return encode([Op.Bye, m.reason])
    case Op.System: return encode([Op.System, m.to, m.kind, m.arg ?? null, m.caller ?? null, m.ref])
    case Op.Start: return encode([Op.Start, m.behaviour, m.arg ?? null, startOptions(m.options), m.caller ?? null, m.ref])
  }
}

function fail (what: string): never {
  throw new ProtocolError(what)
}

function pid (v: unknown, what: string): Pid {
  return v instanceof Pid ? v : fail(`${what} must be a pid`)
}

function optPid (v: unknown, what: string): Pid | undefined {
  return v === null || v === undefined ? undefined : pid(v, what)
}

function ref (v: unknown): Ref {
  return v instanceof Ref ? v : fail('ref must be a Ref')
}

function pidOrName (v: unknown, what: string): Pid | string {
  return v instanceof Pid || (typeof v === 'string' && v.length > 0) ? v : fail(`${what} must be a pid or a name`)
}

function str (v: unknown, what: string): string {
  return typeof v === 'string' && v.length > 0 && v.length <= 1024 ? v : fail(`${what} must be a non-empty string`)
}

function int (v: unknown, what: string): number {
  return Number.isSafeInteger(v) && (v as number) >= 0 ? v as number : fail(`${what} must be a non-negative integer`)
}

function reason (v: unknown): ExitReason {
  return isExitReason(v) ? v : fail('reason must be an exit reason')
}

function member (v: unknown): MemberInfo {
  if (!Array.isArray(v) || v.length !== 4) fail('a member must be [name, creation, peerId, addresses]')
  const addresses = v[3]
  if (!Array.isArray(addresses) || addresses.length > 64 || !addresses.every(a => typeof a === 'string' && a.length <= 1024)) fail('addresses must be strings')
  return { name: str(v[0], 'name'), creation: int(v[1], 'creation'), peerId: str(v[2], 'peerId'), addresses: addresses as string[] }
}

function startOptions (o: RemoteStartOptions): Record<string, unknown> {
  const out: Record<string, unknown> = { link: o.link, timeout: o.timeout === Infinity ? -1 : o.timeout }
  if (o.name !== undefined) out.name = o.name
  return out
}

function behaviourName (v: unknown): string {
  return typeof v === 'string' && v.length > 0 && Buffer.byteLength(v) <= MAX_BEHAVIOUR_NAME_BYTES ? v : fail('behaviour must be a name of 1 to 255 bytes')
}

function systemArg (kind: unknown, arg: unknown): { kind: SystemKind, arg: unknown } {
  if (kind === 'getState') return { kind, arg: undefined }
  if (kind === 'stop') return { kind, arg: reason(arg) }
  if (kind === 'upgrade') {
    const a = arg as { behaviour?: unknown, extra?: unknown } | null
    if (typeof a !== 'object' || a === null) fail('an upgrade takes { behaviour, extra }')
    return { kind, arg: { behaviour: behaviourName(a.behaviour), extra: a.extra } }
  }
  return fail('kind must be getState, stop or upgrade')
}

function parseStartOptions (v: unknown): RemoteStartOptions {
  if (typeof v !== 'object' || v === null) fail('START options must be { name?, link, timeout }')
  const o = v as { name?: unknown, link?: unknown, timeout?: unknown }
  if (typeof o.link !== 'boolean') fail('link must be a boolean')
  const timeout = o.timeout === -1 ? Infinity : int(o.timeout, 'timeout')
  const n = o.name
  if (n === undefined) return { link: o.link, timeout }
  if (typeof n === 'string') return { name: str(n, 'name'), link: o.link, timeout }
  if (typeof n === 'object' && n !== null) return { name: { global: str((n as { global?: unknown }).global, 'global name') }, link: o.link, timeout }
  return fail('name must be a string or { global }')
}

/** Decodes and checks one frame. Throws `ProtocolError` (or the codec's `DecodeError`). */
export function parse (bytes: Uint8Array): Message {
  const v = decode(bytes)
  if (!Array.isArray(v) || v.length === 0) fail('a frame must be a non-empty array')
  const n = v.length
  const arity = (k: number): void => { if (n !== k) fail(`op ${String(v[0])} takes ${k - 1} fields, got ${n - 1}`) }
  switch (v[0]) {
    case Op.Hello: {
      if (n < 7) fail('HELLO takes 6 fields')
      const m = member([v[2], v[3], v[4], v[5]])
      if (typeof v[6] !== 'boolean') fail('hidden must be a boolean')
      return { op: Op.Hello, hello: { ...m, version: int(v[1], 'version'), hidden: v[6] } }
    }
    case Op.Members:
      arity(2)
      if (!Array.isArray(v[1]) || v[1].length > 10_000) fail('MEMBERS takes a list of members')
      return { op: Op.Members, members: (v[1] as unknown[]).map(member) }
    case Op.Heartbeat: arity(1); return { op: Op.Heartbeat }
    case Op.Send: arity(4); return { op: Op.Send, to: pid(v[1], 'to'), message: v[2], from: optPid(v[3], 'from') }
    case Op.SendNamed: arity(4); return { op: Op.SendNamed, name: str(v[1], 'name'), message: v[2], from: optPid(v[3], 'from') }
    case Op.Cast: arity(3); return { op: Op.Cast, to: pidOrName(v[1], 'to'), message: v[2] }
    case Op.Call: arity(5); return { op: Op.Call, to: pidOrName(v[1], 'to'), request: v[2], caller: optPid(v[3], 'caller'), ref: ref(v[4]) }
    case Op.Reply: arity(3); return { op: Op.Reply, ref: ref(v[1]), value: v[2] }
    case Op.ReplyError:
      arity(3)
      if (!(v[2] instanceof Error)) fail('REPLY_ERROR carries an error')
      return { op: Op.ReplyError, ref: ref(v[1]), error: v[2] }
    case Op.Link: case Op.Unlink: arity(3); return { op: v[0], from: pid(v[1], 'from'), to: pid(v[2], 'to') }
    case Op.Exit:
      arity(5)
      if (typeof v[4] !== 'boolean') fail('linked must be a boolean')
      return { op: Op.Exit, from: pid(v[1], 'from'), to: pid(v[2], 'to'), reason: reason(v[3]), linked: v[4] }
    case Op.Monitor: case Op.Demonitor:
      arity(4)
      return { op: v[0], watcher: pid(v[1], 'watcher'), target: pidOrName(v[2], 'target'), ref: ref(v[3]) }
    case Op.Down: arity(5); return { op: Op.Down, watcher: pid(v[1], 'watcher'), target: pid(v[2], 'target'), ref: ref(v[3]), reason: reason(v[4]) }
    case Op.Bye: arity(2); return { op: Op.Bye, reason: typeof v[1] === 'string' ? v[1].slice(0, 1024) : 'leaving' }
    case Op.System: {
      arity(6)
      const { kind, arg } = systemArg(v[2], v[3])
      return { op: Op.System, to: pidOrName(v[1], 'to'), kind, arg, caller: optPid(v[4], 'caller'), ref: ref(v[5]) }
    }
    case Op.Start:
      arity(6)
      return { op: Op.Start, behaviour: behaviourName(v[1]), arg: v[2] ?? undefined, options: parseStartOptions(v[3]), caller: optPid(v[4], 'caller'), ref: ref(v[5]) }
    default: return fail(`unknown op ${typeof v[0] === 'number' ? v[0] : typeof v[0]}`)
  }
}
