/**
 * GenServer: OTP's `gen_server` behaviour, typed.
 *
 * A server declares its types once ({@link ServerTypes}): its state, the calls it answers (each with
 * its reply type), the casts and infos it takes. `call(server, request)` then returns the reply type
 * of that request, and a missing handler is a compile error.
 *
 * ## Callbacks
 * Every callback may be synchronous or return a Promise; the server handles one message at a time
 * either way (an async callback holds the next message back until it settles). A callback that
 * throws (or rejects) stops the server: `terminate` runs, then the process exits with the error.
 *
 * | callback | when it runs (always in the server's process) | returns |
 * | --- | --- | --- |
 * | `init(arg)` | once, before `start` resolves | `{ state, continue? \| timeout? }`, `{ stop: reason }` (start rejects with `InitError`), `{ ignore: true }` (start rejects with `InitIgnoredError`) |
 * | `handleCall[type](request, from, state)` | for each `call` whose request has that `type` | `{ reply, state, continue? }`, `{ noreply: true, state, continue? }` (answer later with `reply(from, value)`), `{ stop: reason, state, reply? }` |
 * | `handleCast[type](message, state)` | for each `cast` of that `type` | `{ state, continue? }` or `{ stop: reason, state }` |
 * | `handleInfo(message, state)` | for any other message: `send`, `DOWN`, `EXIT` (when trapping exits) | as `handleCast` |
 * | `handleContinue(value, state)` | right after a callback returned `continue: value`, before any other message | as `handleCast` |
 * | `formatStatus({ state, message?, reason? })` | when a crash report or `processInfo` shows the server | what to show instead |
 * | `terminate(reason, state)` | when the server stops: a `stop` result, `stop()`, a crash in a callback, or an `EXIT` from its parent while trapping exits. Not when killed by an exit signal it does not trap. | ignored |
 * | `codeChange(oldVersion, state, extra)` | during a hot upgrade, in the *new* behaviour | the new state |
 *
 * Optional callbacks: `handleCall` and `handleCast` (required when the server declares calls or
 * casts), `handleInfo` (required when it declares infos; otherwise an unexpected message is logged
 * and dropped), `handleContinue` (required when it declares continues), `terminate`, `codeChange`,
 * `formatStatus`.
 *
 * A result other than `stop` may carry `continue: value` (then `handleContinue` runs before any other
 * message) or `timeout: ms` (then, if no message arrives within `ms`, `handleInfo` gets
 * `{ type: 'timeout' }`; any message cancels it; a system request such as `getState` starts it again).
 *
 * An invalid result stops the server with a `BadReturnError` naming the callback and the value. A call
 * whose `type` has no handler fails *for its caller* with `UnknownRequestError`, and a cast with no
 * handler is logged and dropped: the server and its state carry on.
 */
import type { CallTag, RemoteName } from './distribution.js'
import type { ExitReason } from './exit-reason.js'
import type { GlobalName, ViaName } from './names.js'
import type { Pid } from './pid.js'
import type { DownMessage, ExitMessage } from './process.js'

/** Declares a server's types. Extend it: `interface Counter extends ServerTypes { state: number, ... }`. */
export interface ServerTypes {
  /** The argument `init` takes. */
  arg?: unknown
  /** The server's state. */
  state: unknown
  /** Calls, by `type`: the extra fields of the request (if any) and the reply. */
  calls?: Record<string, { request?: object, reply: unknown }>
  /** Casts, by `type`: their extra fields. */
  casts?: Record<string, object>
  /** Info messages the server expects (besides `DOWN` and `EXIT`). */
  info?: unknown
  /** Values passed from a callback to `handleContinue`. */
  continue?: unknown
}

type Calls<T> = T extends { calls: infer C } ? C extends Record<string, { reply: unknown }> ? C : {} : {}
type Casts<T> = T extends { casts: infer C } ? C extends Record<string, object> ? C : {} : {}
type Fields<S> = S extends { request: infer R } ? R : {}
type Reply<S> = S extends { reply: infer R } ? R : never
type Simplify<T> = { [K in keyof T]: T[K] } & {}

