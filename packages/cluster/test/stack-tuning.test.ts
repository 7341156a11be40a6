/**
 * The adjustments of `src/stack-tuning.ts` apply to the installed yamux and noise, and do what they
 * say over a real pair of `Libp2pTransport`s on 127.0.0.1. A failure here after a dependency update
 * means an adjustment no longer applies (read the dependency's new code, then adapt or drop it); the
 * "still needs" tests failing means the dependency fixed the cost itself, and the adjustment can go.
 */
import { yamux } from '@chainsafe/libp2p-yamux'
import { YamuxStream } from '@chainsafe/libp2p-yamux/stream'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { LengthPrefixedDecoder, multiaddrConnectionPair } from '@libp2p/utils'
import { Uint8ArrayList } from 'uint8arraylist'
import { afterEach, describe, expect, it } from 'vitest'
import type { Logger } from '@gen-cluster/core'
import { waitFor } from '@gen-cluster/core/testing'
import { loadClusterSecret } from '../src/identity.js'
import { Libp2pTransport } from '../src/libp2p-transport.js'
import { tuneNoiseConnection, tuneYamuxStream } from '../src/stack-tuning.js'
import type { Link } from '../src/transport.js'

const transports: Libp2pTransport[] = []
const restore: Array<() => void> = []
afterEach(async () => {
  for (const r of restore.splice(0)) r()
  await Promise.all(transports.splice(0).map(async t => { await t.stop() }))
})

/** A logger that keeps its warnings. */
function warnings (): { log: Logger, seen: string[] } {
  const seen: string[] = []
  const none = (): void => {}
  return { seen, log: { error: (m) => { seen.push(m) }, warn: (m) => { seen.push(m) }, info: none, debug: none } }
}

/** Two transports on 127.0.0.1 with one secret, and a link each way of one dial. */
async function pair (log: Logger): Promise<{ out: Link, in: Link }> {
  const { psk } = await loadClusterSecret({ home: '/nonexistent', secret: 'c3'.repeat(32) })
  const make = async (): Promise<Libp2pTransport> => {
    const t = new Libp2pTransport({ privateKey: await generateKeyPair('Ed25519'), psk, listen: ['/ip4/127.0.0.1/tcp/0'], log })
    transports.push(t)
    return t
  }
  const a = await make()
  const b = await make()
  let inbound: Link | undefined
  await a.start(() => {})
  await b.start((l) => { inbound = l })
  const out = await a.dial(b.addresses[0] as string)
  await waitFor(() => inbound !== undefined, { timeout: 5000, message: 'no inbound link' })
  return { out, in: inbound as Link }
}

/** `n` request/response exchanges of small frames over the pair, one at a time. */
async function pingPong ({ out, in: back }: { out: Link, in: Link }, n: number): Promise<void> {
  back.onFrame = (f) => { back.send(f) }
  for (let i = 0; i < n; i++) {
    await new Promise<void>((resolve) => {
      out.onFrame = () => { resolve() }
      out.send(new Uint8Array([i & 255, 1, 2, 3]))
    })
  }
}

describe('the libp2p transport\'s stack adjustments', () => {
  it('sends no yamux window update during 300 small request/response exchanges, and large frames still flow', async () => {
    let updates = 0
    const original = Object.getOwnPropertyDescriptor(YamuxStream.prototype, 'sendWindowUpdate') as PropertyDescriptor
    const inner = original.value as () => void
    YamuxStream.prototype.sendWindowUpdate = function (this: YamuxStream) { updates++; inner.call(this) }
    restore.push(() => { Object.defineProperty(YamuxStream.prototype, 'sendWindowUpdate', original) })
    const w = warnings()
    const links = await pair(w.log)
    await pingPong(links, 20)
    const before = updates
    await pingPong(links, 300)
    expect(updates - before).toBe(0)
    // 4 MiB each way needs many window updates (the window starts at 256 KiB): all must arrive.
    const got: number[] = []
    links.in.onFrame = (f) => { links.in.send(f) }
    links.out.onFrame = (f) => { got.push(f.byteLength) }
    for (let i = 0; i < 4; i++) links.out.send(new Uint8Array(1 << 20).fill(i))
    await waitFor(() => got.length === 4, { timeout: 10_000, message: `${got.length} of 4 large frames came back` })
    expect(got).toEqual([1 << 20, 1 << 20, 1 << 20, 1 << 20])
    expect(w.seen).toEqual([])
  })

  it('receives 300 small request/response exchanges without one RangeError from noise\'s frame decoder', async () => {
    const w = warnings()
    const links = await pair(w.log)
    await pingPong(links, 20)
    const Original = globalThis.RangeError
    let made = 0
    const Counting = function (...args: [string?]) { made++; return new Original(...args) }
    Counting.prototype = Original.prototype
    globalThis.RangeError = Counting as unknown as RangeErrorConstructor
    restore.push(() => { globalThis.RangeError = Original })
    try {
      await pingPong(links, 300)
    } finally {
      globalThis.RangeError = Original
    }
    expect(made).toBe(0)
    expect(w.seen).toEqual([])
  })
})

