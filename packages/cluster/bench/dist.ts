/**
 * `pnpm bench:dist`: distribution figures between two nodes in two OS processes on 127.0.0.1.
 * Not a test: it prints, it asserts nothing.
 *
 *   remote_call_int / _string / _pid / _1MiB: sequential GenServer call to the other node, µs/op
 *   pairs_120: 120 callers on this node, each calling its own server on the other node, calls/s
 *   remote_cast: casts from one process to a server on the other node, msgs/s
 * followed by the floor of the stack beneath, from `echo.js` (same machine, same run): a libp2p
 * (tcp + noise + yamux, the stack the cluster uses) echo and a raw TCP echo, for 8 bytes and 1 MiB.
 *
 * The server node is a child process (this file with `--serve`), ended by pid at the end and on
 * error; it also exits when its stdin closes. Lines are `name: value unit`; `--json` prints one
 * JSON object. `--quick` runs fewer iterations.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { call, cast, defineServer, Pid, silentLogger, start } from '@gen-cluster/core'
import type { IdentityTuple, ServerTypes } from '@gen-cluster/core'
import { probe } from '@gen-cluster/core/testing'
import { startNode } from '../src/index.js'

interface Echo extends ServerTypes {
  state: number
  calls: { echo: { request: { value: unknown }, reply: unknown }, count: { reply: number } }
  casts: { hit: {} }
}

const echo = defineServer<Echo>({
  init: () => ({ state: 0 }),
  handleCall: {
    echo: (r, _f, n) => ({ reply: r.value, state: n }),
    count: (_r, _f, n) => ({ reply: n, state: n })
  },
  handleCast: { hit: (_m, n) => ({ state: n + 1 }) }
})

const SECRET = 'be'.repeat(32)
const argv = process.argv.slice(2)
const json = argv.includes('--json')
const quick = argv.includes('--quick')

async function serve (home: string): Promise<void> {
  const node = await startNode({ name: 'server@bench', home, secret: SECRET, logger: silentLogger })
  const main = await start(echo, undefined, { node: node.core })
  const pairs: Pid[] = []
  for (let i = 0; i < 120; i++) pairs.push(await start(echo, undefined, { node: node.core }))
  process.stdout.write(JSON.stringify({ address: node.addresses[0], echo: main.toJSON(), pairs: pairs.map(p => p.toJSON()) }) + '\n')
  process.stdin.on('end', () => { void node.stop().then(() => process.exit(0)) })
  process.stdin.resume()
  setTimeout(() => { process.exit(0) }, 10 * 60_000).unref()
}

function median (xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)] as number
}

async function main (): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'gen-cluster-bench-'))
  const self = fileURLToPath(import.meta.url)
  const child = spawn(process.execPath, [self, '--serve', home], { stdio: ['pipe', 'pipe', 'inherit'] })
  const end = (): void => { if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGTERM') }
  process.on('exit', end)
  try {
    const info = await new Promise<{ address: string, echo: { pid: IdentityTuple }, pairs: Array<{ pid: IdentityTuple }> }>((resolve, reject) => {
      createInterface({ input: child.stdout! }).once('line', (line) => { resolve(JSON.parse(line)) })
      child.once('exit', () => { reject(new Error('server exited early')) })
    })
    const node = await startNode({ name: 'client@bench', home, secret: SECRET, logger: silentLogger, seeds: [info.address] })
    await node.joined
    const target = Pid.from(info.echo)
    const p = probe(node.core)
    const figures: Array<[string, number, string]> = []

    const seq = async (name: string, value: unknown, n: number): Promise<void> => {
      for (let i = 0; i < Math.min(1000, n); i++) await p.run(async () => await call(target, { type: 'echo', value }))
      const rounds: number[] = []
      for (let r = 0; r < 5; r++) {
        const t = performance.now()
        for (let i = 0; i < n; i++) await p.run(async () => await call(target, { type: 'echo', value }))
        rounds.push((performance.now() - t) * 1000 / n)
      }
      figures.push([name, median(rounds), 'us/op'])
    }
    await seq('remote_call_int', 42, quick ? 500 : 3000)
    await seq('remote_call_string', 'x'.repeat(100), quick ? 500 : 3000)
    await seq('remote_call_pid', target, quick ? 500 : 3000)
    await seq('remote_call_1MiB', new Uint8Array(1 << 20), quick ? 10 : 50)

    // 120 pairs: each caller process loops on its own server for a fixed time.
    const servers = info.pairs.map(x => Pid.from(x))
    const ms = quick ? 1000 : 3000
    let done = 0
    const stopAt = performance.now() + ms
    const t0 = performance.now()
    await Promise.all(servers.map(async (srv) => {
      const caller = probe(node.core)
      while (performance.now() < stopAt) {
        await caller.run(async () => await call(srv, { type: 'echo', value: 1 }))
        done++
      }
    }))
    figures.push(['pairs_120', done / ((performance.now() - t0) / 1000), 'calls/s'])

    // Casts: one sender, one server; the count call after them waits until all are handled.
    const castRounds: number[] = []
    const castN = quick ? 50_000 : 200_000
    let expected = await p.run(async () => await call(target, { type: 'count' })) as number
    for (let r = 0; r < 3; r++) {
      const t = performance.now()
      for (let i = 0; i < castN; i++) {
        p.run(() => { cast(target, { type: 'hit' }) })
        if ((i & 4095) === 0) await new Promise(resolve => setImmediate(resolve))
      }
      const count = await p.run(async () => await call(target, { type: 'count' }, 60_000))
      expected += castN
      if (count !== expected) throw new Error(`lost casts: ${count} of ${expected}`)
      castRounds.push(castN / ((performance.now() - t) / 1000))
    }
    figures.push(['remote_cast', median(castRounds), 'msgs/s'])
    await node.stop()
    child.stdin?.end()

    // The floor: libp2p and raw TCP echoes between two processes, measured now.
    const echoBench = fileURLToPath(new URL('./echo.js', import.meta.url))
    const floor = await new Promise<Record<string, { value: number, unit: string }>>((resolve, reject) => {
      const e = spawn(process.execPath, [echoBench, '--json', '--no-pnet', ...(quick ? ['--quick'] : [])], { stdio: ['ignore', 'pipe', 'inherit'] })
      let out = ''
      e.stdout.on('data', (d: Buffer) => { out += d.toString() })
      e.once('exit', () => { try { resolve(JSON.parse(out.trim().split('\n').at(-1) ?? '{}')) } catch (err) { reject(err) } })
    })
    for (const [k, v] of Object.entries(floor)) figures.push([k, v.value, v.unit])

    if (json) process.stdout.write(JSON.stringify(Object.fromEntries(figures.map(([k, v, u]) => [k, { value: v, unit: u }]))) + '\n')
    else for (const [k, v, u] of figures) process.stdout.write(`${k}: ${u.endsWith('/s') ? Math.round(v) : v.toFixed(1)} ${u}\n`)
  } finally {
    end()
    rmSync(home, { recursive: true, force: true })
  }
}

if (argv[0] === '--serve') await serve(argv[1] as string)
else await main()
