/**
 * The transport beneath the distribution protocol: ordered, reliable channels of frames between two
 * nodes. The real one is libp2p (`libp2p-transport.ts`); an in-memory one (`memory-transport.ts`)
 * lets the membership and detection logic run under a virtual clock with partitions, delays and drops.
 *
 * A transport knows nothing of nodes' names or of processes: it moves frames (byte arrays, each one
 * message of the distribution protocol) and tells when a link closes.
 */

/** One end of a channel of frames to a peer. Frames arrive whole and in order, or not at all. */
export interface Link {
  /** The peer's transport identity (a libp2p peer id), authenticated by the transport. */
  readonly remoteId: string
  /** The address the peer was dialled at, or it connected from. */
  readonly remoteAddress: string
  readonly direction: 'inbound' | 'outbound'
  /** Bytes queued for sending and not yet handed to the network. */
  readonly bufferedBytes: number
  /** Queues a frame; frames queued in one turn of the event loop go out together. */
  send(frame: Uint8Array): void
  /** Closes the link; `reason` is logged on this side and the peer sees the link close. */
  close(reason: string): void
  /** Called with each frame received. Set by the owner of the link before frames can arrive. */
  onFrame: (frame: Uint8Array) => void
  /** Called once when the link is closed, by either side or by failure. */
  onClose: (reason: string) => void
}

/** Options common to transports. */
export interface TransportLimits {
  /**
   * Largest frame accepted, in bytes; a bigger one (or a length prefix announcing one) closes the
   * link. @default 16 MiB + 64 KiB
   */
  maxFrameBytes?: number
  /** Bytes queued for a slow peer before its link is closed. @default 64 MiB */
  maxBufferedBytes?: number
}

export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024 + 64 * 1024
export const DEFAULT_MAX_BUFFERED_BYTES = 64 * 1024 * 1024

export interface Transport {
  /** This end's authenticated identity (a libp2p peer id). */
  readonly id: string
  /** Addresses peers can dial, once started. */
  readonly addresses: string[]
  /** Starts listening; `onLink` gets each inbound link. */
  start(onLink: (link: Link) => void): Promise<void>
  /** Opens a link to the node at `address`. Rejects if it cannot be reached or refuses us. */
  dial(address: string, signal?: AbortSignal): Promise<Link>
  /** Closes every link and stops listening. */
  stop(): Promise<void>
}

/**
 * What every link does alike: frames and the close that arrive before the owner has set `onFrame` /
 * `onClose` wait for it (a dial resolves a turn or more after the peer may have spoken).
 */
export abstract class LinkBase {
  #frame: ((frame: Uint8Array) => void) | undefined
  #close: ((reason: string) => void) | undefined
  #early: Uint8Array[] = []
  #closedWith: string | undefined

  get onFrame (): (frame: Uint8Array) => void {
    return this.#frame ?? ((f) => { this.#early.push(f) })
  }

  set onFrame (fn: (frame: Uint8Array) => void) {
    this.#frame = fn
    const early = this.#early
    this.#early = []
    for (const f of early) fn(f)
  }

  get onClose (): (reason: string) => void {
    return this.#close ?? ((reason) => { this.#closedWith = reason })
  }

  set onClose (fn: (reason: string) => void) {
    this.#close = fn
    if (this.#closedWith !== undefined) {
      const reason = this.#closedWith
      this.#closedWith = undefined
      fn(reason)
    }
  }

  /** Hands a received frame to the owner (or keeps it until there is one). */
  protected frameIn (frame: Uint8Array): void {
    if (this.#frame !== undefined) this.#frame(frame)
    else this.#early.push(frame)
  }

  /** Tells the owner the link closed (or keeps it until there is one). */
  protected closed (reason: string): void {
    if (this.#close !== undefined) this.#close(reason)
    else this.#closedWith = reason
  }
}
