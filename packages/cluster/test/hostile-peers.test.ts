/**
 * Hostile and broken peers over real libp2p on loopback: a wrong secret, raw garbage on the port,
 * and malformed, unknown and oversize frames from a peer that holds the secret. Each loses its own
 * connection and nothing else: the node keeps serving the others.
 */
import { connect } from 'node:net'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { call, defineServer, start } from '@gen-cluster/core'
import type { LoggerFactory, ServerTypes } from '@gen-cluster/core'
import { probe, waitFor } from '@gen-cluster/core/testing'
import { yamux } from '@chainsafe/libp2p-yamux'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import type { Libp2p } from 'libp2p'
import type { Stream } from '@libp2p/interface'
import { startNode } from '../src/index.js'
import type { ClusterNode } from '../src/index.js'
import { loadClusterSecret } from '../src/identity.js'
import { admittedNoise } from '../src/admission.js'
import { secretKeyOf } from '../src/identity.js'
import { Op, PROTOCOL, VERSION, frame } from '../src/protocol.js'

interface Echo extends ServerTypes { state: null, calls: { ping: { reply: 'pong' } } }
const echo = defineServer<Echo>({ init: () => ({ state: null }), handleCall: { ping: (_r, _f, s) => ({ reply: 'pong', state: s }) } })

const SECRET = 'b1'.repeat(32)
let home: string
const nodes: ClusterNode[] = []
const raws: Libp2p[] = []
let lines: string[] = []

const capture: LoggerFactory = (component) => {
  const at = (level: string) => (message: string, meta?: Record<string, unknown>): void => { lines.push(`${component} ${level} ${message} ${meta === undefined ? '' : JSON.stringify(meta)}`) }
  return { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') }
}

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'gen-cluster-hostile-'))
  lines = []
})
afterEach(async () => {
  for (const r of raws.splice(0)) await r.stop()
  for (const n of nodes.splice(0)) await n.stop()
  rmSync(home, { recursive: true, force: true })
})

async function pair (): Promise<{ a: ClusterNode, b: ClusterNode }> {
  const a = await startNode({ name: 'a@test', home, secret: SECRET, logger: capture })
  nodes.push(a)
  const b = await startNode({ name: 'b@test', home, secret: SECRET, logger: capture, seeds: [a.addresses[0] as string] })
  nodes.push(b)
  await b.joined
  await waitFor(() => a.nodes().length === 1, { timeout: 5000 })
  return { a, b }
}

/** b can still call a server on a. */
async function stillServes (a: ClusterNode, b: ClusterNode): Promise<void> {
  const pid = await start(echo, undefined, { node: a.core })
  expect(await probe(b.core).run(async () => await call(pid, { type: 'ping' }))).toBe('pong')
  expect(a.nodes()).toEqual(['b@test'])
}

async function rawPeer (address: string): Promise<Stream> {
  const { psk } = await loadClusterSecret({ home, secret: SECRET })
  const raw = await createLibp2p({ transports: [tcp()], connectionEncrypters: [admittedNoise(secretKeyOf(psk), capture('raw'))], streamMuxers: [yamux()] })
  raws.push(raw)
  const conn = await raw.dial(multiaddr(address))
  return await conn.newStream(PROTOCOL)
}

function lengthPrefixed (payload: Uint8Array, length = payload.byteLength): Uint8Array {
  const out = new Uint8Array(4 + payload.byteLength)
  new DataView(out.buffer).setUint32(0, length)
  out.set(payload, 4)
  return out
}

/** Resolves when the node has closed its end of the stream (half-close or reset). */
async function closed (stream: Stream): Promise<void> {
  if (stream.status !== 'open' || stream.remoteWriteStatus !== 'writable') return
  await new Promise<void>(resolve => {
    stream.addEventListener('close', () => { resolve() }, { once: true })
    stream.addEventListener('remoteCloseWrite', () => { resolve() }, { once: true })
  })
}

