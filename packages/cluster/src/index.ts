/**
 * @packageDocumentation
 *
 * `@gen-cluster/cluster`: nodes that form a cluster over libp2p, so the core API (send, call, cast,
 * link, monitor, exit signals) works across OS processes and machines, as Erlang distribution does,
 * but encrypted (noise), admitted by a cluster secret (a pnet pre-shared key), and quick to notice a
 * silent node (phi-accrual heartbeats).
 *
 * @example
 * import { startNode } from '@gen-cluster/cluster'
 * import { call, start } from '@gen-cluster/core'
 *
 * const a = await startNode({ name: 'a', listen: '127.0.0.1:4001' })
 * const b = await startNode({ name: 'b', listen: '127.0.0.1:4002', seeds: ['127.0.0.1:4001'] })
 * await b.joined
 * const pid = await start(counter, 0, { node: a.core })
 * await call(pid, { type: 'get' })          // from anywhere: a pid names its node
 *
 * Wire protocol: `protocol.ts` and `docs/protocol.md`.
 */
import './node-check.js'
export { startNode, ClusterNode } from './cluster-node.js'
export type { ClusterNodeInit, NodeUpEvent, NodeDownEvent, JoiningEvent, NodeDownMessage } from './cluster-node.js'
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
