/**
 * The real transport: libp2p over TCP, encrypted and authenticated by noise (which also admits only
 * holders of the cluster secret: `admission.ts`), multiplexed by yamux. Each link is one stream of the
 * `/gen-cluster/dist/1.0.0` protocol carrying length-prefixed frames (4-byte big-endian length).
 *
 * Frames queued within one turn of the event loop are handed to the stream in one write. A link
 * whose peer does not keep up is closed once `maxBufferedBytes` are waiting; a frame (or a length
 * prefix) over `maxFrameBytes` closes the link it came on. Both are logged with the reason.
 *
 * Its connections and streams get the adjustments of `stack-tuning.ts` (fewer yamux window updates,
 * no exception per received noise frame); one that does not apply is logged once, and links work.
 */
import { yamux } from '@chainsafe/libp2p-yamux'
import type { PrivateKey, Stream, Connection } from '@libp2p/interface'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import type { Libp2p } from 'libp2p'
import { Uint8ArrayList } from 'uint8arraylist'
import type { Logger } from '@gen-cluster/core'
import { admittedNoise } from './admission.js'
import { secretKeyOf } from './identity.js'
import { FrameTooLargeError } from './errors.js'
import { PROTOCOL } from './protocol.js'
import { tunedEncrypter, tuneYamuxStream } from './stack-tuning.js'
import type { TuningMiss } from './stack-tuning.js'
import { DEFAULT_MAX_BUFFERED_BYTES, DEFAULT_MAX_FRAME_BYTES } from './transport.js'
import { LinkBase } from './transport.js'
import type { Link, Transport, TransportLimits } from './transport.js'

export interface Libp2pTransportInit extends TransportLimits {
  privateKey: PrivateKey
  /** The cluster secret, as a pnet PSK. */
  psk: Uint8Array
  /** Multiaddrs to listen on. */
  listen: string[]
  log: Logger
}

/** Frames at least this large are written without being copied into the batch buffer. */
const LARGE_FRAME = 64 * 1024

class StreamLink extends LinkBase implements Link {
  readonly remoteId: string
  readonly remoteAddress: string
  readonly direction: 'inbound' | 'outbound'
  readonly #stream: Stream
  readonly #log: Logger
  readonly #maxFrame: number
  readonly #maxBuffered: number
  #queue: Uint8Array[] = []
  #queuedBytes = 0
  #flushQueued = false
  #in = new Uint8ArrayList()
  #closed = false

