/**
 * The registry server: one GenServer per node, registered locally as `gen_cluster.global`. Its
 * handlers check what arrives and hand it to the replica, the coordinator or the client; nothing in
 * them waits, so the servers of two nodes can never wait on each other. What completes later comes
 * back as an `Internal` continuation in the mailbox. Protocol: `protocol.ts`.
 */
import { defineServer, preview, reply, self } from '@gen-cluster/core'
import type { DownMessage, Logger, Pid, ServerTypes } from '@gen-cluster/core'
import type { ClusterNode } from '../cluster-node.js'
import { Client } from './client.js'
import type { ApiAnswer } from './client.js'
import { Coordinator } from './coordinator.js'
import { Effects, Internal } from './effects.js'
import { isConflict, isName, isNameAndPid, isRegistration, isSync } from './protocol.js'
import type { CommitAck, Invalid, RegisterAnswer, WireEntry } from './protocol.js'
import { Replica } from './replica.js'
import type { Resolver } from './resolve.js'
import { fromWire } from './table.js'
import { isLockRequest, Locks } from './locks.js'
import type { LockRequest } from './locks.js'

interface NameAndPidFields { name: string, pid: Pid }
interface RegistrationFields extends NameAndPidFields { at: number }

export interface GlobalServer extends ServerTypes {
  arg: GlobalState
  state: GlobalState
  calls: {
    /** From this node's `GlobalRegistry`. */
    'api:register': { request: RegistrationFields, reply: ApiAnswer }
    'api:unregister': { request: { name: string }, reply: ApiAnswer }
    'api:reregister': { request: RegistrationFields, reply: ApiAnswer }
    /** From peers (numbered as in `protocol.ts`). */
    register: { request: RegistrationFields & { replace?: boolean }, reply: RegisterAnswer | Invalid }
    commit: { request: RegistrationFields & { replace?: boolean }, reply: CommitAck | Invalid }
    unregister: { request: NameAndPidFields, reply: 'ok' | Invalid }
    drop: { request: NameAndPidFields, reply: 'ok' | Invalid }
    lock: { request: LockRequest, reply: boolean | Invalid }
    unlock: { request: LockRequest, reply: 'ok' | Invalid }
  }
  casts: {
    abort: NameAndPidFields
    check: NameAndPidFields
    conflict: RegistrationFields & { yours: Pid }
    sync: { node: string, entries: WireEntry[], ask: boolean, part?: number, parts?: number }
  }
  info: Internal
}

export interface GlobalStateInit {
  readonly resolver: Resolver
  readonly timeoutMs: number
  readonly peerTimeoutMs: number
  readonly retryDelayMs: number
  readonly log: Logger
}

/** The server's state: the replica and the two roles, over one set of effects. */
export class GlobalState {
  readonly fx: Effects
  readonly replica: Replica
  readonly coordinator: Coordinator
  readonly client: Client
  readonly locks: Locks

  constructor (cluster: ClusterNode, init: GlobalStateInit) {
    this.fx = new Effects(cluster, init.log, init.peerTimeoutMs)
    this.locks = new Locks(this.fx)
    this.replica = new Replica(this.fx, init.resolver)
    this.coordinator = new Coordinator(this.replica, this.fx)
    this.client = new Client(this.replica, this.coordinator, this.fx, init)
  }

  /** Logs a peer message of unknown shape; the answer to give a call. */
  invalid (what: string, message: unknown): Invalid {
    this.fx.log.warn(`${what} of unknown shape dropped`, { message: preview(message) })
    return 'invalid'
  }

  nodeUp (node: string): void {
    this.replica.forget(node)
    this.replica.syncTo(node, false)
  }

  nodeDown (node: string): void {
    this.replica.forget(node)
  }

  /** At start: ask every connected node for the registrations it owns. */
  started (): void {
    for (const node of this.fx.view()) this.replica.syncTo(node, true)
  }
}

function isDown (m: unknown): m is DownMessage {
  return typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'DOWN' && 'ref' in m
}

