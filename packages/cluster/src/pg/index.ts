/**
 * Process groups (Erlang's `pg`) for cluster nodes. Contract, API table and protocol: `pg.ts`.
 *
 * @example
 * import { startPg } from '@gen-cluster/cluster'
 *
 * const pg = await startPg(node)                     // on every node that takes part
 * await pg.join('workers', pid)                      // pid: a process of this node
 * pg.members('workers')                              // every node's workers, no message sent
 * const { ref, members } = await pg.monitorGroup('workers')   // then { type: 'pg:join' | 'pg:leave', ... }
 */
export { startPg, groupName, DEFAULT_PG_SCOPE } from './pg.js'
export type { Pg, PgInit, PgCallOptions, PgMonitorOptions } from './pg.js'
export type { GroupChangeMessage } from './messages.js'
export { scopeProcessName, PG_VERSION } from './messages.js'