describe('hostile peers', () => {
  it('refuses a node with another secret: it never joins, and both sides log the refusal', async () => {
    const { a, b } = await pair()
    const intruder = await startNode({ name: 'c@test', home, secret: 'c2'.repeat(32), logger: capture, seeds: [a.addresses[0] as string], membership: { maxBackoffMs: 200 } })
    nodes.push(intruder)
    await waitFor(() => lines.some(l => l.includes('refused an inbound connection')) && lines.some(l => l.includes('could not join through')), { timeout: 10_000 })
    expect(intruder.nodes()).toEqual([])
    expect(a.nodes()).toEqual(['b@test'])
    expect(lines.filter(l => l.includes('another cluster secret')).length).toBeGreaterThanOrEqual(2)
    expect(lines.some(l => l.includes('node c@test up'))).toBe(false)
    await stillServes(a, b)
  })

  it('survives raw garbage bytes on its listening port', async () => {
    const { a, b } = await pair()
    const port = (a.addresses[0] as string).split('/')[4]
    for (let i = 0; i < 5; i++) {
      await new Promise<void>((resolve) => {
        const s = connect(Number(port), '127.0.0.1', () => { s.end(randomBytes(65536)) })
        s.on('close', () => { resolve() })
        s.on('error', () => { resolve() })
      })
    }
    await stillServes(a, b)
  })

  it('closes the link of a secret-holding peer that sends a malformed frame, and only that link', async () => {
    const { a, b } = await pair()
    const stream = await rawPeer(a.addresses[0] as string)
    stream.send(lengthPrefixed(randomBytes(100)))
    await closed(stream)
    expect(lines.some(l => l.includes('bad handshake'))).toBe(true)
    await stillServes(a, b)
  })

  it('closes the link of a peer that sends an unknown message type after a good handshake', async () => {
    const { a, b } = await pair()
    const stream = await rawPeer(a.addresses[0] as string)
    const peerId = (raws[0] as Libp2p).peerId.toString()
    stream.send(lengthPrefixed(frame({ op: Op.Hello, hello: { version: VERSION, name: 'evil@test', creation: 1, peerId, addresses: [], hidden: true } })))
    const { encode } = await import('../src/codec.js')
    stream.send(lengthPrefixed(encode([99, 'surprise'])))
    await closed(stream)
    await waitFor(() => lines.some(l => l.includes('protocol error from evil@test: unknown op 99')))
    await stillServes(a, b)
  })

  it('closes the link of a peer that announces an oversize frame, before reading it', async () => {
    const { a, b } = await pair()
    const stream = await rawPeer(a.addresses[0] as string)
    stream.send(lengthPrefixed(new Uint8Array(16), 0xfffffff0))
    await closed(stream)
    await waitFor(() => lines.some(l => l.includes('exceeds the maximum')))
    await stillServes(a, b)
  })

  it('closes the link of a peer that stops reading once too much is queued for it, and only that link', async () => {
    const a = await startNode({ name: 'a@test', home, secret: SECRET, logger: capture, maxBufferedBytes: 4 * 1024 * 1024 })
    nodes.push(a)
    const b = await startNode({ name: 'b@test', home, secret: SECRET, logger: capture, seeds: [a.addresses[0] as string] })
    nodes.push(b)
    await b.joined
    const stream = await rawPeer(a.addresses[0] as string)
    const peerId = (raws[0] as Libp2p).peerId.toString()
    stream.send(lengthPrefixed(frame({ op: Op.Hello, hello: { version: VERSION, name: 'slow@test', creation: 1, peerId, addresses: [], hidden: true } })))
    stream.pause()
    await waitFor(() => a.membership.peers.has('slow@test'))
    const { Pid, send } = await import('@gen-cluster/core')
    const target = new Pid('slow@test', 1, 1)
    const chunk = new Uint8Array(256 * 1024)
    for (let i = 0; i < 64 && a.membership.peers.has('slow@test'); i++) {
      probe(a.core).run(() => { send(target, chunk) })
      await new Promise(resolve => setTimeout(resolve, 5))
    }
    await waitFor(() => lines.some(l => l.includes('peer too slow')), { timeout: 10_000 })
    expect(a.membership.peers.has('slow@test')).toBe(false)
    await stillServes(a, b)
  })

  it('refuses to send a message larger than the maximum frame, with FrameTooLargeError to the sender, and keeps the link', async () => {
    const a = await startNode({ name: 'a@test', home, secret: SECRET, logger: capture, maxFrameBytes: 1024 * 1024 })
    nodes.push(a)
    const b = await startNode({ name: 'b@test', home, secret: SECRET, logger: capture, seeds: [a.addresses[0] as string] })
    nodes.push(b)
    await b.joined
    await waitFor(() => a.nodes().length === 1)
    const pid = await start(echo, undefined, { node: b.core })
    const { send } = await import('@gen-cluster/core')
    expect(() => { probe(a.core).run(() => { send(pid, new Uint8Array(2 * 1024 * 1024)) }) }).toThrow(expect.objectContaining({ name: 'FrameTooLargeError' }))
    expect(await probe(a.core).run(async () => await call(pid, { type: 'ping' }))).toBe('pong')
  })

  it('refuses a HELLO whose peer id is not the one the link authenticated', async () => {
    const { a, b } = await pair()
    const stream = await rawPeer(a.addresses[0] as string)
    stream.send(lengthPrefixed(frame({ op: Op.Hello, hello: { version: VERSION, name: 'liar@test', creation: 1, peerId: b.peerId, addresses: [], hidden: false } })))
    await closed(stream)
    await waitFor(() => lines.some(l => l.includes('but the link authenticated')))
    await stillServes(a, b)
  })
})