  constructor (stream: Stream, connection: Connection, limits: Required<TransportLimits>, log: Logger, miss: TuningMiss) {
    super()
    tuneYamuxStream(stream, miss)
    this.#stream = stream
    this.#log = log
    this.#maxFrame = limits.maxFrameBytes
    this.#maxBuffered = limits.maxBufferedBytes
    this.remoteId = connection.remotePeer.toString()
    this.remoteAddress = connection.remoteAddr.toString()
    this.direction = stream.direction
    stream.maxReadBufferLength = Math.max(stream.maxReadBufferLength, limits.maxFrameBytes * 2)
    stream.addEventListener('message', (evt) => { this.#receive(evt.data) })
    stream.addEventListener('close', (evt) => {
      if (this.#closed) return
      this.#closed = true
      this.closed(evt.error?.message ?? 'closed by peer')
    })
    // The peer closed its end, and counted the link closed at that moment: so does this side, at
    // once. (The stream's 'close' would wait for the peer's abort, up to 2 s later; a paused node
    // that resumes would meanwhile take the peer's new link for a duplicate of this dead one, and
    // never see the node-down the peer saw.)
    stream.addEventListener('remoteCloseWrite', () => { this.close('closed by peer') })
    stream.addEventListener('drain', () => { this.#flush() })
  }

  get bufferedBytes (): number {
    return this.#queuedBytes + this.#stream.writeBufferLength
  }

  send (frame: Uint8Array): void {
    if (this.#closed) return
    if (frame.byteLength > this.#maxFrame) throw new FrameTooLargeError(frame.byteLength, this.#maxFrame)
    this.#queue.push(frame)
    this.#queuedBytes += 4 + frame.byteLength
    if (this.bufferedBytes > this.#maxBuffered) {
      this.close(`peer too slow: more than ${this.#maxBuffered} bytes queued for it`)
      return
    }
    if (!this.#flushQueued) {
      this.#flushQueued = true
      queueMicrotask(() => { this.#flushQueued = false; this.#flush() })
    }
  }

  /**
   * Hands everything queued to the stream in one write: small frames are copied with their length
   * prefixes into one buffer (one noise frame, one syscall), large ones are passed without a copy.
   */
  #flush (): void {
    const queue = this.#queue
    if (queue.length === 0 || this.#closed || this.#stream.writableNeedsDrain || this.#stream.writeStatus !== 'writable') return
    this.#queue = []
    this.#queuedBytes = 0
    const out: Uint8Array[] = []
    let pending: Uint8Array[] = []
    let pendingBytes = 0
    const pack = (): void => {
      if (pending.length === 0) return
      const buf = new Uint8Array(pendingBytes)
      const view = new DataView(buf.buffer)
      let at = 0
      for (const f of pending) {
        view.setUint32(at, f.byteLength)
        buf.set(f, at + 4)
        at += 4 + f.byteLength
      }
      out.push(buf)
      pending = []
      pendingBytes = 0
    }
    for (const f of queue) {
      if (f.byteLength >= LARGE_FRAME) {
        pack()
        const header = new Uint8Array(4)
        new DataView(header.buffer).setUint32(0, f.byteLength)
        out.push(header, f)
      } else {
        pending.push(f)
        pendingBytes += 4 + f.byteLength
      }
    }
    pack()
    try {
      this.#stream.send(out.length === 1 ? out[0] as Uint8Array : new Uint8ArrayList(...out))
    } catch (err) {
      this.close(`write failed: ${(err as Error).message}`)
    }
  }

  #receive (data: Uint8Array | Uint8ArrayList): void {
    const buf = this.#in
    buf.append(data)
    while (!this.#closed && buf.byteLength >= 4) {
      const length = buf.getUint32(0)
      if (length > this.#maxFrame) {
        this.close(`frame of ${length} bytes exceeds the maximum of ${this.#maxFrame}`)
        return
      }
      if (buf.byteLength < 4 + length) return
      const frame = buf.subarray(4, 4 + length)
      buf.consume(4 + length)
      this.frameIn(frame)
    }
  }

  close (reason: string): void {
    if (this.#closed) return
    this.#flush()
    this.#closed = true
    this.#log.info('closing link', { peer: this.remoteId, reason })
    const stream = this.#stream
    stream.close({ signal: AbortSignal.timeout(2000) }).catch(() => { stream.abort(new Error(reason)) })
    // The owner learns at once (not when the peer acknowledges the close, which a stuck peer never does).
    queueMicrotask(() => { this.closed(reason) })
  }
}

/** @internal The transport `startNode` makes; exported for tools and tests. */
export class Libp2pTransport implements Transport {
  readonly #init: Libp2pTransportInit
  readonly #limits: Required<TransportLimits>
  #node: Libp2p | undefined
  readonly #blocked = new Set<string>()
  readonly #missed = new Set<string>()
  readonly #miss: TuningMiss = (what, why) => {
    if (this.#missed.has(what)) return
    this.#missed.add(what)
    this.#init.log.warn(`${what} not adjusted (the dependency changed: ${why}); links work, with more frames or exceptions per message`)
  }

  constructor (init: Libp2pTransportInit) {
    this.#init = init
    this.#limits = {
      maxFrameBytes: init.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
      maxBufferedBytes: init.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES
    }
  }

  get id (): string {
    return this.#node?.peerId.toString() ?? ''
  }

  get addresses (): string[] {
    return this.#node?.getMultiaddrs().map(String) ?? []
  }

  /** The libp2p node, once started (for tools and tests). */
  get libp2p (): Libp2p | undefined {
    return this.#node
  }

  async start (onLink: (link: Link) => void): Promise<void> {
    const { log } = this.#init
    this.#node = await createLibp2p({
      privateKey: this.#init.privateKey,
      addresses: { listen: this.#init.listen },
      transports: [tcp()],
      connectionEncrypters: [tunedEncrypter(admittedNoise(secretKeyOf(this.#init.psk), log), this.#miss)],
      streamMuxers: [yamux()],
      connectionGater: {
        denyDialPeer: (peer) => this.#blocked.has(peer.toString()),
        denyInboundEncryptedConnection: (peer) => this.#blocked.has(peer.toString())
      },
    })
    await this.#node.handle(PROTOCOL, (stream, connection) => {
      onLink(new StreamLink(stream, connection, this.#limits, log, this.#miss))
    }, { maxInboundStreams: 8 })
  }

  /**
   * Cuts this node off from `peerId` over the real network: closes its connections and refuses new
   * ones both ways until `unblock` (for partition tests over TCP).
   */
  async block (peerId: string): Promise<void> {
    this.#blocked.add(peerId)
    const node = this.#node
    if (node === undefined) return
    await Promise.all(node.getConnections().filter(c => c.remotePeer.toString() === peerId).map(async c => { await c.close().catch(() => { c.abort(new Error('blocked')) }) }))
  }

  unblock (peerId: string): void {
    this.#blocked.delete(peerId)
  }

  async dial (address: string, signal?: AbortSignal): Promise<Link> {
    const node = this.#node
    if (node === undefined) throw new Error('transport not started')
    const connection = await node.dial(multiaddr(address), { signal: signal ?? AbortSignal.timeout(5000) })
    const stream = await connection.newStream(PROTOCOL, { signal: signal ?? AbortSignal.timeout(5000) })
    return new StreamLink(stream, connection, this.#limits, this.#init.log, this.#miss)
  }

  async stop (): Promise<void> {
    await this.#node?.stop()
    this.#node = undefined
  }
}
