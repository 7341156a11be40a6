/**
 * Echo round trips between two OS processes on 127.0.0.1. Not a test: it prints, it asserts nothing.
 *
 *   tcp_echo_8B, tcp_echo_1MiB: raw TCP in Node (`net`), 4-byte big-endian length framing
 *   libp2p_echo_8B, libp2p_echo_1MiB: one libp2p stream over tcp + pnet + noise + yamux, same framing
 *   tcp_burst64_8B, libp2p_burst64_8B: 64 framed 8-byte requests sent back to back (one write or
 *     stream.send each), then all 64 replies awaited; time per request (throughput, not latency)
 *   libp2p_dial: first dialProtocol (TCP connect, pnet nonces, noise XX, yamux, multistream-select)
 *
 * Each echo is a call: the client sends one framed request, the server waits for the whole of it,
 * then sends it back as one reply, and the client waits for the whole reply. Figures are the median
 * of the per-round means, printed as `name: value unit` (`--json` for one JSON object).
 *
 * The server is a child process (`process.execPath` running this file with `--serve`, with this
 * process's node flags, so `node --cpu-prof dist/bench/echo.js` profiles both sides). It is ended by
 * pid at the end and on error, and it exits by itself when its stdin closes or its time is up. It
 * reports its ports on fd 3; its stdout and stderr are the parent's.
 *
 * Options: --json, --quick (fewer rounds), --time-limit=<s> (default 90), --only=tcp|libp2p,
 * --size=small|large (only the 8-byte or only the 1 MiB echoes),
 * --yamux=<json> (init passed to yamux() on both sides), --tcp=<json> (init passed to tcp()),
 * --no-pnet (leave out the pnet connection protector, to see what it costs), --untuned (leave out the
 * transport's adjustments of `src/stack-tuning.ts`, which the libp2p echo otherwise gets as the
 * cluster's links do).
 *
 * On a small VM the figures depend on whether the two processes share a core (no cross-core
 * wake-ups) or not, which the scheduler decides run by run. `taskset -c 0 node dist/bench/echo.js`
 * pins both to one core, and then a round trip measures the CPU cost of both sides;
 * `taskset -c 0 node dist/bench/echo.js --server-cpus=1` (Linux, runs the server under
 * `taskset -c 1`) keeps them on two cores, like two machines.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { writeSync } from 'node:fs'
import net from 'node:net'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { generateKey, preSharedKey } from '@libp2p/pnet'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import type { Libp2p, Stream } from '@libp2p/interface'
import { tunedEncrypter, tuneYamuxStream } from '../src/stack-tuning.js'

const PROTOCOL = '/gen-cluster/bench-echo/1.0.0'
const SMALL = 8
const LARGE = 1 << 20
/** Requests sent back to back, before waiting for all their replies, in the burst figures. */
const BURST = 64
const argv = process.argv.slice(2)
const flag = (name: string): boolean => argv.includes(`--${name}`)
const option = (name: string): string | undefined =>
  argv.find(a => a.startsWith(`--${name}=`))?.slice(name.length + 3)

const json = flag('json')
const quick = flag('quick')
const only = option('only')
const size = option('size')
const small = size !== 'large'
const large = size !== 'small'
const timeLimitMs = Number(option('time-limit') ?? 90) * 1000
const yamuxInit = JSON.parse(option('yamux') ?? '{}') as Parameters<typeof yamux>[0]
const noPnet = flag('no-pnet')
const untuned = flag('untuned')
const missed = (what: string, why: string): void => { process.stderr.write(`echo: ${what} not adjusted: ${why}\n`) }
const tune = (stream: Stream): Stream => { if (!untuned) tuneYamuxStream(stream, missed); return stream }
const serverCpus = option('server-cpus')
const tcpInit = JSON.parse(option('tcp') ?? '{}') as Parameters<typeof tcp>[0]
const OP_TIMEOUT_MS = 10_000

function median (xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)] as number
}

