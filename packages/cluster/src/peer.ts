/**
 * A connected node: its link (after the HELLO exchange) and the dispatch of what it sends us into
 * the local core node. Protocol: `protocol.ts`.
 */
import { Pid } from '@gen-cluster/core'
import type { DistributionHost, Logger, Ref } from '@gen-cluster/core'
import type { Link } from './transport.js'
import { Op, ProtocolError, frame, parse } from './protocol.js'
import type { Hello, MemberInfo, Message } from './protocol.js'

export interface PeerEvents {
  /** Any frame came in (liveness). */
  heard(peer: Peer): void
  members(peer: Peer, members: MemberInfo[]): void
  bye(peer: Peer, reason: string): void
}

export class Peer {
  readonly hello: Hello
  readonly link: Link
  /** Set once the peer said BYE: it left on purpose. */
  left = false
  /** When a frame from the peer was last counted as a heartbeat. */
  lastHeard = -Infinity
  readonly #host: DistributionHost
  readonly #events: PeerEvents
  readonly #log: Logger

  constructor (hello: Hello, link: Link, host: DistributionHost, events: PeerEvents, log: Logger) {
    this.hello = hello
    this.link = link
    this.#host = host
    this.#events = events
    this.#log = log
  }

  get name (): string {
    return this.hello.name
  }

  send (m: Message): void {
    this.link.send(frame(m))
  }

  /** Handles one frame from the peer; a protocol error closes this link only. */
  receive (bytes: Uint8Array): void {
    let m: Message
    try {
      m = parse(bytes)
      this.#check(m)
    } catch (err) {
      const reason = `protocol error from ${this.name}: ${(err as Error).message}`
      this.#log.warn(reason, { peer: this.name })
      this.link.close(reason)
      return
    }
    this.#events.heard(this)
    this.#dispatch(m)
  }

  /** Pids addressed to this node must be of this node; pids said to be the peer's must be its own. */
  #check (m: Message): void {
    const here = this.#host.name
    const mine = (p: Pid | string): void => {
      if (p instanceof Pid && p.node !== here) throw new ProtocolError(`${p.toString()} is not a pid of ${here}`)
    }
    const theirs = (p: Pid | undefined): void => {
      if (p !== undefined && p.node !== this.name) throw new ProtocolError(`${p.toString()} is not a pid of ${this.name}`)
    }
    // A request's ref is made by the requesting node: a ref of another node would have the answer
    // sent there (and could act in that node's name).
    const theirRef = (r: Ref): void => {
      if (r.node !== this.name) throw new ProtocolError(`a ref of ${r.node} in a request from ${this.name}`)
    }
    switch (m.op) {
      case Op.Hello: throw new ProtocolError('HELLO after the handshake')
      case Op.Send: mine(m.to); theirs(m.from); break
      case Op.SendNamed: theirs(m.from); break
      case Op.Cast: mine(m.to); break
      case Op.Call: mine(m.to); theirs(m.caller); theirRef(m.ref); break
      case Op.Link: case Op.Unlink: case Op.Exit: theirs(m.from); mine(m.to); break
      case Op.Monitor: case Op.Demonitor: theirs(m.watcher); mine(m.target); theirRef(m.ref); break
      case Op.Down: mine(m.watcher); theirs(m.target); break
      case Op.System: mine(m.to); theirs(m.caller); theirRef(m.ref); break
      case Op.Start: theirs(m.caller); theirRef(m.ref); break
      default: break
    }
  }

  #dispatch (m: Message): void {
    const host = this.#host
    switch (m.op) {
      case Op.Heartbeat: break
      case Op.Members: this.#events.members(this, m.members); break
      case Op.Bye: this.left = true; this.#events.bye(this, m.reason); break
      case Op.Send: host.deliver(m.to, m.message); break
      case Op.SendNamed: host.deliverNamed(m.name, m.message); break
      case Op.Cast: host.deliverCast(m.to, m.message); break
      case Op.Call: host.deliverCall(m.to, m.request, { pid: m.caller, ref: m.ref }); break
      case Op.Reply: host.callReplied(m.ref, m.value, this.name); break
      case Op.ReplyError: host.callFailed(m.ref, m.error, this.name); break
      case Op.Link: host.link(m.to, m.from); break
      case Op.Unlink: host.unlink(m.to, m.from); break
      case Op.Exit: host.exitSignal(m.to, m.from, m.reason, m.linked); break
      case Op.Monitor: host.monitor(m.target, m.watcher, m.ref); break
      case Op.Demonitor: host.demonitor(m.target, m.ref); break
      case Op.Down: host.monitorDown(m.watcher, m.ref, m.target, m.reason); break
      case Op.System: host.deliverSystem(m.to, m.kind, m.arg, { pid: m.caller, ref: m.ref }); break
      case Op.Start: host.startExposed(m.behaviour, m.arg, m.options, { pid: m.caller, ref: m.ref }); break
      case Op.Hello: break
    }
  }
}
