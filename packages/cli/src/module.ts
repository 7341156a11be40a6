/**
 * The `--module FILE.js` contract: what `gen-cluster start --module FILE.js` hosts instead of the
 * example cluster server.
 *
 * - `FILE.js` is an ES module whose **default export is a GenCluster** (`defineCluster` from
 *   `@gen-cluster/cluster`): a GenServer's callbacks plus any of `handleJoin`, `handleNodeJoined`,
 *   `handleLeave`, `handleTakeover`. Its type is {@link CliModule}.
 * - The CLI starts one member of it on its node, as `startMember(module, context, { node, cluster })`:
 *   **`init(context)` receives a {@link StartContext}** (the node, the cluster's name, the global
 *   registry, and a `log` that prints through the CLI).
 * - The CLI **narrates the member's cluster callbacks by itself**: each `handleJoin`, `handleNodeJoined`,
 *   `handleLeave` and `handleTakeover`, and a `name:conflict` over the cluster's name, is printed (or,
 *   with `--json`, emitted as `member:join`, `member:leave`, `name:takeover`, `name:conflict`) before
 *   the module's own callback runs. The module reports nothing for that.
 * - With `--json`, **stdout holds only the CLI's JSON events**: whatever the module writes to stdout
 *   (`console.log`, `process.stdout.write`) goes to stderr.
 *
 * @example
 * // counter.ts, compiled to counter.js and started with `gen-cluster start --name a --module counter.js`
 * import { defineCluster } from '@gen-cluster/cluster'
 * import type { CliModuleTypes } from '@gen-cluster/cli'
 *
 * interface Counter extends CliModuleTypes { state: { joins: number } }
 *
 * export default defineCluster<Counter>({
 *   init: (ctx) => { ctx.log(`counting the joins of cluster ${ctx.cluster}`); return { state: { joins: 0 } } },
 *   handleJoin: (_pid, _pidlist, s) => ({ state: { joins: s.joins + 1 } })
 * })
 */
import { pathToFileURL } from 'node:url'
import type { ServerTypes } from '@gen-cluster/core'
import type { ClusterNode, GenCluster, GlobalRegistry } from '@gen-cluster/cluster'
import { UsageError } from './args.js'

/** What a `--module` member's `init` receives. */
export interface StartContext {
  /** The cluster node this member runs on (`--name`). */
  readonly node: ClusterNode
  /** The cluster's name (`--cluster`, default `demo`); its holder holds the global name `gen_cluster:<cluster>`. */
  readonly cluster: string
  /** The node's global name registry (`startGlobal`), already running. */
  readonly registry: GlobalRegistry
  /**
   * Prints `text` through the CLI: a readable line on a terminal; with `--json`, the event
   * `{ event: 'module:log', text, ...fields }` on stdout.
   */
  log(text: string, fields?: Record<string, unknown>): void
}

/** The types of a `--module` GenCluster: any `ServerTypes` whose `init` argument is the {@link StartContext}. */
export interface CliModuleTypes extends ServerTypes {
  arg: StartContext
}

/**
 * What a `--module` file's default export must be: a GenCluster whose `init` takes a
 * {@link StartContext} (`defineCluster<T>(…)` with `T extends CliModuleTypes` returns one).
 */
export type CliModule<T extends CliModuleTypes = CliModuleTypes> = GenCluster<T>

/** Imports `file` and returns its default export, checked to be a GenCluster; throws `UsageError`. */
export async function loadModule (file: string): Promise<GenCluster<any>> {
  const mod = await import(pathToFileURL(file).href) as { default?: unknown }
  if (typeof mod.default !== 'object' || mod.default === null || typeof (mod.default as { init?: unknown }).init !== 'function') {
    throw new UsageError(`module ${file} has no GenCluster as its default export (an object with an init callback)`)
  }
  return mod.default as GenCluster<any>
}
