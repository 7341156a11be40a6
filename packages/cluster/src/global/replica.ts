/**
 * One node's replica of the global table, and its duties as the owner of local pids: it monitors
 * them while they hold a name, and when a registration of its own ends it tells every node (DROP).
 * Messages: `protocol.ts`. Every change of the table goes through `#put`, which keeps the monitors
 * in step with the table.
 */
import type { Logger, Pid, Ref } from '@gen-cluster/core'
import type { Effects } from './effects.js'
import { SYNC_CHUNK } from './protocol.js'
import type { CommitAck } from './protocol.js'
import { resolveConflict } from './resolve.js'
import type { Resolver } from './resolve.js'
import { Table, toWire } from './table.js'
import type { Entry } from './table.js'

export class Replica {
  readonly table = new Table()
  readonly #fx: Effects
  readonly #resolver: Resolver
  readonly #log: Logger
  /** Monitors on the local pids of the table: by name, and the name by monitor. */
  readonly #watch = new Map<string, { readonly ref: Ref, readonly pid: Pid }>()
  readonly #byRef = new Map<string, string>()
  /**
   * A remote registration a clash here dropped in favour of another remote one: if the kept one is
   * then dropped or aborted (its owner's commit was still under way when it announced it in a SYNC),
   * or forgotten (its node went down), the owner of the displaced one is asked to confirm it again
   * (CHECK), as no SYNC would bring it back.
   */
  readonly #displaced = new Map<string, { readonly kept: Pid, readonly lost: Entry }>()
  /**
   * Fresh registrations this node coordinates, while their commit is under way (kept by the
   * coordinator). One of them yields, without a clash, to another pid's registration a SYNC brings:
   * that one is established (its owner holds it), while this one may only have been committed here
   * before this node learnt the table (a node that just joined, coordinating its own registration).
   */
  readonly #committing = new Map<string, Pid>()
  /** The names of a complete SYNC being received, by sender, until its last part. */
  readonly #listed = new Map<string, Set<string>>()

  constructor (fx: Effects, resolver: Resolver) {
    this.#fx = fx
    this.#resolver = resolver
    this.#log = fx.log
  }

  /** The registration of `name`, if its pid is of this node or of a connected node's current run. */
  lookup (name: string): Entry | undefined {
    const e = this.table.get(name)
    return e !== undefined && this.#fx.reachable(e.pid) ? e : undefined
  }