function frame (size: number): Uint8Array {
  const buf = new Uint8Array(4 + size)
  new DataView(buf.buffer).setUint32(0, size)
  for (let i = 4; i < buf.length; i++) buf[i] = i & 0xff
  return buf
}

/** Reassembles 4-byte length-prefixed frames from chunks; a frame comes out as one Uint8Array, prefix included. */
class FrameReader {
  private chunks: Uint8Array[] = []
  private have = 0
  private need = -1

  /** Adds a chunk; returns the frames it completes. */
  push (chunk: Uint8Array): Uint8Array[] {
    if (chunk.byteLength === 0) return []
    this.chunks.push(chunk)
    this.have += chunk.byteLength
    const out: Uint8Array[] = []
    for (;;) {
      if (this.need < 0) {
        if (this.have < 4) break
        const head = this.chunks[0] as Uint8Array
        const h = head.byteLength >= 4 ? head : Buffer.concat(this.chunks, this.have)
        this.need = 4 + new DataView(h.buffer, h.byteOffset, 4).getUint32(0)
      }
      if (this.have < this.need) break
      const all = this.chunks.length === 1 ? this.chunks[0] as Uint8Array : Buffer.concat(this.chunks, this.have)
      out.push(all.subarray(0, this.need))
      const rest = all.subarray(this.need)
      this.chunks = rest.byteLength > 0 ? [rest] : []
      this.have = rest.byteLength
      this.need = -1
    }
    return out
  }
}

/** Counts the bytes of one reply of known size: the client only needs to know when it is complete. */
class ReplyWaiter {
  private remaining = 0
  private resolve: (() => void) | undefined
  private reject: ((err: Error) => void) | undefined
  private timer: NodeJS.Timeout | undefined

  expect (bytes: number): Promise<void> {
    this.remaining = bytes
    return new Promise<void>((resolve, reject) => {
      this.resolve = resolve
      this.reject = reject
      this.timer = setTimeout(() => { this.fail(new Error(`no reply of ${bytes} bytes within ${OP_TIMEOUT_MS} ms`)) }, OP_TIMEOUT_MS)
    })
  }

  /** Sends with `send` and waits for `bytes` bytes back; a throwing `send` rejects, and leaves no promise behind. */
  async roundTrip (bytes: number, send: () => unknown): Promise<void> {
    const reply = this.expect(bytes)
    try {
      send()
    } catch (err) {
      this.settle()
      reply.catch(() => {})
      throw err
    }
    await reply
  }

  data (bytes: number): void {
    this.remaining -= bytes
    if (this.remaining <= 0 && this.resolve !== undefined) {
      const resolve = this.resolve
      this.settle()
      resolve()
    }
  }

  fail (err: Error): void {
    const reject = this.reject
    this.settle()
    reject?.(err)
  }

  private settle (): void {
    clearTimeout(this.timer)
    this.resolve = undefined
    this.reject = undefined
  }
}

function chunksOf (data: Uint8Array | Iterable<Uint8Array>): Iterable<Uint8Array> {
  return data instanceof Uint8Array ? [data] : data
}

function makeLibp2p (psk: Uint8Array, listen: boolean): Promise<Libp2p> {
  return createLibp2p({
    addresses: { listen: listen ? ['/ip4/127.0.0.1/tcp/0'] : [] },
    transports: [tcp(tcpInit)],
    connectionEncrypters: [untuned ? noise() : tunedEncrypter(noise(), missed)],
    streamMuxers: [yamux(yamuxInit)],
    ...(noPnet ? {} : { connectionProtector: preSharedKey({ psk }) })
  })
}

// ---------------------------------------------------------------------------------------------
// Server (child process)

