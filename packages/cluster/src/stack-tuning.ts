/**
 * Two adjustments to the libp2p stack beneath the transport, applied by it to its own connections and
 * streams only (never to a prototype: other libp2p users in the process are untouched). Each one
 * changes how often a dependency does work, never what goes over the wire, and each falls back to the
 * dependency's own behaviour, with a warning, when the dependency no longer has the shape it was
 * written for. `test/stack-tuning.test.ts` fails when one stops applying to the installed versions.
 *
 * 1. **yamux window updates** (`@chainsafe/libp2p-yamux` 8.0.1, and the same code in `@libp2p/yamux`
 *    8.0.3): a stream sends a window update after *every* data frame it receives, so each message of
 *    a request/response exchange costs a second frame (and a noise encryption and a socket write). As
 *    go-yamux and rust-yamux do, our streams send one once at least half of the receive window has
 *    been used. The flow-control contract is unchanged (the sender never has less than half a window
 *    left); updates carrying a SYN or ACK flag, and those after a pause, still go at once.
 * 2. **noise's frame decoder** (`LengthPrefixedDecoder` of `@libp2p/utils` 7.4.1): after each whole
 *    frame it asks its length decoder to read a length prefix from an *empty* buffer, which throws a
 *    `RangeError` (and captures a stack trace) that the decoder catches to stop. Our connections'
 *    decoders stop when the buffer is empty instead; a buffer holding part of a prefix is left to the
 *    dependency as before.
 */
import { StreamState, YamuxStream } from '@chainsafe/libp2p-yamux/stream'
import type { ConnectionEncrypter, Stream } from '@libp2p/interface'

/** Called with what was not adjusted and why; the link then works as the dependency does. */
export type TuningMiss = (what: 'yamux window updates' | 'noise frame decoder', why: string) => void

/** The internals of a yamux stream the adjustment reads (private in its types). */
interface YamuxWindow {
  state: StreamState
  recvWindow: number
  recvWindowCapacity: number
  sendWindowUpdate: () => void
}

/** The states in which yamux sends a window update with no flag: SYN and ACK go out as before. */
const FLAGLESS: ReadonlySet<StreamState> = new Set([StreamState.SYNSent, StreamState.Established, StreamState.Finished])

/**
 * Makes `stream` send a window update only once half of its receive window is used. Returns false
 * (and tells `miss`) if `stream` is not a yamux stream of the expected shape.
 */
export function tuneYamuxStream (stream: Stream, miss: TuningMiss): boolean {
  const s = stream as unknown as YamuxWindow
  if (!(stream instanceof YamuxStream)) {
    miss('yamux window updates', `the stream is a ${(stream as object).constructor?.name ?? typeof stream}, not a YamuxStream`)
    return false
  }
  if (typeof s.sendWindowUpdate !== 'function' || typeof s.recvWindow !== 'number' || typeof s.recvWindowCapacity !== 'number' || typeof s.state !== 'number') {
    miss('yamux window updates', 'YamuxStream has no sendWindowUpdate/recvWindow/recvWindowCapacity/state')
    return false
  }
  const update = s.sendWindowUpdate
  s.sendWindowUpdate = function (this: YamuxWindow): void {
    if (FLAGLESS.has(this.state) && this.recvWindow - this.recvWindowCapacity < this.recvWindow / 2) return
    update.call(this)
  }
  return true
}

/** The internals of `LengthPrefixedDecoder` the adjustment reads. */
interface FrameDecoder {
  buffer: { byteLength: number }
  decode: (buf: unknown) => Generator<unknown, void, undefined>
}

/**
 * Makes the frame decoder of a noise-encrypted `connection` stop on an empty buffer. Returns false
 * (and tells `miss`) if the connection has no decoder of the expected shape.
 */
export function tuneNoiseConnection (connection: unknown, miss: TuningMiss): boolean {
  const decoder = (connection as { decoder?: Partial<FrameDecoder> } | null)?.decoder
  if (typeof decoder?.decode !== 'function' || typeof decoder.buffer?.byteLength !== 'number') {
    miss('noise frame decoder', 'the encrypted connection has no decoder with decode() and buffer')
    return false
  }
  const d = decoder as FrameDecoder
  const decode = d.decode
  // The dependency's decoder consumes a frame from `buffer` before yielding it: once the consumer
  // comes back and the buffer is empty, there is nothing left to decode.
  d.decode = function * (this: FrameDecoder, buf: unknown): Generator<unknown, void, undefined> {
    const frames = decode.call(this, buf)
    for (let r = frames.next(); r.done !== true; r = this.buffer.byteLength === 0 ? frames.return(undefined) : frames.next()) {
      yield r.value
    }
  }
  return true
}

/** Wraps a connection encrypter so that every connection it secures gets `tuneNoiseConnection`. */
export function tunedEncrypter<C> (make: (components: C) => ConnectionEncrypter, miss: TuningMiss): (components: C) => ConnectionEncrypter {
  return (components) => {
    const inner = make(components)
    const wrapped: ConnectionEncrypter = Object.create(inner)
    wrapped.secureInbound = async (conn, opts) => {
      const secured = await inner.secureInbound(conn, opts)
      tuneNoiseConnection(secured.connection, miss)
      return secured
    }
    wrapped.secureOutbound = async (conn, opts) => {
      const secured = await inner.secureOutbound(conn, opts)
      tuneNoiseConnection(secured.connection, miss)
      return secured
    }
    return wrapped
  }
}
