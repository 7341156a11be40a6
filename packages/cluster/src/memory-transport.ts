/**
 * An in-memory transport: nodes of one `MemoryNetwork` reach each other by address, with frames
 * delivered on the network's clock. The network can cut links between two nodes (silently, as a
 * partition with no FIN does, or with a close), add latency and drop frames, so the cluster's
 * membership and failure detection can be tested with many nodes under virtual time.
 */
import type { Clock } from '@gen-cluster/core'
import { systemClock } from '@gen-cluster/core'
import { LinkBase } from './transport.js'
import type { Link, Transport } from './transport.js'

interface Endpoint {
  readonly id: string
  readonly address: string
  readonly onLink: (link: Link) => void
}

/** Options of a {@link MemoryNetwork}. */
export interface MemoryNetworkInit {
  /** @default the system clock */
  clock?: Clock
  /** Delay of every frame, in ms; 0 delivers on the next microtask. @default 0 */
  latencyMs?: number
  /** Decides whether a frame is lost (for loss tests); @default never */
  drop?: (from: string, to: string) => boolean
}

class MemoryLink extends LinkBase implements Link {
  peer: MemoryLink | undefined
  isClosed = false
  readonly bufferedBytes = 0
  /** What this end sent that is still on the way: frames arrive in order even when the latency changes. */
  readonly lane: Lane = { lastAt: 0, pending: 0 }

  constructor (
    readonly net: MemoryNetwork,
    readonly localAddress: string,
    readonly remoteId: string,
    readonly remoteAddress: string,
    readonly direction: 'inbound' | 'outbound'
  ) {
    super()
  }

  receive (frame: Uint8Array): void {
    if (!this.isClosed) this.frameIn(frame)
  }

  hangUp (reason: string): void {
    this.closed(reason)
  }

  send (frame: Uint8Array): void {
    const peer = this.peer
    if (this.isClosed || peer === undefined) return
    if (this.net.isCut(this.localAddress, peer.localAddress)) return
    if (this.net.drop(this.localAddress, peer.localAddress)) return
    const copy = frame.slice()
    this.net.deliver(() => { peer.receive(copy) }, this.lane)
  }

  close (reason: string): void {
    if (this.isClosed) return
    this.isClosed = true
    this.net.forget(this)
    const peer = this.peer
    this.net.deliver(() => { this.hangUp(reason) })
    if (peer !== undefined && !peer.isClosed) {
      // The peer still gets the frames sent before the close (they are ahead in the same lane).
      this.net.deliver(() => {
        peer.isClosed = true
        this.net.forget(peer)
        peer.hangUp(`closed by peer: ${reason}`)
      }, this.lane)
    }
  }
}

/** Deliveries still on the way from one end of a link. */
interface Lane {
  lastAt: number
  pending: number
}

/** A network of in-memory transports. */
export class MemoryNetwork {
  readonly clock: Clock
  latencyMs: number
  drop: (from: string, to: string) => boolean
  readonly #endpoints = new Map<string, Endpoint>()
  readonly #cuts = new Set<string>()
  readonly #links = new Set<MemoryLink>()
  #next = 1

  constructor (init: MemoryNetworkInit = {}) {
    this.clock = init.clock ?? systemClock
    this.latencyMs = init.latencyMs ?? 0
    this.drop = init.drop ?? (() => false)
  }

  /** A transport on this network, at `mem://<name>`. */
  transport (name = `node${this.#next++}`): Transport {
    const address = `mem://${name}`
    const id = `mem-${name}`
    const net = this
    let started = false
    return {
      id,
      get addresses () { return started ? [address] : [] },
      async start (onLink) {
        if (net.#endpoints.has(address)) throw new Error(`${address} is in use`)
        net.#endpoints.set(address, { id, address, onLink })
        started = true
      },
      async dial (to) {
        const remote = net.#endpoints.get(to)
        if (remote === undefined || !started) throw new Error(`connection refused: ${to}`)
        if (net.isCut(address, to)) throw new Error(`unreachable: ${to}`)
        const out = new MemoryLink(net, address, remote.id, to, 'outbound')
        const inb = new MemoryLink(net, to, id, address, 'inbound')
        out.peer = inb
        inb.peer = out
        net.#links.add(out)
        net.#links.add(inb)
        await new Promise<void>(resolve => { net.deliver(resolve) })
        remote.onLink(inb)
        return out
      },
      async stop () {
        net.#endpoints.delete(address)
        started = false
        for (const link of [...net.#links]) if (link.localAddress === address) link.close('transport stopped')
      }
    }
  }

  /** Cuts the links between `a` and `b` (addresses or names). Silent: frames vanish and nobody is told. */
  cut (a: string, b: string, opts: { silent?: boolean } = {}): void {
    const [x, y] = [addr(a), addr(b)]
    this.#cuts.add(key(x, y))
    if (opts.silent === false) {
      for (const link of [...this.#links]) {
        if (key(link.localAddress, link.remoteAddress) === key(x, y)) link.close('network cut')
      }
    }
  }

  /** Restores the links between `a` and `b`. */
  heal (a: string, b: string): void {
    this.#cuts.delete(key(addr(a), addr(b)))
  }

  isCut (a: string, b: string): boolean {
    return this.#cuts.has(key(a, b))
  }

  /**
   * Runs `fn` after the network's latency; with a `lane`, never before what went earlier in that
   * lane (a link is FIFO, as a TCP connection is, even when the latency drops meanwhile).
   */
  deliver (fn: () => void, lane?: Lane): void {
    const now = this.clock.now()
    if (lane === undefined) {
      if (this.latencyMs <= 0) queueMicrotask(fn)
      else this.clock.setTimeout(fn, this.latencyMs)
      return
    }
    const at = Math.max(now + this.latencyMs, lane.lastAt)
    lane.lastAt = at
    if (at <= now && lane.pending === 0) {
      queueMicrotask(fn)
      return
    }
    lane.pending++
    this.clock.setTimeout(() => { lane.pending--; fn() }, at - now)
  }

  forget (link: MemoryLink): void {
    this.#links.delete(link)
  }
}

function addr (a: string): string {
  return a.startsWith('mem://') ? a : `mem://${a}`
}

function key (a: string, b: string): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`
}