async function serve (): Promise<void> {
  const psk = Buffer.from(process.env.GEN_CLUSTER_BENCH_PSK ?? '', 'base64')
  const lifetime = setTimeout(() => { process.exit(2) }, timeLimitMs + 30_000)

  const tcpServer = net.createServer({ noDelay: true }, socket => {
    const reader = new FrameReader()
    socket.on('data', chunk => { for (const f of reader.push(chunk)) socket.write(f) })
    socket.on('error', () => { socket.destroy() })
  })
  await new Promise<void>(resolve => { tcpServer.listen(0, '127.0.0.1', resolve) })

  const node = await makeLibp2p(psk, true)
  await node.handle(PROTOCOL, (stream: Stream) => {
    tune(stream)
    const reader = new FrameReader()
    stream.addEventListener('message', evt => {
      for (const chunk of chunksOf(evt.data)) {
        for (const f of reader.push(chunk)) stream.send(f)
      }
    })
  })

  let ending = false
  const end = (): void => {
    if (ending) return
    ending = true
    clearTimeout(lifetime)
    tcpServer.close()
    const stopped = Promise.resolve(node.stop())
    const hard = setTimeout(() => { process.exit(0) }, 2000)
    stopped.finally(() => { clearTimeout(hard); process.exit(0) }).catch(() => {})
  }
  process.on('SIGTERM', end)
  process.on('SIGINT', end)
  process.stdin.on('end', end)
  process.stdin.on('error', end)
  process.stdin.resume()

  const port = (tcpServer.address() as net.AddressInfo).port
  // fd 3 is the parent's pipe for this line, so that the server's stdout is free for node's own output (--trace-gc)
  writeSync(3, JSON.stringify({ tcp: port, libp2p: node.getMultiaddrs().map(String) }) + '\n')
}

// ---------------------------------------------------------------------------------------------
// Client (parent process)

interface ServerInfo { tcp: number, libp2p: string[] }

async function startServer (psk: Uint8Array): Promise<{ child: ChildProcess, info: ServerInfo }> {
  const file = fileURLToPath(import.meta.url)
  const args = [...process.execArgv, file, '--serve', ...argv]
  const child = spawn(serverCpus === undefined ? process.execPath : 'taskset', serverCpus === undefined ? args : ['-c', serverCpus, process.execPath, ...args], {
    stdio: ['pipe', 'inherit', 'inherit', 'pipe'],
    env: { ...process.env, GEN_CLUSTER_BENCH_PSK: Buffer.from(psk).toString('base64') }
  })
  const info = await new Promise<ServerInfo>((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error('server did not start within 20 s')) }, 20_000)
    const lines = createInterface({ input: child.stdio[3] as NodeJS.ReadableStream })
    lines.once('line', line => { clearTimeout(timer); resolve(JSON.parse(line) as ServerInfo) })
    child.once('exit', code => { clearTimeout(timer); reject(new Error(`server exited with ${code}`)) })
    child.once('error', err => { clearTimeout(timer); reject(err) })
  }).catch(async err => { await endServer(child); throw err })
  return { child, info }
}

async function endServer (child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>(resolve => { child.once('exit', () => { resolve() }) })
  process.kill(child.pid, 'SIGTERM')
  const timer = setTimeout(() => {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL')
  }, 5000)
  await exited
  clearTimeout(timer)
}

/**
 * Runs `rounds` rounds of `n` sequential echoes of `size` bytes, after `warmup` echoes, and returns
 * the median of the per-round means in µs. Stops early (with at least one round) at the deadline.
 */
async function measure (echo: () => Promise<void>, n: number, rounds: number, warmup: number, deadline: number): Promise<number> {
  for (let i = 0; i < warmup && performance.now() < deadline; i++) await echo()
  const out: number[] = []
  for (let r = 0; r < rounds; r++) {
    if (out.length > 0 && performance.now() > deadline) break
    const t = performance.now()
    let i = 0
    for (; i < n; i++) {
      await echo()
      if (performance.now() > deadline && i > 0) { i++; break }
    }
    out.push((performance.now() - t) * 1000 / i)
  }
  return median(out)
}

type Figure = [string, number, string]