describe('the adjustments, on their own', () => {
  const frame = (bytes: number[]): Uint8Array => new Uint8Array([bytes.length >> 8, bytes.length & 255, ...bytes])
  const uint16 = (buf: Uint8Array | Uint8ArrayList): number => {
    if (buf.byteLength < 2) throw new RangeError('short')
    return buf instanceof Uint8Array ? (buf[0] as number) << 8 | (buf[1] as number) : buf.getUint16(0)
  }

  it('noise\'s decoder still asks its length decoder about an empty buffer after each whole frame (else drop the adjustment)', () => {
    const empty: number[] = []
    const d = new LengthPrefixedDecoder({ lengthDecoder: (b) => { empty.push(b.byteLength); return uint16(b) }, encodingLength: () => 2 })
    expect([...d.decode(frame([1, 2]))].map(f => f.byteLength)).toEqual([2])
    expect(empty.at(-1)).toBe(0)
  })

  it('a tuned decoder never asks about an empty buffer, and still decodes split and joined frames', () => {
    const asked: number[] = []
    const d = new LengthPrefixedDecoder({ lengthDecoder: (b) => { asked.push(b.byteLength); return uint16(b) }, encodingLength: () => 2 })
    const miss: string[] = []
    expect(tuneNoiseConnection({ decoder: d }, (what) => { miss.push(what) })).toBe(true)
    const joined = new Uint8Array([...frame([1]), ...frame([2, 3]), ...frame([4, 5, 6])])
    const out: number[][] = []
    for (const chunk of [joined.subarray(0, 1), joined.subarray(1, 6), joined.subarray(6)]) {
      for (const f of d.decode(chunk)) out.push([...f.subarray()])
    }
    expect(out).toEqual([[1], [2, 3], [4, 5, 6]])
    expect(asked).not.toContain(0)
    expect(miss).toEqual([])
  })

  it('tells what it could not adjust instead of failing', () => {
    const miss: string[] = []
    expect(tuneNoiseConnection({}, (what) => { miss.push(what) })).toBe(false)
    expect(tuneYamuxStream({} as never, (what) => { miss.push(what) })).toBe(false)
    expect(miss).toEqual(['noise frame decoder', 'yamux window updates'])
  })

  /** Window updates without a flag that the receiving end of a muxer pair sends during `n` exchanges. */
  async function yamuxUpdates (n: number, tune: boolean): Promise<number> {
    const [a, b] = multiaddrConnectionPair()
    const client = yamux()().createStreamMuxer(a)
    const server = yamux()().createStreamMuxer(b)
    let updates = 0
    server.addEventListener('stream', (evt) => {
      const s = evt.detail
      if (tune) tuneYamuxStream(s, () => {})
      const frames = s as unknown as { sendFrame: (h: { type: number, flag: number }, d?: unknown) => boolean }
      const send = frames.sendFrame
      frames.sendFrame = (h, d) => { if (h.type === 1 && h.flag === 0) updates++; return send(h, d) }
      s.addEventListener('message', (m) => { s.send(m.data) })
    })
    const stream = await client.createStream()
    for (let i = 0; i < n; i++) {
      await new Promise<void>((resolve) => {
        stream.addEventListener('message', () => { resolve() }, { once: true })
        stream.send(new Uint8Array([i & 255]))
      })
    }
    await client.close()
    await server.close()
    return updates
  }

  it('yamux still sends a window update after every data frame it receives (else drop the adjustment)', async () => {
    expect(await yamuxUpdates(50, false)).toBeGreaterThanOrEqual(49)
  })

  it('a tuned yamux stream sends none while less than half its window is used', async () => {
    expect(await yamuxUpdates(50, true)).toBe(0)
  })
})
