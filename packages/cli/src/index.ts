/**
 * @packageDocumentation
 * @module @gen-cluster/cli
 *
 * `@gen-cluster/cli`: the `gen-cluster` command (`gen-cluster start` runs a cluster node hosting a
 * GenCluster member and narrates its callbacks; `gen-cluster ctl` inspects a running cluster), and
 * what a module it hosts with `--module FILE.js` is written against:
 *
 * - {@link CliModule}: the type of the module's default export, a GenCluster;
 * - {@link StartContext}: what the module's `init` receives;
 * - `exampleClusterSrv`: the GenCluster it hosts without `--module`.
 *
 * The contract in full is in `module.ts`, and in `gen-cluster start --help`.
 */
import './node-check.js'
export type { CliModule, CliModuleTypes, StartContext } from './module.js'
export { exampleClusterSrv } from './example-cluster-srv.js'
export type { ClusterSrv, ClusterSrvArg, ClusterSrvConflict, ClusterSrvEvent, ClusterSrvInfo, ClusterCallbackName } from './example-cluster-srv.js'