async function benchTcp (port: number, deadline: number): Promise<Figure[]> {
  const socket = net.connect({ host: '127.0.0.1', port, noDelay: true })
  await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject) })
  const waiter = new ReplyWaiter()
  socket.on('data', chunk => { waiter.data(chunk.byteLength) })
  socket.on('error', err => { waiter.fail(err) })
  const echoOf = (req: Uint8Array) => async (): Promise<void> => {
    await waiter.roundTrip(req.byteLength, () => socket.write(req))
  }
  const burstOf = (req: Uint8Array) => async (): Promise<void> => {
    await waiter.roundTrip(req.byteLength * BURST, () => { for (let k = 0; k < BURST; k++) socket.write(req) })
  }
  try {
    const out: Figure[] = []
    if (small) out.push(['tcp_echo_8B', await measure(echoOf(frame(SMALL)), quick ? 2000 : 5000, quick ? 3 : 7, 1000, deadline), 'us'])
    if (small) out.push(['tcp_burst64_8B', await measure(burstOf(frame(SMALL)), quick ? 100 : 300, quick ? 3 : 7, 50, deadline) / BURST, 'us'])
    if (large) out.push(['tcp_echo_1MiB', await measure(echoOf(frame(LARGE)), quick ? 10 : 30, quick ? 3 : 7, 5, deadline) / 1000, 'ms'])
    return out
  } finally {
    socket.destroy()
  }
}

async function benchLibp2p (psk: Uint8Array, addrs: string[], deadline: number): Promise<Figure[]> {
  const node = await makeLibp2p(psk, false)
  try {
    const t = performance.now()
    const stream = tune(await node.dialProtocol(multiaddr(addrs[0] as string), PROTOCOL, { signal: AbortSignal.timeout(OP_TIMEOUT_MS) }))
    const dial = performance.now() - t
    const waiter = new ReplyWaiter()
    stream.addEventListener('message', evt => { waiter.data(evt.data.byteLength) })
    stream.addEventListener('close', evt => { waiter.fail(evt.error ?? new Error('stream closed')) })
    const echoOf = (req: Uint8Array) => async (): Promise<void> => {
      await waiter.roundTrip(req.byteLength, () => stream.send(req))
    }
    const burstOf = (req: Uint8Array) => async (): Promise<void> => {
      await waiter.roundTrip(req.byteLength * BURST, () => { for (let k = 0; k < BURST; k++) stream.send(req) })
    }
    const out: Figure[] = [['libp2p_dial', dial, 'ms']]
    if (small) out.push(['libp2p_echo_8B', await measure(echoOf(frame(SMALL)), quick ? 1000 : 3000, quick ? 3 : 7, 500, deadline), 'us'])
    if (small) out.push(['libp2p_burst64_8B', await measure(burstOf(frame(SMALL)), quick ? 50 : 150, quick ? 3 : 7, 20, deadline) / BURST, 'us'])
    if (large) out.push(['libp2p_echo_1MiB', await measure(echoOf(frame(LARGE)), quick ? 5 : 15, quick ? 3 : 7, 3, deadline) / 1000, 'ms'])
    return out
  } finally {
    await node.stop()
  }
}

async function main (): Promise<void> {
  const start = performance.now()
  const psk = new Uint8Array(95)
  generateKey(psk)
  const { child, info } = await startServer(psk)
  const figures: Figure[] = []
  try {
    // TCP gets at most 30 % of the time when both run, so that libp2p is not starved.
    const tcpDeadline = only === 'tcp' ? start + timeLimitMs : start + timeLimitMs * 0.3
    if (only !== 'libp2p') figures.push(...await benchTcp(info.tcp, tcpDeadline))
    if (only !== 'tcp') figures.push(...await benchLibp2p(psk, info.libp2p, start + timeLimitMs))
  } finally {
    await endServer(child)
  }
  if (json) {
    process.stdout.write(JSON.stringify(Object.fromEntries(figures.map(([k, v, u]) => [k, { value: v, unit: u }]))) + '\n')
  } else {
    for (const [k, v, u] of figures) process.stdout.write(`${k}: ${v.toFixed(u === 'us' ? 1 : 3)} ${u}\n`)
  }
}

if (flag('serve')) {
  await serve()
} else {
  await main()
}
