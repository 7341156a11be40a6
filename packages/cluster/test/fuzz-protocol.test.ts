/**
 * Hostile input, fuzzed: random and mutated frames of every op from a peer that holds the secret,
 * random bytes from outsiders, and a flood from one peer. In process, `parse` and `Peer` fail only
 * with `ProtocolError` / `DecodeError` and never reach a process of another node; over libp2p on
 * loopback, the node stays up, keeps serving another node, and keeps no state for the bad links.
 */
import { connect } from 'node:net'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { Pid, call, createNode, defineServer, forgetNode, processInfo, silentLogger, spawn, start } from '@gen-cluster/core'
import type { CoreNode, Distribution, DistributionHost, LoggerFactory, ServerTypes } from '@gen-cluster/core'
import { probe, waitFor } from '@gen-cluster/core/testing'
import { yamux } from '@chainsafe/libp2p-yamux'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import type { Libp2p } from 'libp2p'
import { check, ReliabilityReport } from './report.js'
import type { InvariantCheck } from './report.js'
import type { Connection, Stream } from '@libp2p/interface'
import { startNode } from '../src/index.js'
import type { ClusterNode } from '../src/index.js'
import { admittedNoise } from '../src/admission.js'
import { loadClusterSecret, secretKeyOf } from '../src/identity.js'
import { encode } from '../src/codec.js'
import { Op, PROTOCOL, VERSION, frame, parse } from '../src/protocol.js'
import { Peer } from '../src/peer.js'
import type { Link } from '../src/transport.js'
import { HERE, PEER, anyFrame } from './fuzz-frames.js'

/** Set `FUZZ_SEED` to explore other inputs; the default keeps runs reproducible. */
const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 7)

// ---------------------------------------------------------------------------------------------
// in process: a Peer on a fake link, over a recording host and over a real core node

class FakeLink implements Link {
  readonly remoteId = 'fake'
  readonly remoteAddress = 'mem://fake'
  readonly direction = 'inbound'
  readonly bufferedBytes = 0
  closedWith: string | undefined
  onFrame = (_f: Uint8Array): void => {}
  onClose = (_r: string): void => {}
  send (): void {}
  close (reason: string): void { this.closedWith ??= reason }
}

interface HostCall { method: string, args: unknown[] }

function recordingHost (calls: HostCall[]): DistributionHost {
  const rec = (method: string) => (...args: unknown[]): void => { calls.push({ method, args }) }
  return {
    name: HERE,
    creation: 1,
    deliver: rec('deliver'),
    deliverNamed: rec('deliverNamed'),
    deliverCast: rec('deliverCast'),
    deliverCall: rec('deliverCall'),
    deliverSystem: rec('deliverSystem'),
    startExposed: rec('startExposed'),
    callReplied: rec('callReplied'),
    callFailed: rec('callFailed'),
    exitSignal: rec('exitSignal'),
    link: rec('link'),
    unlink: rec('unlink'),
    monitor: rec('monitor'),
    demonitor: rec('demonitor'),
    monitorDown: rec('monitorDown'),
    nodeDown: rec('nodeDown')
  }
}

/** The local pid (or name) each host entry point acts on: the first argument. */
function localTarget (c: HostCall): unknown {
  return c.args[0]
}

/** Whether a Peer keeps the link open after this frame (its dispatch is not run). */
function accepts (bytes: Uint8Array): boolean {
  const link = new FakeLink()
  new Peer(hello, link, recordingHost([]), events, silentLogger('peer')).receive(bytes)
  return link.closedWith === undefined
}

const hello = { name: PEER, creation: 1, peerId: 'fake', addresses: [], version: VERSION, hidden: false }
const events = { heard: () => {}, members: () => {}, bye: () => {} }

/** A distribution that connects `a@fuzz` to `p@fuzz` and drops whatever the core sends. */
function dropping (): Distribution & { host?: DistributionHost } {
  const d: Distribution & { host?: DistributionHost } = {
    attach (host) { d.host = host },
    isConnected: (node) => node === PEER,
    connectedNodes: () => [PEER],
    system () {}, start () {},
    send () {}, sendNamed () {}, cast () {}, call () {}, reply () {}, replyError () {},
    link () {}, unlink () {}, exit () {}, monitor () {}, demonitor () {}, down () {}
  }
  return d
}

const report = new ReliabilityReport('hostile input')
afterAll(() => { report.print() })

/** Adds the scenario's row to the report, then asserts that every check passed. */
function verdict (scenario: string, faults: number, checks: InvariantCheck[], note?: string): void {
  report.add({ scenario, faults, checks, note })
  expect(checks.filter(c => c.problems.length > 0)).toEqual([])
}