  /**
   * COMMIT from a coordinator (or the coordinator's own replica, first). With `replace`
   * (`reRegisterName`) it takes the place of another pid's registration; a local old pid's monitor
   * goes with it, and no DROP follows for it.
   */
  commit (e: Entry, replace = false): CommitAck {
    const place = this.#fx.placeOf(e.pid)
    if (place === 'stale') return 'noproc'
    // A pid of a node not connected here cannot be held here; this node learns it by SYNC if they meet.
    if (place === 'disconnected') return 'ok'
    const held = this.lookup(e.name)
    if (held !== undefined && !held.pid.equals(e.pid) && !replace) return { held: held.pid, at: held.at }
    if (place === 'local' && !this.#fx.alive(e.pid)) return 'noproc'
    this.#put(e.name, e)
    return 'ok'
  }

  /** ABORT: a commit of `name` → `pid` did not go through. */
  abort (name: string, pid: Pid): void {
    if (this.table.get(name)?.pid.equals(pid) === true) {
      this.#put(name, undefined)
      this.#recheck(name, pid)
    }
    // The owner may have announced it in a SYNC meanwhile: its DROP follows on the same links.
    if (this.#fx.isLocal(pid)) void this.#tellDrop(name, pid)
  }

  /** DROP from the owner of `pid`. */
  dropped (name: string, pid: Pid): void {
    if (this.#fx.isLocal(pid)) return // only this node decides about its own pids
    if (this.table.get(name)?.pid.equals(pid) === true) {
      this.#put(name, undefined)
      this.#recheck(name, pid)
    }
  }

  /** `name` → `pid` was dropped here: the registration a clash displaced for it, if any, is checked again. */
  #recheck (name: string, pid: Pid): void {
    const d = this.#displaced.get(name)
    if (d === undefined || !d.kept.equals(pid)) return
    this.#displaced.delete(name)
    if (this.#fx.reachable(d.lost.pid) && !this.#fx.isLocal(d.lost.pid)) this.#fx.cast(d.lost.pid.node, { type: 'check', name, pid: d.lost.pid })
  }

  /** The owner ends its registration of `name` → `pid`; resolves once every node has acked the DROP. */
  async release (name: string, pid: Pid): Promise<void> {
    if (this.table.get(name)?.pid.equals(pid) === true) this.#put(name, undefined)
    await this.#tellDrop(name, pid)
  }

  /** Ends every registration this node owns (the registry is stopping). */
  releaseAll (): void {
    for (const e of this.table.filter(e => this.#fx.isLocal(e.pid))) void this.release(e.name, e.pid)
  }

  /** A monitored local pid ended. */
  down (ref: Ref): void {
    const name = this.#byRef.get(ref.key)
    if (name === undefined) return
    const w = this.#watch.get(name)
    this.#byRef.delete(ref.key)
    this.#watch.delete(name)
    if (w !== undefined && this.table.get(name)?.pid.equals(w.pid) === true) {
      this.table.delete(name)
      void this.#tellDrop(name, w.pid)
    }
  }

  /** CHECK: a commit found `name` → `pid` (ours) on some node; confirm it everywhere, or drop it. */
  check (name: string, pid: Pid): void {
    if (!this.#fx.isLocal(pid)) return
    const e = this.lookup(name)
    if (e !== undefined && e.pid.equals(pid)) for (const node of this.#fx.view()) this.#sync(node, [e], false)
    else void this.#tellDrop(name, pid)
  }

  /** This node, as coordinator, starts committing a fresh registration of `name` → `pid`. */
  beginCommit (name: string, pid: Pid): void {
    this.#committing.set(name, pid)
  }

  /** The commit of `name` → `pid` ended (done or not). */
  endCommit (name: string, pid: Pid): void {
    if (this.#committing.get(name)?.equals(pid) === true) this.#committing.delete(name)
  }

  /**
   * SYNC from `from`: the registrations it owns; `part` of a complete list of them, if given (after
   * its last part, `from` is asked to confirm or drop each of its entries here it did not name).
   */
  merge (from: string, entries: readonly Entry[], part?: { readonly part: number, readonly parts: number }): void {
    if (part?.part === 0) this.#listed.set(from, new Set())
    const listed = part === undefined ? undefined : this.#listed.get(from)
    for (const e of entries) {
      listed?.add(e.name)
      if (e.pid.node !== from) {
        this.#log.warn('SYNC entry for a pid of another node ignored', { from, name: e.name, pid: e.pid.toString() })
        continue
      }
      if (!this.#fx.reachable(e.pid)) continue
      const held = this.lookup(e.name)
      if (held === undefined) this.#put(e.name, e)
      else if (held.pid.equals(e.pid)) continue
      else if (this.#committing.get(e.name)?.equals(held.pid) === true) this.#put(e.name, e)
      else this.#settle(held, e)
    }
    if (part === undefined || part.part !== part.parts - 1) return
    this.#listed.delete(from)
    if (listed === undefined) return // a part went missing (the link went down meanwhile): a new list follows
    // Not dropped at once: a commit may have reached this node after the list left its sender. The
    // owner confirms each (SYNC) or drops it everywhere it is connected, this node included now.
    for (const e of this.table.filter(e => e.pid.node === from && !listed.has(e.name) && this.#fx.reachable(e.pid))) {
      this.#fx.cast(from, { type: 'check', name: e.name, pid: e.pid })
    }
  }

  /** CONFLICT: another node dropped our registration of `other.name` by `yours` for clashing with `other`. */
  conflict (yours: Pid, other: Entry): void {
    const own = this.lookup(other.name)
    if (own === undefined || !own.pid.equals(yours) || !this.#fx.isLocal(yours) || !this.#fx.reachable(other.pid)) return
    this.#settle(own, other)
  }

  /** Forgets the entries of `node` that are not of its current, connected run (after node-down or a restart). */
  forget (node: string): void {
    this.#listed.delete(node)
    for (const e of this.table.filter(e => e.pid.node === node && !this.#fx.reachable(e.pid))) {
      this.#put(e.name, undefined)
      this.#recheck(e.name, e.pid)
    }
  }

  /** Sends `node` the complete list of the registrations this node owns; with `ask`, it answers with its own. */
  syncTo (node: string, ask: boolean): void {
    // Not a registration this node is still committing: the peer would take it for an established
    // one, and a clash there could displace the registration that the commit is about to find.
    // It is announced once its commit is done (CHECK).
    const own = this.table.filter(e => this.#fx.isLocal(e.pid) && this.#committing.get(e.name)?.equals(e.pid) !== true)
    const parts = Math.max(1, Math.ceil(own.length / SYNC_CHUNK))
    for (let part = 0; part < parts; part++) {
      this.#sync(node, own.slice(part * SYNC_CHUNK, (part + 1) * SYNC_CHUNK), ask && part === 0, { part, parts })
    }
  }

  /** The names held by reachable pids, sorted. */
  names (): string[] {
    return this.table.filter(e => this.#fx.reachable(e.pid)).map(e => e.name).sort()
  }

  #settle (x: Entry, y: Entry): void {
    const fx = this.#fx
    const r = resolveConflict(x, y, this.#resolver, pid => fx.isLocal(pid))
    if (r.error !== undefined) this.#log.error('the name resolver failed; kept the earlier registration', { name: x.name, err: r.error })
    this.#put(x.name, r.kept)
    const lostRemote = r.lost.find(e => !fx.isLocal(e.pid))
    if (r.kept !== undefined && !fx.isLocal(r.kept.pid) && lostRemote !== undefined) this.#displaced.set(x.name, { kept: r.kept.pid, lost: lostRemote })
    else this.#displaced.delete(x.name)
    for (const lost of r.lost) {
      const other = lost === x ? y : x
      if (fx.isLocal(lost.pid)) void this.#tellDrop(lost.name, lost.pid)
      else fx.cast(lost.pid.node, { type: 'conflict', name: lost.name, yours: lost.pid, pid: other.pid, at: other.at })
    }
    for (const a of r.actions) {
      if (a.kind === 'notify') fx.notify(a.pid, a.message)
      else fx.exit(a.pid, a.reason)
    }
    this.#log.info('name clash settled', { name: x.name, kept: r.kept?.pid.toString(), lost: r.lost.map(e => e.pid.toString()) })
  }

  #put (name: string, e: Entry | undefined): void {
    const w = this.#watch.get(name)
    if (w !== undefined && e?.pid.equals(w.pid) !== true) {
      this.#fx.demonitor(w.ref)
      this.#watch.delete(name)
      this.#byRef.delete(w.ref.key)
    }
    if (e === undefined) {
      this.table.delete(name)
      return
    }
    if (this.#fx.isLocal(e.pid) && !this.#watch.has(name)) {
      const ref = this.#fx.monitor(e.pid)
      this.#watch.set(name, { ref, pid: e.pid })
      this.#byRef.set(ref.key, name)
    }
    this.table.set(e)
  }

  #sync (node: string, entries: readonly Entry[], ask: boolean, part?: { part: number, parts: number }): void {
    this.#fx.cast(node, { type: 'sync', node: this.#fx.name, entries: entries.map(toWire), ask, ...part })
  }

  async #tellDrop (name: string, pid: Pid): Promise<void> {
    await this.#fx.callAll(this.#fx.view(), { type: 'drop', name, pid })
  }
}