export const globalServer = defineServer<GlobalServer>({
  name: 'gen_cluster.global',
  init: (g) => {
    g.fx.attach(self())
    return { state: g }
  },
  handleCall: {
    'api:register': (r, from, g) => {
      if (!isRegistration(r)) {
        g.invalid('api:register', r)
        return { reply: { ok: false }, state: g }
      }
      g.client.register(r, (a) => { reply(from, a) })
      return { noreply: true, state: g }
    },
    'api:reregister': (r, from, g) => {
      if (!isRegistration(r)) {
        g.invalid('api:reregister', r)
        return { reply: { ok: false }, state: g }
      }
      g.client.register({ name: r.name, pid: r.pid, at: r.at, replace: true }, (a) => { reply(from, a) })
      return { noreply: true, state: g }
    },
    'api:unregister': (r, from, g) => {
      if (!isName(r.name)) {
        g.invalid('api:unregister', r)
        return { reply: { ok: false }, state: g }
      }
      g.client.unregister(r.name, (a) => { reply(from, a) })
      return { noreply: true, state: g }
    },
    register: (r, from, g) => {
      if (!isRegistration(r)) return { reply: g.invalid('REGISTER', r), state: g }
      g.coordinator.submit({ name: r.name, pid: r.pid, at: r.at, replace: (r as { replace?: unknown }).replace === true, done: (a) => { reply(from, a) } })
      return { noreply: true, state: g }
    },
    commit: (r, _from, g) => ({ reply: isRegistration(r) ? g.replica.commit({ name: r.name, pid: r.pid, at: r.at }, r.replace === true) : g.invalid('COMMIT', r), state: g }),
    unregister: (r, from, g) => {
      if (!isNameAndPid(r) || !g.fx.isLocal(r.pid)) return { reply: g.invalid('UNREGISTER', r), state: g }
      void g.replica.release(r.name, r.pid).then(() => { g.fx.post(() => { reply(from, 'ok') }) })
      return { noreply: true, state: g }
    },
    drop: (r, _from, g) => {
      if (!isNameAndPid(r)) return { reply: g.invalid('DROP', r), state: g }
      g.replica.dropped(r.name, r.pid)
      return { reply: 'ok', state: g }
    },
    // A node takes and releases locks only for its own processes.
    lock: (r, from, g) => ({ reply: isLockRequest(r) && r.pid.node === from.ref.node ? g.locks.lock(r) : g.invalid('LOCK', r), state: g }),
    unlock: (r, from, g) => {
      if (!isLockRequest(r) || r.pid.node !== from.ref.node) return { reply: g.invalid('UNLOCK', r), state: g }
      g.locks.unlock(r)
      return { reply: 'ok', state: g }
    }
  },
  handleCast: {
    abort: (m, g) => {
      if (isNameAndPid(m)) g.replica.abort(m.name, m.pid)
      else g.invalid('ABORT', m)
      return { state: g }
    },
    check: (m, g) => {
      if (isNameAndPid(m)) g.replica.check(m.name, m.pid)
      else g.invalid('CHECK', m)
      return { state: g }
    },
    conflict: (m, g) => {
      if (isConflict(m)) g.replica.conflict(m.yours, { name: m.name, pid: m.pid, at: m.at })
      else g.invalid('CONFLICT', m)
      return { state: g }
    },
    sync: (m, g) => {
      if (!isSync(m)) {
        g.invalid('SYNC', m)
        return { state: g }
      }
      g.replica.merge(m.node, m.entries.map(fromWire), m.parts === undefined ? undefined : { part: m.part as number, parts: m.parts })
      if (m.ask) g.replica.syncTo(m.node, false)
      return { state: g }
    }
  },
  handleInfo: (m, g) => {
    if (m instanceof Internal) m.run()
    else if (isDown(m)) {
      if (!g.locks.down(m.ref)) g.replica.down(m.ref)
    }
    else g.fx.log.warn('unexpected message dropped', { message: preview(m) })
    return { state: g }
  },
  terminate: (_reason, g) => {
    g.replica.releaseAll()
    g.fx.stop()
  }
})
