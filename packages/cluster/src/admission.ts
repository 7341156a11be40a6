/**
 * Admission: only holders of the cluster secret get in, and a refusal is logged clearly on both sides.
 *
 * The link is first wrapped by `@libp2p/pnet` (XSalsa20 under the pre-shared key, fresh nonces each
 * way). Through it each side then sends a fixed 16-byte marker and checks the peer's: with another
 * secret the peer's bytes decrypt to noise, so the mismatch is seen right here, before noise and
 * multistream negotiation would fail with an opaque reset, and it is logged as what it is. The
 * secret itself never crosses; confidentiality and peer authentication remain pnet's and noise's.
 */
import type { ConnectionProtector, MessageStream, AbortOptions } from '@libp2p/interface'
import { preSharedKey } from '@libp2p/pnet'
import { byteStream } from '@libp2p/utils'
import type { Logger } from '@gen-cluster/core'

const MARKER = new TextEncoder().encode('gen-cluster/adm1')

/** Thrown (and logged) when the peer's secret is not this node's. */
export class AdmissionError extends Error {
  override name = 'AdmissionError' as const
}

class AdmissionProtector implements ConnectionProtector {
  readonly #inner: ConnectionProtector
  readonly #log: Logger
  readonly #timeoutMs: number

  constructor (psk: Uint8Array, log: Logger, timeoutMs: number) {
    this.#inner = preSharedKey({ psk, timeout: timeoutMs })()
    this.#log = log
    this.#timeoutMs = timeoutMs
  }

  async protect (connection: MessageStream, options?: AbortOptions): Promise<MessageStream> {
    const remote = String((connection as { remoteAddr?: unknown }).remoteAddr ?? 'unknown address')
    const boxed = await this.#inner.protect(connection, options)
    const bytes = byteStream(boxed)
    const opts = { signal: options?.signal ?? AbortSignal.timeout(this.#timeoutMs) }
    let theirs: Uint8Array
    try {
      const [got] = await Promise.all([bytes.read({ bytes: MARKER.byteLength, ...opts }), bytes.write(MARKER, opts)])
      theirs = got.subarray()
    } catch (err) {
      this.#log.warn(`refused ${connection.direction} connection with ${remote}: no admission marker (${(err as Error).message})`)
      throw new AdmissionError(`admission failed: ${(err as Error).message}`, { cause: err })
    }
    if (!equal(theirs, MARKER)) {
      const what = connection.direction === 'inbound' ? 'refused an inbound connection from' : 'could not join through'
      this.#log.warn(`${what} ${remote}: it has another cluster secret`)
      throw new AdmissionError('the peer has another cluster secret')
    }
    return bytes.unwrap()
  }
}

function equal (a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false
  let diff = 0
  for (let i = 0; i < a.byteLength; i++) diff |= (a[i] as number) ^ (b[i] as number)
  return diff === 0
}

/** A libp2p connection protector: pnet under `psk`, then the admission check. */
export function admission (psk: Uint8Array, log: Logger, timeoutMs = 2000): () => ConnectionProtector {
  return () => new AdmissionProtector(psk, log, timeoutMs)
}
