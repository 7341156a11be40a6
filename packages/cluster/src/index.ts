/**
 * @packageDocumentation
 * @module @gen-cluster/cluster
 *
 * `@gen-cluster/cluster`: nodes that form a cluster over libp2p, so the core API (send, call, cast,
 * link, monitor, exit signals, stop, getState, upgrade) works across OS processes and machines, as
 * Erlang distribution does, but encrypted (noise), admitted by a cluster secret (bound into the noise
 * handshake), and quick to notice a silent node (phi-accrual heartbeats). Also: the global registry
 * and locks (`startGlobal`), process groups (`startPg`), and the GenCluster behaviour (`startMember`).
 *
 * @example
 * import { startNode } from '@gen-cluster/cluster'
 * import { call, start } from '@gen-cluster/core'
 *
 * const a = await startNode({ name: 'a', listen: '127.0.0.1:4001' })
 * const b = await startNode({ name: 'b', listen: '127.0.0.1:4002', seeds: ['127.0.0.1:4001'] })
 * await b.joined
 * const pid = await start(counter, 0, { node: a })
 * await call(pid, { type: 'get' }, { node: b })   // outside a process: say which node calls
 *
 * Wire protocol: `protocol.ts` and `docs/protocol.md`.
 */
import './node-check.js'
export { startNode, ClusterNode } from './cluster-node.js'
export type { ClusterNodeInit, ClusterNodeEvents, NodeUpEvent, NodeDownEvent, JoiningEvent, RefusedEvent, NodeDownMessage } from './cluster-node.js'
export { TypedEventTarget } from './typed-events.js'
export type { TypedListener } from './typed-events.js'
export type { MembershipInit } from './membership.js'
export type { MemberInfo } from './protocol.js'
export { PROTOCOL, ProtocolError } from './protocol.js'
export { MemoryNetwork } from './memory-transport.js'
export type { MemoryNetworkInit } from './memory-transport.js'
export type { Transport, Link, TransportLimits } from './transport.js'
export { FailureDetector, failureDetectorDefaults } from './failure-detector.js'
export type { FailureDetectorInit } from './failure-detector.js'
export { clusterHome, normalizeNodeName, parseAddress } from './identity.js'
export * from './errors.js'
export { DecodeError, EncodeError } from './codec.js'
export * from './global/index.js'
export * from './pg/index.js'
export * from './gen-cluster/index.js'
export { Libp2pTransport } from './libp2p-transport.js'
