/**
 * Membership of nodes: the handshake, joining through seeds, the full mesh, heartbeats, failure
 * detection and reconnection. It runs over any {@link Transport} and {@link Clock}, so the same code
 * is tested with many in-memory nodes under virtual time and runs over libp2p in production.
 *
 * - Join: dial the seeds (any of them; with retry and backoff) until one handshake succeeds. A seed
 *   that turns out to be this node itself is skipped.
 * - Mesh: each side sends the other the members it knows (MEMBERS); a new member is announced to
 *   everyone. Of two nodes, only the one with the smaller name dials the other (at once, then with
 *   backoff), so two nodes do not open two links at the same moment; a duplicate link that still
 *   happens (a seed dialled while being dialled) is resolved by keeping the one the smaller name dialled.
 * - Down: a link that closes is a node-down at once; a silent peer is found by the failure detector
 *   (heartbeats every `heartbeatIntervalMs`, any frame counting) and its link closed. Node-down tells
 *   the core (`noconnection` for monitors, links and calls in flight) and, on the smaller-named side,
 *   the redial loop starts (for `reconnectForMs`), unless the peer said BYE (it left on purpose).
 * - Remembered members: a node may start with the members of its last run (`remembered`, kept in
 *   its home by the cluster node). It dials those whose names sort after its own, the ones that by
 *   the rule above would never dial it: a node that restarts without seeds, whatever its name, finds
 *   its cluster again; the others redial it themselves.
 * - Restart: a HELLO with the name and key of a connected node and a higher creation replaces the
 *   old peer (node-down, then node-up); a lower creation is refused. A HELLO with a connected node's
 *   name but another key (a second home, another machine) is refused, and told so (BYE
 *   `refused: name in use`): the newcomer reports `node:refused` and does not redial that node.
 */
import type { Clock, DistributionHost, Logger, TimerHandle } from '@gen-cluster/core'
import { FailureDetector } from './failure-detector.js'
import type { FailureDetectorInit } from './failure-detector.js'
import type { ClusterDistribution } from './distribution.js'
import { Peer } from './peer.js'
import { Op, VERSION, frame, parse } from './protocol.js'
import type { Hello, MemberInfo } from './protocol.js'
import type { Link, Transport } from './transport.js'

/** Options of the membership (all optional). */
export interface MembershipInit {
  /** Time to wait for the peer's HELLO. @default 5000 */
  handshakeTimeoutMs?: number
  /** First retry delay when dialling seeds or reconnecting; doubles up to `maxBackoffMs`. @default 100 */
  minBackoffMs?: number
  /** @default 2000 */
  maxBackoffMs?: number
  /** How long to keep trying to reach a node that went down. @default 300000 (5 minutes) */
  reconnectForMs?: number
  /** Failure detector options (heartbeat interval, phi threshold...). */
  failureDetector?: Omit<FailureDetectorInit, 'clock' | 'onSuspect'>
  /** A hidden node (a command-line tool) is not announced to the others and does not mesh. @default false */
  hidden?: boolean
}

export interface MembershipEvents {
  up(node: MemberInfo): void
  down(node: string, reason: string): void
  /** Progress of joining, for people watching (`joining via …, retry 2`). */
  joining(address: string, attempt: number, error?: string): void
  /** `node` refused this one: it is connected to another node of this one's name. */
  refused?(node: string, why: 'name-in-use'): void
}

/** The BYE reason that tells a newcomer its name is taken by another identity. */
const NAME_IN_USE = 'refused: name in use'

export class Membership {
  readonly self: Hello
  readonly #transport: Transport
  readonly #clock: Clock
  readonly #dist: ClusterDistribution
  readonly #host: DistributionHost
  readonly #log: Logger
  readonly #events: MembershipEvents
  readonly #opts: Required<Omit<MembershipInit, 'failureDetector' | 'hidden'>>
  readonly #detector: FailureDetector
  /** Every node heard of, that has not left. */
  readonly known = new Map<string, MemberInfo>()
  readonly #timers = new Set<TimerHandle>()
  /** The running reconnect loop of each node, by a token of its own (a loop ends only its own entry). */
  readonly #reconnecting = new Map<string, object>()
  #heartbeat: TimerHandle | undefined
  #stopped = false
  #joined: PromiseWithResolvers<void> = Promise.withResolvers<void>()

