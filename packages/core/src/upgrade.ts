/**
 * Hot code upgrade: new code for a running server, without losing or reordering a message.
 *
 * `upgrade(server, next, extra)` puts a system request in the server's mailbox. When the server
 * reaches it (between two messages, so everything before it ran on the old code), `next.codeChange
 * (oldVersion, state, extra)` maps the state and the process carries on with `next`; messages that
 * arrive meanwhile wait in the mailbox, in order, as for any callback. If `codeChange` throws, the old
 * code and state keep serving and `upgrade` rejects with `CodeChangeError`.
 *
 * `upgradeAll` upgrades every server of one behaviour on a node at once; `loadBehaviour` imports a new
 * version from a module file at run time, so a running node picks up new code without a restart.
 */
import { pathToFileURL } from 'node:url'
import { InvalidBehaviourError } from './errors.js'
import type { GenServer, ServerRef, ServerTypes } from './gen-server.js'
import type { Pid } from './pid.js'
import { actingNode } from './realm.js'
import type { NodeOption } from './realm.js'
import { checkBehaviour } from './behaviour-check.js'
import { checkTimeout } from './call.js'
import { systemRequest } from './system.js'
import { ServerLoop } from './server-loop.js'
import type { AnyServer } from './server-loop.js'
import { checkBehaviourName } from './remote-start.js'

/** What an upgrade did: the versions before and after. */
export interface UpgradeResult {
  readonly from: string | undefined
  readonly to: string | undefined
}

/** Options of `upgrade`. */
export interface UpgradeOptions extends NodeOption {
  /** Passed to `codeChange` as `extra`. */
  extra?: unknown
  /** Milliseconds to wait for the server to reach the upgrade. @default 5000 */
  timeout?: number
}

/**
 * Upgrades a running server to `next`: a behaviour, or the name under which the server's node exposes
 * one (`exposeBehaviour`). A server on another node is upgraded to what *its* node exposes (code does
 * not cross the wire): pass the name, or a behaviour this node exposes under the same name. Refuses
 * something that is not a behaviour with `InvalidBehaviourError`, an unknown name with
 * `StartRefusedError`, before the server is touched.
 */
export async function upgrade<T extends ServerTypes> (server: ServerRef, next: GenServer<T> | string, opts: UpgradeOptions = {}): Promise<UpgradeResult> {
  if (typeof next === 'string') checkBehaviourName(next)
  else checkBehaviour(next)
  const timeout = checkTimeout('upgrade', opts.timeout ?? 5000)
  return await systemRequest(server, 'upgrade', { behaviour: next, extra: opts.extra }, timeout, opts.node) as UpgradeResult
}

/**
 * Upgrades, at once, every server on `node` that runs `current` (the same behaviour object) or whose
 * behaviour name is `current` (a string). Resolves with each server's outcome.
 */
export async function upgradeAll<T extends ServerTypes> (current: AnyServer | string, next: GenServer<T>, opts: UpgradeOptions = {}): Promise<Array<{ pid: Pid, result?: UpgradeResult, error?: Error }>> {
  checkBehaviour(next)
  const node = actingNode('upgradeAll', undefined, opts.node)
  const targets: Pid[] = []
  for (const proc of node.procs.values()) {
    const loop = proc.handler
    if (!(loop instanceof ServerLoop)) continue
    if (typeof current === 'string' ? (loop.behaviour.name ?? 'gen_server') === current : loop.behaviour === current) targets.push(proc.pid)
  }
  return await Promise.all(targets.map(async pid => {
    try {
      return { pid, result: await upgrade<T>(pid, next, { ...opts, node }) }
    } catch (err) {
      return { pid, error: err as Error }
    }
  }))
}

let generation = 0

/**
 * Imports a behaviour from a module file, fresh each time (a new version of the file is a new
 * module). `exportName` defaults to `default`. Old versions stay in memory, as ESM modules cannot
 * be unloaded, so this is for upgrades, not for reloading in a loop.
 */
export async function loadBehaviour<T extends ServerTypes = ServerTypes> (file: string, exportName = 'default'): Promise<GenServer<T>> {
  const url = `${pathToFileURL(file).href}?generation=${++generation}`
  const mod = await import(url) as Record<string, unknown>
  const behaviour = mod[exportName]
  if (behaviour === undefined) throw new InvalidBehaviourError(exportName, `is not exported by ${file}`)
  checkBehaviour(behaviour)
  return behaviour as GenServer<T>
}