export type StateOf<T> = T extends { state: infer S } ? S : unknown
export type ArgOf<T> = T extends { arg: infer A } ? A : undefined
export type InfoOf<T> = T extends { info: infer I } ? I : never
export type ContinueOf<T> = T extends { continue: infer C } ? C : never

/** The request of call `K` of server `T`: `{ type: K, ...fields }`. */
export type CallRequestOf<T, K extends keyof Calls<T>> = Simplify<{ type: K } & Fields<Calls<T>[K]>>
/** Every call request server `T` answers. */
export type CallRequest<T> = { [K in keyof Calls<T> & string]: CallRequestOf<T, K> }[keyof Calls<T> & string]
/** The reply to `request` (a request of server `T`). */
export type ReplyOf<T, R> = R extends { type: infer K extends keyof Calls<T> } ? Reply<Calls<T>[K]> : never
/** Every cast server `T` takes: `{ type: K, ...fields }`. */
export type CastMessage<T> = { [K in keyof Casts<T> & string]: Simplify<{ type: K } & Casts<T>[K]> }[keyof Casts<T> & string]

/** Where a reply goes; `R` is the reply's type, so `reply(from, value)` is checked too. */
export interface From<R = unknown> extends CallTag {
  /** Type only: the reply type. */
  readonly '~reply'?: R
}

/** Type only: marks a pid or name with the types of the server it names. */
export interface Typed<T> {
  readonly '~server'?: T
}

/** A pid or name of a server of type `T` (at run time, just a pid or a name). */
export type ServerRef<T = unknown> = (Pid | string | RemoteName | GlobalName | ViaName) & Typed<T>

/** A name string that carries no server type (what untyped overloads take, so a typed name never falls back to them). */
export type UntypedName = string & { readonly '~server'?: undefined }

/** A name string that remembers the type of the server it names: `const COUNTER = named<Counter>('counter')`. */
export type Named<T> = string & Typed<T>

/**
 * A name that remembers the type of the server it names (a locally registered name, a GenCluster's
 * cluster name): calls through it are typed. Throws a `TypeError` for an empty name.
 * @example
 * const COUNTER = named<Counter>('counter')
 * await start(counter, 0, { name: COUNTER })
 * const n = await call(COUNTER, { type: 'get' })   // n: number
 */
export function named<T extends ServerTypes> (name: string): Named<T> {
  if (typeof name !== 'string' || name.length === 0) throw new TypeError('named: expected a non-empty string')
  return name as Named<T>
}

/**
 * What may follow a result: `continue` (run `handleContinue` next), or `timeout` (ms: the server gets
 * a `{ type: 'timeout' }` info if no message arrives within them; OTP's timeout). Not both.
 */
export type Next<C> = { continue?: C, timeout?: undefined } | { continue?: undefined, timeout?: number }

/**
 * What `init` returns: `{ state }` (maybe with `continue` or `timeout`) and the server runs;
 * `{ stop: reason }` and `start` rejects with `InitError`; `{ ignore: true }` and `start` rejects with
 * `InitIgnoredError` (a supervisor keeps no process for it).
 */
export type InitResult<S, C> =
  | ({ state: S } & Next<C>)
  | { stop: ExitReason }
  | { ignore: true }

/**
 * What a `handleCall` handler returns: `{ reply, state }` answers now; `{ noreply: true, state }`
 * answers later with `reply(from, value)` (or never: the caller's timeout ends it); `{ stop, state,
 * reply? }` stops the server after answering (or, without `reply`, the caller gets `CallExitError`).
 */
export type CallResult<R, S, C> =
  | ({ reply: R, state: S } & Next<C>)
  | ({ noreply: true, state: S } & Next<C>)
  | { stop: ExitReason, state: S, reply?: R }

