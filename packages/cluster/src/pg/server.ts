/**
 * The scope's server: one GenServer per scope and node, registered as `gen_cluster.pg:<scope>`, and
 * the one place where the decisions of `decide-local.ts` and `decide-peers.ts` are performed.
 * Protocol and API: `pg.ts`.
 *
 * It hears of local members, watchers and peer scopes through monitors (one per process, whatever
 * its roles), of new nodes through the cluster node's `node:up` event, and of peers through info
 * messages, each checked by `parsePeerMessage` (a message that fails is logged and dropped).
 */
import { defineServer, demonitor, monitor, Pid, preview, Ref, self, send } from '@gen-cluster/core'
import type { DownMessage, Logger, ServerTypes } from '@gen-cluster/core'
import type { ClusterNode, NodeUpEvent } from '../cluster-node.js'
import { InvalidOptionError } from '../errors.js'
import { checkGroup, localPids } from './checks.js'
import { addWatch, localJoin, localLeave, processDown, removeWatch } from './decide-local.js'
import { discovered, nodeUp, peerJoined, peerLeft, synced } from './decide-peers.js'
import { NodeUp, parsePeerMessage } from './messages.js'
import type { PeerMessage } from './messages.js'
import { membersOf, newScopeState } from './state.js'
import type { Effect, ScopeState, ViewTable } from './state.js'

/** A result that crosses a call: the value, or the typed error the client throws. */
export type Outcome<T> = { readonly ok: true, readonly value: T } | { readonly ok: false, readonly error: Error }

export interface ServerState {
  readonly s: ScopeState
  /** The monitors this server holds: watched pid key → ref, and ref key → pid. */
  readonly refs: Map<string, Ref>
  readonly byRef: Map<string, Pid>
  readonly log: Logger
  readonly cluster: ClusterNode
  readonly onNodeUp: (event: Event) => void
}

export interface PgServer extends ServerTypes {
  arg: { readonly scope: string, readonly view: ViewTable, readonly cluster: ClusterNode }
  state: ServerState
  calls: {
    join: { request: { group: string, pids: Pid[] }, reply: Outcome<void> }
    leave: { request: { group: string, pids: Pid[] }, reply: Outcome<boolean> }
    /** `group` undefined watches the whole scope; the reply holds the members at that instant. */
    monitor: { request: { group: string | undefined, watcher: Pid }, reply: Outcome<{ ref: Ref, groups: Array<[string, readonly Pid[]]> }> }
    demonitor: { request: { ref: Ref }, reply: boolean }
  }
  info: unknown
}

type PeerHandlers = { [K in PeerMessage['op']]: (s: ScopeState, m: Extract<PeerMessage, { op: K }>) => Effect[] }

const peerHandlers: PeerHandlers = {
  discover: (s, m) => discovered(s, m.scope),
  sync: (s, m) => synced(s, m.scope, m.groups),
  join: (s, m) => peerJoined(s, m.scope, m.group, m.pids),
  leave: (s, m) => peerLeft(s, m.scope, m.group, m.pids)
}

