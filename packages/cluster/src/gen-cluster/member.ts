/**
 * The process of a GenCluster member: a GenServer that wraps the user's behaviour, keeps the
 * pidlist and the holder, and runs the join, leave, takeover and merge protocol described in
 * `gen-cluster.ts`. The user's state lives in `MemberState.user`; the user's results are mapped onto
 * the member state, so the core checks them exactly as for any GenServer.
 */
import { call, demonitor, monitor, self, send } from '@gen-cluster/core'
import type { Clock, CoreNode, DownMessage, GenServer, Logger, NameRegistry, Pid, Ref } from '@gen-cluster/core'
import { Pid as PidClass } from '@gen-cluster/core'
import { ClusterJoinError } from '../errors.js'
import type { GenCluster } from './gen-cluster.js'

export const JOIN = '$gen_cluster.join'
export const PIDLIST = '$gen_cluster.pidlist'
const JOINED = '$gen_cluster.joined'
const HOLDER = '$gen_cluster.holder'
const MERGE = '$gen_cluster.merge'
const SYNC = '$gen_cluster.sync'
const WATCH = '$gen_cluster.watch'
const TICK = '$gen_cluster.tick'
/**
 * Anti-entropy: every member that is not the holder sends the holder (as the registry names it) its
 * pidlist this often; the holder adopts what it lacks and answers with the full list. This repairs
 * what no name clash reveals: a link between two nodes that went down and up while both kept their
 * other links (each side dropped the other's members, and nobody took the name over).
 */
const ANTI_ENTROPY_MS = 1000
const JOIN_NOW = Symbol('join')
/** Registration attempts of one claim (about 0.3 s of backoff between them, at most). */
const CLAIM_ATTEMPTS = 10
/** How long a member waits for a link to the node of a member it learnt of, before counting it gone. */
const WATCH_WAIT_MS = 5000

export interface MemberOptions {
  /** The member's node: timers send through it (they run outside any process). */
  readonly node: CoreNode
  readonly cluster: string
  readonly name: string
  readonly registry: NameRegistry
  readonly clock: Clock
  readonly log: Logger
  readonly joinTimeoutMs: number
  readonly joinRetries: number
  /** True if this node is connected to `node` (or is `node`). */
  readonly isConnected: (node: string) => boolean
}

export interface MemberState {
  user: unknown
  me: Pid
  pidlist: Pid[]
  /** The holder as this member knows it (after a takeover, the expected successor until it confirms). */
  holder: Pid | undefined
  /** The last holder this member knows for sure held the name (the `previousHolder` of a takeover). */
  confirmed: Pid | undefined
  /** A takeover whose claim has not gone through yet (anti-entropy retries it; handleTakeover runs once it does). */
  pendingTakeover?: { readonly previous: Pid | undefined }
  readonly refs: Map<string, Ref>
}

type Fn = (...args: any[]) => unknown
const has = (list: readonly Pid[], pid: Pid): boolean => list.some(p => p.equals(pid))
const samePidlist = (a: readonly Pid[], b: readonly Pid[]): boolean => a.length === b.length && a.every((p, i) => p.equals(b[i]))
const isPidList = (v: unknown): v is Pid[] => Array.isArray(v) && v.length <= 100_000 && v.every(p => p instanceof PidClass)