describe('fuzzed frames, in process', () => {
  let core: CoreNode | undefined
  afterEach(() => {
    if (core !== undefined) forgetNode(core)
    core = undefined
  })

  it('parse and Peer fail only with ProtocolError or DecodeError, and reach only local processes (12,000 frames)', async () => {
    const dist = dropping()
    core = createNode({ name: HERE, creation: 1, distribution: dist, logger: silentLogger })
    // Live processes at the low ids the arbitraries aim at, so frames hit real mailboxes, links and monitors.
    for (let i = 0; i < 10; i++) spawn(async () => { await new Promise(() => {}) }, { node: core })
    const realHost = dist.host as DistributionHost
    const outcomes = new Map<string, number>()
    const count = (k: string): void => { outcomes.set(k, (outcomes.get(k) ?? 0) + 1) }

    fc.assert(fc.property(anyFrame, (bytes) => {
      let parsed = true
      try {
        parse(bytes)
      } catch (err) {
        parsed = false
        expect(['ProtocolError', 'DecodeError']).toContain((err as Error).name)
        count((err as Error).name)
      }
      if (parsed) count('parsed')

      const calls: HostCall[] = []
      const link = new FakeLink()
      new Peer(hello, link, recordingHost(calls), events, silentLogger('peer')).receive(bytes)
      if (!parsed) expect(link.closedWith).toBeDefined()
      if (link.closedWith !== undefined) expect(calls).toEqual([])
      for (const c of calls) {
        const target = localTarget(c)
        if (target instanceof Pid) expect(target.node).toBe(HERE)
        if (c.method === 'link' || c.method === 'unlink' || c.method === 'exitSignal') expect((c.args[1] as Pid).node).toBe(PEER)
      }

      // The same frame against a real core node: whatever it does, it does not throw.
      const realLink = new FakeLink()
      new Peer(hello, realLink, realHost, events, silentLogger('peer')).receive(bytes)
    }), { numRuns: 12_000, seed: FUZZ_SEED })

    await new Promise(resolve => setImmediate(resolve))
    console.log('fuzz outcomes', Object.fromEntries(outcomes))
    const atLeast = (k: string): string[] => (outcomes.get(k) ?? 0) > 1000 ? [] : [`only ${outcomes.get(k) ?? 0} frames ended ${k}`]
    verdict('fuzzed frames, in process', 12_000, [
      check('only typed errors, only local targets', []), // fc.assert above threw otherwise
      check('frames parsed, refused, undecodable (> 1000 each)', [...atLeast('parsed'), ...atLeast('ProtocolError'), ...atLeast('DecodeError')])
    ])
  })
})

// ---------------------------------------------------------------------------------------------
// over libp2p on loopback

interface Echo extends ServerTypes { state: null, calls: { ping: { reply: 'pong' } } }
const echo = defineServer<Echo>({ init: () => ({ state: null }), handleCall: { ping: (_r, _f, s) => ({ reply: 'pong', state: s }) } })

const SECRET = 'f3'.repeat(32)
let home: string
const nodes: ClusterNode[] = []
const raws: Libp2p[] = []
const quiet: LoggerFactory = () => ({ error () {}, warn () {}, info () {}, debug () {} })

async function pair (): Promise<{ a: ClusterNode, b: ClusterNode }> {
  const a = await startNode({ name: HERE, home, secret: SECRET, logger: quiet })
  nodes.push(a)
  const b = await startNode({ name: 'b@test', home, secret: SECRET, logger: quiet, seeds: [a.addresses[0] as string] })
  nodes.push(b)
  await b.joined
  await waitFor(() => a.nodes().length === 1, { timeout: 5000 })
  return { a, b }
}

async function rawNode (): Promise<Libp2p> {
  const { psk } = await loadClusterSecret({ home, secret: SECRET })
  const raw = await createLibp2p({ transports: [tcp()], connectionEncrypters: [admittedNoise(secretKeyOf(psk), quiet('raw'))], streamMuxers: [yamux()] })
  raws.push(raw)
  return raw
}

let redials = 0

/** Dials (or reuses the open connection), trying again a few times if libp2p's inbound rate limit refuses it. */
async function dialAgain (raw: Libp2p, address: string): Promise<Connection> {
  for (let tries = 1; ; tries++) {
    try {
      return await raw.dial(multiaddr(address))
    } catch (err) {
      if (tries >= 5) throw err
      redials++
      await new Promise(resolve => setTimeout(resolve, 1100))
    }
  }
}