/** What `handleCast`, `handleInfo` and `handleContinue` return: `{ state }` (maybe with `continue` or `timeout`), or `{ stop, state }`. */
export type CastResult<S, C> =
  | ({ state: S } & Next<C>)
  | { stop: ExitReason, state: S }

type MaybePromise<X> = X | Promise<X>

type CallHandlers<T> = {
  [K in keyof Calls<T> & string]: (
    request: CallRequestOf<T, K>,
    from: From<Reply<Calls<T>[K]>>,
    state: StateOf<T>
  ) => MaybePromise<CallResult<Reply<Calls<T>[K]>, StateOf<T>, ContinueOf<T>>>
}

type CastHandlers<T> = {
  [K in keyof Casts<T> & string]: (
    message: Simplify<{ type: K } & Casts<T>[K]>,
    state: StateOf<T>
  ) => MaybePromise<CastResult<StateOf<T>, ContinueOf<T>>>
}

/** The info a server gets when a result's `timeout` passed with no message. */
export interface TimeoutMessage {
  readonly type: 'timeout'
}

/** What `handleInfo` may receive. */
export type InfoMessage<T> = InfoOf<T> | DownMessage | ExitMessage | TimeoutMessage

/** What `formatStatus` is given (and returns, with what it hides replaced): OTP 25's `format_status/1`. */
export interface ServerStatus<S = unknown> {
  readonly state: S
  /** In a crash report: the message being handled when the server stopped. */
  readonly message?: unknown
  /** In a crash report: why the server is terminating. */
  readonly reason?: ExitReason
}

interface BaseCallbacks<T> {
  /** Name of the behaviour, for introspection. @default 'gen_server' */
  readonly name?: string
  /** Version of this code, for introspection and `codeChange`. */
  readonly version?: string
  init(arg: ArgOf<T>): MaybePromise<InitResult<StateOf<T>, ContinueOf<T>>>
  terminate?(reason: ExitReason, state: StateOf<T>): unknown
  codeChange?(oldVersion: string | undefined, state: unknown, extra: unknown): MaybePromise<StateOf<T>>
  /**
   * Shapes what crash reports and `processInfo` show of the server (hide secrets, shorten big
   * state). Synchronous; if it throws, neither shows the state. `getState` is not affected.
   */
  formatStatus?(status: ServerStatus<StateOf<T>>): ServerStatus<unknown>
}

type CallPart<T> = [keyof Calls<T>] extends [never] ? { handleCall?: undefined } : { handleCall: CallHandlers<T> }
type CastPart<T> = [keyof Casts<T>] extends [never] ? { handleCast?: undefined } : { handleCast: CastHandlers<T> }
type InfoHandler<T> = (message: InfoMessage<T>, state: StateOf<T>) => MaybePromise<CastResult<StateOf<T>, ContinueOf<T>>>
type InfoPart<T> = [InfoOf<T>] extends [never] ? { handleInfo?: InfoHandler<T> } : { handleInfo: InfoHandler<T> }
type ContinuePart<T> = [ContinueOf<T>] extends [never]
  ? { handleContinue?: undefined }
  : { handleContinue: (value: ContinueOf<T>, state: StateOf<T>) => MaybePromise<CastResult<StateOf<T>, ContinueOf<T>>> }

/** A GenServer behaviour for server types `T`: the callbacks above. */
export type GenServer<T extends ServerTypes = ServerTypes> = BaseCallbacks<T> & CallPart<T> & CastPart<T> & InfoPart<T> & ContinuePart<T>

/**
 * Any GenServer behaviour, whatever its types: what tables of behaviours hold (`exposeBehaviour`,
 * the `behaviours` option). Checked at run time like any behaviour.
 */
export interface AnyGenServer {
  readonly name?: string
  readonly version?: string
  init(arg: never): unknown
}

/** Checks at compile time that `behaviour` implements `GenServer<T>`, and returns it. */
export function defineServer<T extends ServerTypes> (behaviour: GenServer<T>): GenServer<T> {
  return behaviour
}
