/**
 * The {@link Pg} a caller holds: reads straight from the scope's view table, and calls the scope's
 * server for everything that changes it. Arguments are checked here, before any message is sent.
 */
import { call, NoProcError, Pid, self, stop } from '@gen-cluster/core'
import type { CoreNode, Named, Ref, ServerPid, ServerTypes } from '@gen-cluster/core'
import { InvalidOptionError } from '../errors.js'
import { checkGroup, localPids } from './checks.js'
import { scopeProcessName } from './messages.js'
import type { Pg, PgCallOptions, PgMonitorOptions } from './pg.js'
import type { Outcome, PgServer } from './server.js'
import { membersOf } from './state.js'
import type { ViewTable } from './state.js'

export class PgScope implements Pg {
  readonly scope: string
  readonly pid: ServerPid<PgServer>
  readonly #core: CoreNode
  readonly #view: ViewTable

  constructor (core: CoreNode, scope: string, pid: ServerPid<PgServer>, view: ViewTable) {
    this.#core = core
    this.scope = scope
    this.pid = pid
    this.#view = view
  }

  async join (group: string, pids: Pid | readonly Pid[], opts: PgCallOptions = {}): Promise<void> {
    checkGroup(group)
    const list = localPids(pids, this.#core.name, this.#core.creation)
    unwrap(await call(this.pid, { type: 'join', group, pids: list }, { timeout: Infinity, signal: opts.signal }))
  }

  async leave (group: string, pids: Pid | readonly Pid[], opts: PgCallOptions = {}): Promise<boolean> {
    checkGroup(group)
    const list = localPids(pids, this.#core.name, this.#core.creation)
    return unwrap(await call(this.pid, { type: 'leave', group, pids: list }, { timeout: Infinity, signal: opts.signal }))
  }

  members<T extends ServerTypes> (group: Named<T>): ReadonlyArray<ServerPid<T>>
  members (group: string): readonly Pid[]
  members (group: string): readonly Pid[] {
    checkGroup(group)
    this.#running()
    return membersOf(this.#view, group, 'all')
  }

  localMembers<T extends ServerTypes> (group: Named<T>): ReadonlyArray<ServerPid<T>>
  localMembers (group: string): readonly Pid[]
  localMembers (group: string): readonly Pid[] {
    checkGroup(group)
    this.#running()
    return membersOf(this.#view, group, 'local')
  }

  whichGroups (): string[] {
    this.#running()
    return [...this.#view.keys()].sort()
  }

  whichLocalGroups (): string[] {
    this.#running()
    return [...this.#view.keys()].filter(g => membersOf(this.#view, g, 'local').length > 0).sort()
  }

  async monitorGroup (group: string, opts: PgMonitorOptions = {}): Promise<{ ref: Ref, members: readonly Pid[] }> {
    checkGroup(group)
    const { ref, groups } = await this.#monitor(group, opts)
    return { ref, members: groups[0]?.[1] ?? [] }
  }

  async monitorScope (opts: PgMonitorOptions = {}): Promise<{ ref: Ref, groups: Map<string, readonly Pid[]> }> {
    const { ref, groups } = await this.#monitor(undefined, opts)
    return { ref, groups: new Map(groups) }
  }

  async demonitorGroup (ref: Ref, opts: PgCallOptions = {}): Promise<boolean> {
    return await call(this.pid, { type: 'demonitor', ref }, { timeout: Infinity, signal: opts.signal })
  }

  async stop (): Promise<void> {
    if (this.#core.lookup(this.pid) !== undefined) await stop(this.pid, 'shutdown')
  }

  async #monitor (group: string | undefined, opts: PgMonitorOptions): Promise<{ ref: Ref, groups: Array<[string, readonly Pid[]]> }> {
    if (opts.watcher !== undefined && !(opts.watcher instanceof Pid)) throw new InvalidOptionError('watcher', 'expected a Pid')
    const watcher = opts.watcher ?? self()
    return unwrap(await call(this.pid, { type: 'monitor', group, watcher }, { timeout: Infinity, signal: opts.signal }))
  }

  /** Reads of a stopped scope throw, as reads of a dead scope's table do in Erlang. */
  #running (): void {
    if (this.#core.lookup(this.pid) === undefined) throw new NoProcError(JSON.stringify(scopeProcessName(this.scope)))
  }
}

function unwrap<T> (outcome: Outcome<T>): T {
  if (!outcome.ok) throw outcome.error
  return outcome.value
}