function lengthPrefixed (payload: Uint8Array, length = payload.byteLength): Uint8Array {
  const out = new Uint8Array(4 + payload.byteLength)
  new DataView(out.buffer).setUint32(0, length)
  out.set(payload, 4)
  return out
}

function helloFrame (raw: Libp2p, name: string): Uint8Array {
  return lengthPrefixed(frame({ op: Op.Hello, hello: { version: VERSION, name, creation: 1, peerId: raw.peerId.toString(), addresses: [], hidden: true } }))
}

/** Resolves when the node has closed its end of the stream, or after `ms`. */
async function closedWithin (stream: Stream, ms: number): Promise<boolean> {
  if (stream.status !== 'open' || stream.remoteWriteStatus !== 'writable') return true
  return await new Promise<boolean>(resolve => {
    const timer = setTimeout(() => { resolve(false) }, ms)
    const done = (): void => { clearTimeout(timer); resolve(true) }
    stream.addEventListener('close', done, { once: true })
    stream.addEventListener('remoteCloseWrite', done, { once: true })
  })
}

async function stillServes (a: ClusterNode, b: ClusterNode, timeout = 5000): Promise<void> {
  const pid = await start(echo, undefined, { node: a.core })
  const reply = await probe(b.core).run(async () => await call(pid, { type: 'ping' }, { timeout }))
  expect(reply).toBe('pong')
}

