/**
 * The small sequential remote-call loop, importing gen-cluster by package name only, so that the
 * same file runs wherever `@gen-cluster/core` and `@gen-cluster/cluster` resolve: in this workspace,
 * in another checkout, or in an app that installed the packed tarballs (`installed.ts` copies it
 * there). Two nodes in two OS processes on 127.0.0.1; a process on the client node calls an echo
 * server on the other node, one call at a time.
 *
 *   remote_call_int: µs per sequential call carrying an integer, median of `--rounds` (default 5)
 *   rounds of `--calls` (default 3000) calls, after 1000 warm-up calls
 *   remote_call_int_cpu: CPU time (user + system) of both processes per call over those rounds, µs;
 *   other load on a shared machine stretches it far less than the wall-clock figure
 *
 * The server is a child process (this file with `--serve`), ended by pid at the end and on error; it
 * also exits when its stdin closes. Prints `name: value unit` lines, or one JSON object (`--json`).
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { call, defineServer, Pid, silentLogger, start } from '@gen-cluster/core'
import type { IdentityTuple, ServerTypes } from '@gen-cluster/core'
import { probe } from '@gen-cluster/core/testing'
import { startNode } from '@gen-cluster/cluster'

interface Echo extends ServerTypes {
  calls: { echo: { request: { value: unknown }, reply: unknown }, cpu: { reply: number } }
}

/** CPU time of this process so far, µs. */
const cpuNow = (): number => { const u = process.cpuUsage(); return u.user + u.system }

const echo = defineServer<Echo>({
  init: () => ({ state: undefined }),
  handleCall: {
    echo: (r, _f, s) => ({ reply: r.value, state: s }),
    cpu: (_r, _f, s) => ({ reply: cpuNow(), state: s })
  }
})

const SECRET = 'bf'.repeat(32)
const { values: opts } = parseArgs({
  options: {
    serve: { type: 'string' },
    json: { type: 'boolean', default: false },
    calls: { type: 'string', default: '3000' },
    rounds: { type: 'string', default: '5' }
  }
})

async function serve (home: string): Promise<void> {
  const node = await startNode({ name: 'server@loop', home, secret: SECRET, logger: silentLogger })
  const pid = await start(echo, undefined, { node: node.core })
  process.stdout.write(JSON.stringify({ address: node.addresses[0], echo: pid.toJSON() }) + '\n')
  process.stdin.on('end', () => { void node.stop().then(() => process.exit(0)) })
  process.stdin.resume()
  setTimeout(() => { process.exit(0) }, 10 * 60_000).unref()
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number

async function main (): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'gen-cluster-loop-'))
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--serve', home], { stdio: ['pipe', 'pipe', 'inherit'] })
  let ended = false
  const end = (): void => {
    if (ended || child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return
    ended = true
    try { process.kill(child.pid, 'SIGTERM') } catch {}
  }
  process.on('exit', end)
  try {
    const info = await new Promise<{ address: string, echo: { pid: IdentityTuple } }>((resolve, reject) => {
      createInterface({ input: child.stdout }).once('line', (line) => { resolve(JSON.parse(line)) })
      child.once('exit', () => { reject(new Error('server exited early')) })
    })
    const node = await startNode({ name: 'client@loop', home, secret: SECRET, logger: silentLogger, seeds: [info.address] })
    await node.joined
    const target = Pid.from(info.echo)
    const p = probe(node.core)
    const n = Number(opts.calls)
    for (let i = 0; i < 1000; i++) await p.run(async () => await call(target, { type: 'echo', value: 42 }))
    const rounds: number[] = []
    const serverCpu0 = await p.run(async () => await call(target, { type: 'cpu' })) as number
    const cpu0 = cpuNow()
    for (let r = 0; r < Number(opts.rounds); r++) {
      const t = performance.now()
      for (let i = 0; i < n; i++) await p.run(async () => await call(target, { type: 'echo', value: 42 }))
      rounds.push((performance.now() - t) * 1000 / n)
    }
    const cpu = cpuNow() - cpu0 + (await p.run(async () => await call(target, { type: 'cpu' })) as number) - serverCpu0
    await node.stop()
    child.stdin.end()
    const value = median(rounds)
    const perCall = cpu / (n * rounds.length)
    if (opts.json) process.stdout.write(JSON.stringify({ remote_call_int: { value, unit: 'us/op', rounds }, remote_call_int_cpu: { value: perCall, unit: 'us/op' } }) + '\n')
    else process.stdout.write(`remote_call_int: ${value.toFixed(1)} us/op\nremote_call_int_cpu: ${perCall.toFixed(1)} us/op\n`)
  } finally {
    end()
    rmSync(home, { recursive: true, force: true })
  }
}

if (opts.serve !== undefined) await serve(opts.serve)
else await main()
