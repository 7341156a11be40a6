/**
 * The core's `Distribution`, over the cluster's peers: each operation becomes one frame on the
 * link to the target's node. The core calls these only for connected nodes.
 */
import { Pid } from '@gen-cluster/core'
import type { CallTag, Distribution, DistributionHost, ExitReason, Ref, RemoteName, RemoteStartOptions, SystemKind } from '@gen-cluster/core'
import { Op } from './protocol.js'
import type { Peer } from './peer.js'

export class ClusterDistribution implements Distribution {
  readonly peers = new Map<string, Peer>()
  host: DistributionHost | undefined

  attach (host: DistributionHost): void {
    this.host = host
  }

  isConnected (node: string): boolean {
    return this.peers.has(node)
  }

  #peer (node: string): Peer | undefined {
    return this.peers.get(node)
  }

  connectedNodes (): string[] {
    return [...this.peers.values()].filter(p => !p.hello.hidden).map(p => p.name).sort()
  }

  system (to: Pid | RemoteName, kind: SystemKind, arg: unknown, tag: CallTag): void {
    this.#peer(to.node)?.send({ op: Op.System, to: to instanceof Pid ? to : to.name, kind, arg, caller: tag.pid, ref: tag.ref })
  }

  start (node: string, behaviour: string, arg: unknown, options: RemoteStartOptions, tag: CallTag): void {
    this.#peer(node)?.send({ op: Op.Start, behaviour, arg, options, caller: tag.pid, ref: tag.ref })
  }

  send (to: Pid, message: unknown, from: Pid | undefined): void {
    this.#peer(to.node)?.send({ op: Op.Send, to, message, from })
  }

  sendNamed (to: RemoteName, message: unknown, from: Pid | undefined): void {
    this.#peer(to.node)?.send({ op: Op.SendNamed, name: to.name, message, from })
  }

  cast (to: Pid | RemoteName, message: unknown): void {
    this.#peer(to.node)?.send({ op: Op.Cast, to: to instanceof Pid ? to : to.name, message })
  }

  call (to: Pid | RemoteName, request: unknown, tag: CallTag): void {
    this.#peer(to.node)?.send({ op: Op.Call, to: to instanceof Pid ? to : to.name, request, caller: tag.pid, ref: tag.ref })
  }

  reply (tag: CallTag, value: unknown): void {
    this.#peer(tag.ref.node)?.send({ op: Op.Reply, ref: tag.ref, value })
  }

  replyError (tag: CallTag, error: Error): void {
    this.#peer(tag.ref.node)?.send({ op: Op.ReplyError, ref: tag.ref, error })
  }

  link (from: Pid, to: Pid): void {
    this.#peer(to.node)?.send({ op: Op.Link, from, to })
  }

  unlink (from: Pid, to: Pid): void {
    this.#peer(to.node)?.send({ op: Op.Unlink, from, to })
  }

  exit (from: Pid, to: Pid, reason: ExitReason, linked: boolean): void {
    this.#peer(to.node)?.send({ op: Op.Exit, from, to, reason, linked })
  }

  monitor (watcher: Pid, target: Pid | RemoteName, ref: Ref): void {
    this.#peer(target.node)?.send({ op: Op.Monitor, watcher, target: target instanceof Pid ? target : target.name, ref })
  }

  demonitor (watcher: Pid, target: Pid | RemoteName, ref: Ref): void {
    this.#peer(target.node)?.send({ op: Op.Demonitor, watcher, target: target instanceof Pid ? target : target.name, ref })
  }

  down (watcher: Pid, target: Pid, ref: Ref, reason: ExitReason): void {
    this.#peer(watcher.node)?.send({ op: Op.Down, watcher, target, ref, reason })
  }
}