export const pgServer = defineServer<PgServer>({
  name: 'pg',

  init ({ scope, view, cluster }) {
    const me = self()
    const onNodeUp = (event: Event): void => {
      // Killed without terminate: the listener removes itself.
      if (cluster.core.lookup(me) === undefined) cluster.removeEventListener('node:up', onNodeUp)
      else cluster.core.send(me, new NodeUp((event as CustomEvent<NodeUpEvent>).detail.node), undefined)
    }
    cluster.addEventListener('node:up', onNodeUp)
    const state: ServerState = { s: newScopeState(scope, me, view), refs: new Map(), byRef: new Map(), log: cluster.core.logger('cluster:pg'), cluster, onNodeUp }
    for (const node of cluster.nodes()) perform(state, nodeUp(state.s, node))
    return { state }
  },

  handleCall: {
    join: (req, _from, st) => ({ reply: attempt(() => { perform(st, localJoin(st.s, ...checked(st, req))) }), state: st }),
    leave: (req, _from, st) => ({
      reply: attempt(() => {
        const { left, effects } = localLeave(st.s, ...checked(st, req))
        perform(st, effects)
        return left
      }),
      state: st
    }),
    monitor: (req, _from, st) => ({
      reply: attempt(() => {
        const { watcher } = req
        // From another node, an absent group may arrive as null.
        const group = req.group ?? undefined
        if (group !== undefined) checkGroup(group)
        if (!(watcher instanceof Pid)) throw new InvalidOptionError('watcher', 'expected a Pid')
        const ref = st.cluster.core.makeRef()
        perform(st, addWatch(st.s, { ref, watcher, group }))
        const groups: Array<[string, readonly Pid[]]> = group !== undefined
          ? [[group, membersOf(st.s.view, group, 'all')]]
          : [...st.s.view].map(([g, v]) => [g, v.all])
        return { ref, groups }
      }),
      state: st
    }),
    demonitor: ({ ref }, _from, st) => {
      if (!(ref instanceof Ref)) return { reply: false, state: st }
      const { removed, effects } = removeWatch(st.s, ref)
      perform(st, effects)
      return { reply: removed, state: st }
    }
  },

  handleInfo (message, st) {
    if (message instanceof NodeUp) {
      // A node that went down again since, or a hidden one, is not asked.
      if (st.cluster.nodes().includes(message.node)) perform(st, nodeUp(st.s, message.node))
      return { state: st }
    }
    if (isDown(message)) {
      const pid = st.byRef.get(message.ref.key)
      if (pid === undefined || !pid.equals(message.pid)) {
        st.log.debug('DOWN of an unknown monitor dropped', { scope: st.s.scope, ref: message.ref.toString() })
        return { state: st }
      }
      st.byRef.delete(message.ref.key)
      st.refs.delete(pid.key)
      perform(st, processDown(st.s, pid))
      return { state: st }
    }
    const parsed = parsePeerMessage(message, st.s.self.node)
    if (!parsed.ok) {
      st.log.warn('unexpected message dropped', { scope: st.s.scope, reason: parsed.reason, message: preview(message) })
      return { state: st }
    }
    const handle = peerHandlers[parsed.message.op] as (s: ScopeState, m: PeerMessage) => Effect[]
    perform(st, handle(st.s, parsed.message))
    return { state: st }
  },

  terminate (_reason, st) {
    st.cluster.removeEventListener('node:up', st.onNodeUp)
    st.s.view.clear()
  }
})

function isDown (message: unknown): message is DownMessage {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'DOWN' && (message as { ref?: unknown }).ref instanceof Ref
}

function checked (st: ServerState, req: { group: unknown, pids: unknown }): [string, Pid[]] {
  checkGroup(req.group)
  return [req.group, localPids(req.pids, st.s.self.node, st.s.self.creation)]
}

function attempt<T> (fn: () => T): Outcome<T> {
  try {
    return { ok: true, value: fn() }
  } catch (err) {
    return { ok: false, error: err as Error }
  }
}

/** Performs `effects` in order. A message that cannot be sent (too large a SYNC, say) is logged. */
function perform (st: ServerState, effects: readonly Effect[]): void {
  for (const e of effects) {
    switch (e.type) {
      case 'send':
        try {
          send(e.to, e.message, { node: st.cluster })
        } catch (err) {
          st.log.error('could not send a pg message', { scope: st.s.scope, to: String(e.to instanceof Pid ? e.to : e.to.node), err })
        }
        break
      case 'monitor':
        if (!st.refs.has(e.pid.key)) {
          const ref = monitor(e.pid)
          st.refs.set(e.pid.key, ref)
          st.byRef.set(ref.key, e.pid)
        }
        break
      case 'demonitor': {
        const ref = st.refs.get(e.pid.key)
        if (ref === undefined) break
        demonitor(ref, { flush: true })
        st.refs.delete(e.pid.key)
        st.byRef.delete(ref.key)
        break
      }
      case 'log':
        st.log[e.level](e.message, e.meta)
        break
    }
  }
}