/** Builds the GenServer that runs `user` as a member of `opts.cluster`. */
export function memberBehaviour (user: GenCluster<any>, opts: MemberOptions): GenServer<any> {
  const { cluster, name, registry, clock, log } = opts
  const sleep = async (ms: number): Promise<void> => { await new Promise<void>(resolve => { clock.setTimeout(resolve, ms) }) }

  /** Runs a cluster callback of the user and stores its state. */
  const cb = async (ms: MemberState, which: 'handleJoin' | 'handleNodeJoined' | 'handleLeave' | 'handleTakeover', ...args: unknown[]): Promise<void> => {
    const fn = user[which] as Fn | undefined
    if (fn === undefined) return
    const r = await fn.call(user, ...args, ms.user) as { state?: unknown }
    if (typeof r !== 'object' || r === null || !('state' in r)) throw new TypeError(`${which} must return { state }, got ${String(r)}`)
    ms.user = r.state
  }

  /**
   * Monitors a member. One on a node this node has no link to yet (a merge after a partition can
   * arrive before the mesh is whole again) is monitored once the link is up, or counted gone after
   * WATCH_WAIT_MS; until then it is in the pidlist but unwatched.
   */
  const watch = (ms: MemberState, pid: Pid, since = clock.now()): void => {
    if (pid.equals(ms.me) || ms.refs.has(pid.key) || laterIfUnlinked(ms, pid.node, since, { type: WATCH, cluster, pid })) return
    ms.refs.set(pid.key, monitor(pid))
    // A SYNC sent while its node was unreachable was dropped: the holder sends it again now.
    if (since < clock.now() && ms.holder?.equals(ms.me) === true) send(pid, { type: SYNC, cluster, holder: ms.me, pidlist: [...ms.pidlist] })
  }

  /**
   * True if `node` is not linked to this one yet (a merge or a join can arrive before the mesh is
   * whole) and it has been so for less than WATCH_WAIT_MS since `since`: then `message`, stamped
   * with `since`, comes back to this member shortly, to be tried again.
   */
  const laterIfUnlinked = (ms: MemberState, node: string, since: number, message: Record<string, unknown>): boolean => {
    if (opts.isConnected(node) || clock.now() - since > WATCH_WAIT_MS) return false
    const me = ms.me
    const again = { ...message, since }
    clock.setTimeout(() => { opts.node.send(me, again, undefined) }, 20)
    return true
  }

  const join = async (ms: MemberState): Promise<void> => {
    let delay = 10
    for (let attempt = 0; attempt <= opts.joinRetries; attempt++) {
      try {
        if (await registry.registerName(name, ms.me)) {
          ms.holder = ms.confirmed = ms.me
          ms.pidlist = [ms.me]
          return
        }
        const holder = registry.whereisName(name)
        if (holder !== undefined && !holder.equals(ms.me)) {
          const res = await call(holder, { type: JOIN, cluster, pid: ms.me }, opts.joinTimeoutMs) as { pidlist?: unknown }
          if (isPidList(res?.pidlist) && has(res.pidlist, ms.me)) {
            ms.holder = ms.confirmed = holder
            ms.pidlist = [...res.pidlist]
            for (const p of ms.pidlist) watch(ms, p)
            return
          }
        }
      } catch (err) {
        log.debug(`join of ${cluster} through its holder failed, retrying`, { error: (err as Error).message })
      }
      await sleep(delay)
      delay = Math.min(delay * 2, 500)
    }
    throw new ClusterJoinError(cluster, opts.joinRetries + 1)
  }

  /**
   * Takes the cluster name for this member, or, if another member elsewhere holds it, merges into it.
   * The registry may still name `left` (the holder that just left: its DROP not in yet), so it is not
   * merged into, unless `leftMayLive` (it left by `noconnection`: its node was cut off, not proven
   * dead, and a registry naming it again sees its node connected in the same run). A few attempts
   * only, so the member's mailbox is not held up: anti-entropy (TICK) goes on from there.
   */
  const claim = async (ms: MemberState, previous: Pid | undefined, onTaken: boolean, left?: Pid, leftMayLive = false): Promise<void> => {
    for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
      try {
        if (await registry.registerName(name, ms.me)) {
          ms.holder = ms.confirmed = ms.me
          ms.pendingTakeover = undefined
          if (onTaken) await cb(ms, 'handleTakeover', previous, [...ms.pidlist])
          for (const p of ms.pidlist) if (!p.equals(ms.me)) send(p, { type: HOLDER, cluster, holder: ms.me })
          return
        }
      } catch (err) {
        log.debug('registration of the cluster name failed, retrying', { error: (err as Error).message })
      }
      const other = registry.whereisName(name)
      if (other !== undefined && (left === undefined || leftMayLive || !other.equals(left)) && !other.equals(ms.me)) {
        // Another holder exists (the other side of a partition): merge into it.
        ms.holder = ms.confirmed = other
        ms.pendingTakeover = undefined
        send(other, { type: MERGE, cluster, pidlist: [...ms.pidlist], from: ms.me })
        return
      }
      await sleep(Math.min(5 * (attempt + 1), 100))
    }
    if (onTaken) ms.pendingTakeover = { previous }
    log.warn(`could not take over the name of cluster ${cluster} yet; retrying at the next anti-entropy round`)
  }

  /** The holder left: the first of the pidlist (the longest-standing member) takes the name over. */
  const takeover = async (ms: MemberState, left: Pid, reason: unknown): Promise<void> => {
    const successor = ms.pidlist[0]
    ms.holder = successor
    const previous = ms.confirmed ?? left
    if (successor !== undefined && successor.equals(ms.me)) await claim(ms, previous, true, left, reason === 'noconnection')
  }

  /** Adds members not seen yet (a join announced by the holder, or a merge), each with handleNodeJoined. */
  const adopt = async (ms: MemberState, pids: Pid[]): Promise<void> => {
    for (const p of pids) {
      if (p.equals(ms.me) || has(ms.pidlist, p)) continue
      // A member on a node this node cannot reach (now) is left for a later round of anti-entropy:
      // adopting it would only make it leave again, and a dead one would come back forever.
      if (!opts.isConnected(p.node)) continue
      ms.pidlist.push(p)
      watch(ms, p)
      await cb(ms, 'handleNodeJoined', p, [...ms.pidlist])
    }
  }

  /**
   * If the registry names this member as the holder, it takes that role (telling the members, who
   * adopt it and its order) and returns true.
   */
  const ownsName = (ms: MemberState): boolean => {
    if (registry.whereisName(name)?.equals(ms.me) !== true) return false
    ms.holder = ms.confirmed = ms.me
    // The holder is first of the pidlist, as after a join or a takeover.
    ms.pidlist = [ms.me, ...ms.pidlist.filter(p => !p.equals(ms.me))]
    const sync = { type: SYNC, cluster, holder: ms.me, pidlist: [...ms.pidlist] }
    for (const p of ms.pidlist) if (!p.equals(ms.me)) send(p, sync)
    return true
  }

  const internal = async (m: Record<string, unknown>, ms: MemberState): Promise<void> => {
    const fromHolder = (h: unknown): h is Pid => h instanceof PidClass && (ms.holder?.equals(h) === true || registry.whereisName(name)?.equals(h) === true)
    switch (m.type) {
      case WATCH:
        if (m.pid instanceof PidClass && typeof m.since === 'number' && has(ms.pidlist, m.pid)) watch(ms, m.pid, m.since)
        return
      case JOINED: {
        if (!(m.pid instanceof PidClass) || !fromHolder(m.holder)) return
        // The joiner's node may not be linked to this one yet: wait for the link, as `watch` does,
        // rather than leave the join to anti-entropy.
        if (laterIfUnlinked(ms, m.pid.node, typeof m.since === 'number' ? m.since : clock.now(), m)) return
        await adopt(ms, [m.pid])
        return
      }
      case HOLDER:
        if (fromHolder(m.holder)) ms.holder = ms.confirmed = m.holder
        return
      case MERGE: {
        if (!isPidList(m.pidlist)) break
        // Not (or no longer) the holder: the sender retries at its next tick. Unless the registry names
        // this member: then it is the holder, though it had taken another for it (a merge it made crossed
        // the registry settling the clash its way).
        if (ms.holder?.equals(ms.me) !== true && !ownsName(ms)) return
        const before = ms.pidlist.length
        await adopt(ms, m.pidlist)
        const sync = { type: SYNC, cluster, holder: ms.me, pidlist: [...ms.pidlist] }
        if (ms.pidlist.length !== before) {
          for (const p of ms.pidlist) if (!p.equals(ms.me)) send(p, sync)
        } else if (m.from instanceof PidClass && !samePidlist(m.pidlist, ms.pidlist)) {
          send(m.from, sync)
        }
        return
      }
      case TICK: {
        clock.setTimeout(() => { opts.node.send(ms.me, { type: TICK, cluster }, undefined) }, ANTI_ENTROPY_MS)
        const holder = registry.whereisName(name)
        if (holder === undefined) {
          // Nobody holds the name as this node's registry sees it: the member that thinks it holds it
          // registers it again (which also repairs a registry that lost it; false if it is held), and
          // so does the first of the pidlist: the holder it last heard of may have died unwatched (it
          // learnt of it from the registry while the two were cut off, and never joined its list).
          const pending = ms.pendingTakeover
          if (ms.holder?.equals(ms.me) === true || ms.pidlist[0]?.equals(ms.me) === true) await claim(ms, pending?.previous, pending !== undefined)
          else ms.pendingTakeover = undefined
          return
        }
        const pending = ms.pendingTakeover
        ms.pendingTakeover = undefined
        if (holder.equals(ms.me)) {
          if (ms.holder?.equals(ms.me) !== true) ownsName(ms)
          // A claim that timed out went through after all: the takeover is done.
          if (pending !== undefined) await cb(ms, 'handleTakeover', pending.previous, [...ms.pidlist])
          return
        }
        ms.holder = ms.confirmed = holder
        send(holder, { type: MERGE, cluster, pidlist: [...ms.pidlist], from: ms.me })
        return
      }
      case SYNC: {
        // From the holder the registry kept after a heal: the registry here may not have settled yet,
        // so a SYNC that lists its sender and this member is taken (a later settlement merges again).
        if (!isPidList(m.pidlist) || !(m.holder instanceof PidClass) || !has(m.pidlist, m.holder) || !has(m.pidlist, ms.me)) break
        ms.holder = ms.confirmed = m.holder
        await adopt(ms, m.pidlist)
        // Take the holder's order, so every member's pidlist ends identical.
        const known = new Set(ms.pidlist.map(p => p.key))
        const ordered = m.pidlist.filter(p => known.has(p.key))
        const rest = ms.pidlist.filter(p => !has(ordered, p))
        ms.pidlist = [...ordered, ...rest]
        return
      }
    }
    log.warn('dropped a cluster message of unknown shape or from a non-member', { cluster, type: String(m.type) })
  }

  const onDown = async (m: DownMessage, ms: MemberState): Promise<boolean> => {
    if (!(m.pid instanceof PidClass)) return false
    const ref = ms.refs.get(m.pid.key)
    if (ref === undefined || !ref.equals(m.ref)) return false
    ms.refs.delete(m.pid.key)
    ms.pidlist = ms.pidlist.filter(p => !p.equals(m.pid as Pid))
    await cb(ms, 'handleLeave', m.pid, [...ms.pidlist], m.reason)
    if (ms.holder?.equals(m.pid) === true) await takeover(ms, m.pid, m.reason)
    return true
  }

  /** The registry settled a clash over the cluster name against this member (after a partition healed). */
  const onConflict = async (m: { name?: unknown, kept?: unknown }, ms: MemberState): Promise<boolean> => {
    if (m.name !== name) return false
    if (m.kept instanceof PidClass) {
      ms.holder = ms.confirmed = m.kept
      send(m.kept, { type: MERGE, cluster, pidlist: [...ms.pidlist], from: ms.me })
    } else {
      // Both holders lost the name: each claims it again; one wins, the other merges into it.
      ms.holder = undefined
      await claim(ms, undefined, false)
    }
    return true
  }

  /** Maps a user result onto the member state. */
  const lift = (ms: MemberState, r: unknown): unknown => {
    const map = (x: unknown): unknown => {
      if (typeof x !== 'object' || x === null || !('state' in x)) return x
      const res = x as Record<string, unknown>
      ms.user = res.state
      const out: Record<string, unknown> = { ...res, state: ms }
      if (res.continue !== undefined) out.continue = { user: res.continue }
      return out
    }
    return r instanceof Promise ? r.then(map) : map(r)
  }

  const table = (t: Record<string, Fn> | undefined, extra: Record<string, Fn>): Record<string, Fn> => {
    const out: Record<string, Fn> = { ...extra }
    for (const [k, fn] of Object.entries(t ?? {})) {
      out[k] = (msg: unknown, ...rest: unknown[]) => {
        const ms = rest[rest.length - 1] as MemberState
        return lift(ms, fn.call(user, msg, ...rest.slice(0, -1), ms.user))
      }
    }
    return out
  }

  return {
    name: user.name ?? 'gen_cluster',
    version: user.version,
    init: async (arg: unknown) => {
      const r = await (user.init as Fn).call(user, arg) as Record<string, unknown>
      if (typeof r !== 'object' || r === null || !('state' in r) || 'stop' in r) return r as never
      const ms: MemberState = { user: r.state, me: self(), pidlist: [], holder: undefined, confirmed: undefined, refs: new Map() }
      return { state: ms, continue: { [JOIN_NOW]: true, user: r.continue } }
    },
    handleCall: table(user.handleCall as Record<string, Fn> | undefined, {
      [PIDLIST]: (_r: unknown, _f: unknown, ms: MemberState) => ({ reply: [...ms.pidlist], state: ms }),
      [JOIN]: async (req: { cluster?: unknown, pid?: unknown }, _f: unknown, ms: MemberState) => {
        if (req.cluster !== cluster || !(req.pid instanceof PidClass) || ms.holder?.equals(ms.me) !== true) {
          return { reply: { notHolder: true }, state: ms }
        }
        const pid = req.pid
        if (!has(ms.pidlist, pid)) {
          ms.pidlist.push(pid)
          watch(ms, pid)
          await cb(ms, 'handleJoin', pid, [...ms.pidlist])
          for (const p of ms.pidlist) if (!p.equals(ms.me) && !p.equals(pid)) send(p, { type: JOINED, cluster, pid, holder: ms.me })
        }
        return { reply: { pidlist: [...ms.pidlist] }, state: ms }
      }
    }),
    handleCast: table(user.handleCast as Record<string, Fn> | undefined, {}),
    handleInfo: async (m: any, ms: MemberState) => {
      if (typeof m === 'object' && m !== null) {
        if (typeof m.type === 'string' && m.type.startsWith('$gen_cluster.') && m.cluster === cluster) {
          await internal(m, ms)
          return { state: ms }
        }
        if (m.type === 'DOWN' && await onDown(m as DownMessage, ms)) return { state: ms }
        // The clash is handled here (merge), then shown to the user's handleInfo too, if any.
        if (m.type === 'name:conflict' && await onConflict(m, ms) && user.handleInfo === undefined) return { state: ms }
      }
      const handleInfo = user.handleInfo as Fn | undefined
      if (handleInfo === undefined) return { state: ms }
      return await lift(ms, handleInfo.call(user, m, ms.user))
    },
    handleContinue: async (c: Record<string | symbol, unknown>, ms: MemberState) => {
      if (c[JOIN_NOW] === true) {
        await join(ms)
        const me = ms.me
        clock.setTimeout(() => { opts.node.send(me, { type: TICK, cluster }, undefined) }, ANTI_ENTROPY_MS)
      }
      if (c.user === undefined) return { state: ms }
      return await lift(ms, (user.handleContinue as Fn).call(user, c.user, ms.user))
    },
    terminate: (reason: unknown, ms: MemberState) => {
      for (const ref of ms.refs.values()) demonitor(ref)
      return (user.terminate as Fn | undefined)?.call(user, reason, ms.user)
    },
    codeChange: async (old: unknown, ms: MemberState, extra: unknown) => {
      if (user.codeChange !== undefined) ms.user = await (user.codeChange as Fn).call(user, old, ms.user, extra)
      return ms
    }
  } as unknown as GenServer<any>
}