  constructor (init: {
    self: Hello
    transport: Transport
    clock: Clock
    distribution: ClusterDistribution
    host: DistributionHost
    log: Logger
    events: MembershipEvents
    options?: MembershipInit
  }) {
    const o = init.options ?? {}
    this.self = init.self
    this.#transport = init.transport
    this.#clock = init.clock
    this.#dist = init.distribution
    this.#host = init.host
    this.#log = init.log
    this.#events = init.events
    this.#opts = {
      handshakeTimeoutMs: o.handshakeTimeoutMs ?? 5000,
      minBackoffMs: o.minBackoffMs ?? 100,
      maxBackoffMs: o.maxBackoffMs ?? 2000,
      reconnectForMs: o.reconnectForMs ?? 300_000
    }
    this.#detector = new FailureDetector({
      ...o.failureDetector,
      clock: init.clock,
      onSuspect: (name) => {
        const peer = this.#dist.peers.get(name)
        if (peer === undefined) return
        const reason = 'heartbeat timeout: the peer has gone silent'
        this.#log.warn(`node ${name} suspected down`, { node: name })
        this.#down(peer, reason)
        peer.link.close(reason)
      }
    })
  }

  get peers (): Map<string, Peer> {
    return this.#dist.peers
  }

  /** Resolves once this node has joined a cluster (at once when there are no seeds). */
  get joined (): Promise<void> {
    return this.#joined.promise
  }

  /** Handles an inbound link (the transport's `onLink`). */
  accept (link: Link): void {
    void this.#handshake(link, undefined)
  }

  /** Starts heartbeats, dials the seeds and the `remembered` members that would not dial this node. */
  start (seeds: readonly string[], remembered: readonly MemberInfo[] = []): void {
    this.#detector.start()
    const beat = (): void => {
      for (const peer of this.peers.values()) peer.send({ op: Op.Heartbeat })
      this.#heartbeat = this.#clock.setTimeout(beat, this.#detector.heartbeatIntervalMs)
    }
    beat()
    for (const m of remembered) {
      if (this.self.hidden || m.name <= this.self.name || this.known.has(m.name)) continue
      this.known.set(m.name, m)
      void this.#reconnect(m.name, 0)
    }
    if (seeds.length === 0) this.#joined.resolve()
    else void this.#join(seeds)
  }

  async #join (seeds: readonly string[]): Promise<void> {
    let delay = this.#opts.minBackoffMs
    for (let attempt = 1; !this.#stopped; attempt++) {
      for (const address of seeds) {
        if (this.#stopped || this.peers.size > 0) break
        this.#events.joining(address, attempt)
        try {
          const link = await this.#transport.dial(address)
          const peer = await this.#handshake(link, undefined)
          if (peer !== undefined) break
        } catch (err) {
          this.#events.joining(address, attempt, (err as Error).message)
        }
      }
      if (this.peers.size > 0 || this.#stopped) break
      // Every seed was this node itself: it is the first node of the cluster.
      if (this.#onlySelf) break
      await this.#sleep(delay)
      delay = Math.min(delay * 2, this.#opts.maxBackoffMs)
    }
    this.#joined.resolve()
  }

  #onlySelf = false

  /** Runs the HELLO exchange on a new link; resolves with the peer once it is up. */
  async #handshake (link: Link, expected: string | undefined): Promise<Peer | undefined> {
    if (this.#stopped) {
      link.close('node stopping')
      return undefined
    }
    // Our HELLO goes first: frames the peer already sent are handled as soon as onFrame is set.
    link.send(frame({ op: Op.Hello, hello: this.self }))
    const { promise, resolve } = Promise.withResolvers<Peer | undefined>()
    const timer = this.#clock.setTimeout(() => {
      link.close('no HELLO in time')
    }, this.#opts.handshakeTimeoutMs)
    let done = false
    const finish = (peer: Peer | undefined): void => {
      if (done) return
      done = true
      this.#clock.clearTimeout(timer)
      resolve(peer)
    }
    link.onClose = (reason) => {
      if (!done) this.#log.info('link closed during handshake', { address: link.remoteAddress, reason })
      finish(undefined)
    }
    link.onFrame = (bytes) => {
      let hello: Hello
      try {
        const m = parse(bytes)
        if (m.op !== Op.Hello) throw new Error('the first frame must be HELLO')
        hello = m.hello
      } catch (err) {
        const reason = `bad handshake from ${link.remoteAddress}: ${(err as Error).message}`
        this.#log.warn(reason)
        link.close(reason)
        return
      }
      finish(this.#admit(link, hello, expected))
    }
    return await promise
  }

  /** Decides whether a handshaken link becomes the peer of its node. */
  #admit (link: Link, hello: Hello, expected: string | undefined): Peer | undefined {
    const refuse = (reason: string): undefined => {
      this.#log.warn(`refused ${hello.name} at ${link.remoteAddress}: ${reason}`)
      link.close(reason)
      return undefined
    }
    if (hello.name === this.self.name) {
      if (hello.peerId === this.self.peerId) this.#onlySelf = true
      else if (link.direction === 'outbound') this.#events.refused?.(hello.name, 'name-in-use')
      return refuse(hello.peerId === this.self.peerId ? 'that is this node itself' : 'a node of this name is already in the cluster (this one)')
    }
    if (hello.peerId !== link.remoteId) return refuse(`HELLO claims peer id ${hello.peerId} but the link authenticated ${link.remoteId}`)
    if (expected !== undefined && expected !== hello.name) this.#log.info(`dialled ${expected}, reached ${hello.name}`)
    const existing = this.peers.get(hello.name)
    if (existing !== undefined) {
      if (hello.peerId !== existing.hello.peerId) {
        // Another identity under a connected node's name (a second home, another machine): the
        // running node stays; the newcomer is told why (BYE after our HELLO), so it stops trying.
        link.send(frame({ op: Op.Bye, reason: `${NAME_IN_USE}: ${this.self.name} is connected to another ${hello.name}` }))
        return refuse(`a node named ${hello.name} with another key (peer id ${existing.hello.peerId}) is connected`)
      }
      if (hello.creation < existing.hello.creation) return refuse('an older run of a connected node')
      if (hello.creation === existing.hello.creation) {
        // Two links between the same two runs (both dialled): keep the one the smaller name dialled.
        const dialledBySmaller = (this.self.name < hello.name) === (link.direction === 'outbound')
        if (!dialledBySmaller) return refuse('duplicate link')
        existing.link.onClose = () => {}
        existing.link.close('duplicate link')
        this.#dist.peers.delete(hello.name)
      } else {
        this.#down(existing, 'restarted')
        existing.link.close('the node restarted')
      }
    }
    const peer = new Peer(hello, link, this.#host, {
      heard: (p) => {
        // Any frame is a sign of life; under load, one sample per tenth of the heartbeat interval is plenty.
        const now = this.#clock.now()
        if (now - p.lastHeard < this.#detector.heartbeatIntervalMs / 10) return
        p.lastHeard = now
        this.#detector.heartbeat(p.name)
      },
      members: (_p, members) => { this.#learn(members) },
      bye: (p, reason) => {
        if (reason.startsWith(NAME_IN_USE)) {
          this.#log.error(`refused by ${p.name}: it is connected to another node named ${this.self.name} (another key); start this one with another name, or stop the other`)
          this.#events.refused?.(p.name, 'name-in-use')
        } else this.#log.info(`node ${p.name} left`, { reason })
        this.known.delete(p.name)
        this.#down(p, `left: ${reason}`)
        p.link.close('left')
      }
    }, this.#log)
    link.onFrame = (bytes) => { peer.receive(bytes) }
    link.onClose = (reason) => { if (this.peers.get(peer.name) === peer) this.#down(peer, reason) }
    this.#up(peer)
    return peer
  }

  #up (peer: Peer): void {
    const info = member(peer.hello)
    this.#dist.peers.set(peer.name, peer)
    this.#reconnecting.delete(peer.name)
    this.#detector.add(peer.name)
    if (!peer.hello.hidden) this.known.set(peer.name, info)
    this.#log.info(`node ${peer.name} up`, { creation: peer.hello.creation })
    // Tell the newcomer whom we know, and everyone else about the newcomer.
    const others = [...this.peers.values()].filter(p => p !== peer && !p.hello.hidden).map(p => member(p.hello))
    peer.send({ op: Op.Members, members: others })
    if (!peer.hello.hidden) {
      for (const p of this.peers.values()) if (p !== peer) p.send({ op: Op.Members, members: [info] })
    }
    this.#events.up(info)
  }

  #down (peer: Peer, reason: string): void {
    if (this.peers.get(peer.name) !== peer) return
    this.#dist.peers.delete(peer.name)
    this.#detector.remove(peer.name)
    this.#host.nodeDown(peer.name)
    this.#log.info(`node ${peer.name} down`, { reason })
    this.#events.down(peer.name, reason)
    if (!peer.left && !this.#stopped && this.known.has(peer.name) && this.self.name < peer.name) void this.#reconnect(peer.name, this.#opts.minBackoffMs)
  }

  #learn (members: MemberInfo[]): void {
    if (this.self.hidden) return
    for (const m of members) {
      if (m.name === this.self.name || this.peers.has(m.name)) continue
      this.known.set(m.name, m)
      // The smaller name dials; the other waits to be dialled (no two links opened at once).
      if (this.self.name < m.name) void this.#reconnect(m.name, 0)
    }
  }

  async #dialMember (m: MemberInfo): Promise<boolean> {
    for (const address of m.addresses) {
      if (this.#stopped || this.peers.has(m.name)) return true
      try {
        const link = await this.#transport.dial(address)
        if (await this.#handshake(link, m.name) !== undefined) return true
      } catch (err) {
        this.#log.debug(`could not reach ${m.name} at ${address}`, { error: (err as Error).message })
      }
    }
    return this.peers.has(m.name)
  }

  /** Dials a known node until a link is up (after `firstDelay`, then with backoff), for up to `reconnectForMs`. */
  async #reconnect (name: string, firstDelay: number): Promise<void> {
    if (this.#reconnecting.has(name)) return
    const token = {}
    this.#reconnecting.set(name, token)
    const until = this.#clock.now() + this.#opts.reconnectForMs
    let delay = firstDelay
    while (!this.#stopped && this.#reconnecting.get(name) === token && !this.peers.has(name) && this.#clock.now() < until) {
      if (delay > 0) await this.#sleep(delay)
      const m = this.known.get(name)
      if (m === undefined || this.#stopped) break
      if (await this.#dialMember(m)) break
      delay = Math.min(Math.max(delay * 2, this.#opts.minBackoffMs), this.#opts.maxBackoffMs)
    }
    // The link this loop made may already have come up and gone down again, and #down started a new
    // loop: deleting that loop's entry would stop it, and nobody would redial.
    if (this.#reconnecting.get(name) === token) this.#reconnecting.delete(name)
  }

  /** Leaves the cluster: says BYE to every peer, closes every link, stops every timer. */
  async stop (reason = 'stopping'): Promise<void> {
    if (this.#stopped) return
    this.#stopped = true
    this.#detector.stop()
    if (this.#heartbeat !== undefined) this.#clock.clearTimeout(this.#heartbeat)
    for (const t of this.#timers) this.#clock.clearTimeout(t)
    this.#timers.clear()
    for (const peer of [...this.peers.values()]) {
      peer.send({ op: Op.Bye, reason })
      peer.left = true
      this.#down(peer, `this node is ${reason}`)
      peer.link.close(reason)
    }
    this.#joined.resolve()
  }

  #after (ms: number, fn: () => void): void {
    const t = this.#clock.setTimeout(() => {
      this.#timers.delete(t)
      fn()
    }, ms)
    this.#timers.add(t)
  }

  async #sleep (ms: number): Promise<void> {
    await new Promise<void>(resolve => { this.#after(ms, resolve) })
  }
}

function member (h: Hello): MemberInfo {
  return { name: h.name, creation: h.creation, peerId: h.peerId, addresses: h.addresses }
}

export { VERSION }