const mib = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MiB`

/** Peers of `a` other than b@test (bad links it still keeps state for). */
function peersOtherThanB (a: ClusterNode): string[] {
  return [...a.membership.peers.keys()].filter(k => k !== 'b@test').map(k => `still has a peer ${k}`)
}

describe('hostile input over libp2p', () => {
  beforeEach(() => { home = mkdtempSync(join(tmpdir(), 'gen-cluster-fuzz-')) })
  afterEach(async () => {
    for (const r of raws.splice(0)) await r.stop()
    for (const n of nodes.splice(0)) await n.stop()
    rmSync(home, { recursive: true, force: true })
  })

  it('survives 300 fuzzed frames from secret-holding peers, each link closed at its first bad frame, and random bytes from outsiders', async () => {
    const { a, b } = await pair()
    const heapBefore = process.memoryUsage().heapUsed
    const frames = fc.sample(anyFrame, { numRuns: 300, seed: 42 })
    const raw = await rawNode()
    let links = 0
    let at = 0
    while (at < frames.length) {
      expect(links++).toBeLessThan(frames.length)
      // One connection, one stream per link (libp2p limits how fast one host may connect).
      const conn = await dialAgain(raw, a.addresses[0] as string)
      const stream = await conn.newStream(PROTOCOL)
      stream.send(helloFrame(raw, PEER))
      await waitFor(() => a.membership.peers.has(PEER), { timeout: 5000 })
      // Frames the node should accept, up to and including the first it should refuse (or a BYE).
      let refused = false
      while (at < frames.length && !refused) {
        const f = frames[at++] as Uint8Array
        refused = !accepts(f) || parse(f).op === Op.Bye
        stream.send(lengthPrefixed(f))
      }
      if (refused) expect(await closedWithin(stream, 5000)).toBe(true)
      await stream.close({ signal: AbortSignal.timeout(1000) }).catch(() => { stream.abort(new Error('done')) })
      await waitFor(() => !a.membership.peers.has(PEER), { timeout: 5000 })
    }
    // Outsiders: random bytes (and a fake length prefix) straight to the TCP port.
    const port = Number((a.addresses[0] as string).split('/')[4])
    for (const junk of fc.sample(fc.uint8Array({ minLength: 1, maxLength: 8192 }), { numRuns: 20, seed: 9 })) {
      await new Promise<void>((resolve) => {
        const s = connect(port, '127.0.0.1', () => { s.end(junk) })
        s.on('close', () => { resolve() })
        s.on('error', () => { resolve() })
      })
    }
    await stillServes(a, b)
    const growth = process.memoryUsage().heapUsed - heapBefore
    console.log(`fuzz over libp2p: ${frames.length} frames on ${links} links (${redials} redials), heap growth ${mib(growth)}`)
    verdict('fuzzed frames over libp2p + outsiders', frames.length + 20, [
      check('node up, serves another node', []), // stillServes threw otherwise
      check('no state kept for the bad links', peersOtherThanB(a)),
      check('heap growth under 128 MiB', growth < 128 * 1024 * 1024 ? [] : [`grew ${mib(growth)}`])
    ], `${links} links`)
  }, 40_000)

  it('drops the link and its partial frame when a peer sends a truncated frame and closes, or a frame over the maximum', async () => {
    const a = await startNode({ name: HERE, home, secret: SECRET, logger: quiet, maxFrameBytes: 64 * 1024 })
    nodes.push(a)
    const b = await startNode({ name: 'b@test', home, secret: SECRET, logger: quiet, seeds: [a.addresses[0] as string] })
    nodes.push(b)
    await b.joined
    const raw = await rawNode()
    const conn = await raw.dial(multiaddr(a.addresses[0] as string))
    for (const [i, tail] of [
      lengthPrefixed(new Uint8Array(0), 60 * 1024), // a header, then nothing
      lengthPrefixed(new Uint8Array(1000), 60 * 1024), // a part of a frame
      lengthPrefixed(encode([Op.Heartbeat])).subarray(0, 2), // half a header
      lengthPrefixed(encode(['x'.repeat(100 * 1024)])) // a whole frame over the maximum
    ].entries()) {
      const stream = await conn.newStream(PROTOCOL)
      const name = `cut${i}@test`
      stream.send(helloFrame(raw, name))
      await waitFor(() => a.membership.peers.has(name))
      stream.send(tail)
      if (i < 3) await stream.close()
      expect(await closedWithin(stream, 5000)).toBe(true)
      await waitFor(() => !a.membership.peers.has(name), { timeout: 5000 })
      if (i === 3) await stream.close().catch(() => { stream.abort(new Error('done')) })
    }
    await stillServes(a, b)
    verdict('truncated and oversize frames', 4, [check('node up, serves another node', []), check('no state kept for the cut links', peersOtherThanB(a))])
  })

  it('keeps serving another node while one peer floods it with SEND frames', async () => {
    const { a, b } = await pair()
    const sink = spawn(async () => { await new Promise(() => {}) }, { node: a.core })
    const ghost = new Pid(HERE, 999_999, a.core.creation)
    const echoPid = await start(echo, undefined, { node: a.core })
    const raw = await rawNode()
    const stream = await (await raw.dial(multiaddr(a.addresses[0] as string))).newStream(PROTOCOL)
    stream.send(helloFrame(raw, 'flood@test'))
    await waitFor(() => a.membership.peers.has('flood@test'))

    const batch = (to: Pid, n: number): Uint8Array => {
      const one = lengthPrefixed(frame({ op: Op.Send, to, message: { n: 1, pad: 'xxxxxxxxxxxxxxxx' }, from: undefined }))
      const out = new Uint8Array(one.length * n)
      for (let i = 0; i < n; i++) out.set(one, i * one.length)
      return out
    }
    const toGhost = batch(ghost, 500)
    const toSink = batch(sink, 500)
    const heapBefore = process.memoryUsage().heapUsed
    const maxFrames = 200_000
    const deadline = Date.now() + 10_000
    let sent = 0
    let calls = 0
    let flooding = true
    const caller = (async () => {
      while (flooding) {
        expect(await probe(b.core).run(async () => await call(echoPid, { type: 'ping' }, { timeout: 5000 }))).toBe('pong')
        calls++
      }
    })()
    const started = Date.now()
    while (sent < maxFrames && Date.now() < deadline && stream.status === 'open') {
      const ok = stream.send(sent % 1000 === 0 ? toGhost : toSink)
      sent += 500
      if (!ok) await new Promise(resolve => { stream.addEventListener('drain', resolve, { once: true }) })
      else await new Promise(resolve => setImmediate(resolve))
    }
    const writeSeconds = (Date.now() - started) / 1000
    // Every frame is handled: half were dropped (no such pid), half sit in the sink's mailbox.
    await waitFor(() => (processInfo(sink)?.messageQueueLength ?? 0) >= sent / 2, { timeout: 20_000 })
    const seconds = (Date.now() - started) / 1000
    flooding = false
    await caller
    const queued = processInfo(sink)?.messageQueueLength ?? 0
    const growth = process.memoryUsage().heapUsed - heapBefore
    console.log(`flood: ${sent} frames written in ${writeSeconds.toFixed(1)} s, handled in ${seconds.toFixed(1)} s (${Math.round(sent / seconds)}/s), ${calls} calls from b served meanwhile, sink mailbox ${queued}, heap growth ${mib(growth)}`)
    await stillServes(a, b)
    verdict('flood of SEND frames from one peer', sent, [
      check('every frame handled', queued === sent / 2 ? [] : [`sink holds ${queued} of ${sent / 2}`]),
      check('another node served meanwhile', calls > 0 ? [] : ['no call from b was answered during the flood']),
      check('the flooding link stays (it broke no rule)', a.membership.peers.has('flood@test') ? [] : ['the flooding peer was dropped'])
    ], `${Math.round(sent / seconds)} frames/s, heap +${mib(growth)}`)
  }, 50_000)
})
