export { defineCluster, clusterName } from './gen-cluster.js'
export type { GenCluster, ClusterCallbacks, ClusterResult } from './gen-cluster.js'
export { startMember, startLinkMember, pidlist, leader, broadcast, multiCall, clusterOf } from './api.js'
export type { MemberInit, MemberResult, ClusterHandle } from './api.js'
