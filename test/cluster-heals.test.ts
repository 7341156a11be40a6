/**
 * A cluster of `gen-cluster start` OS processes on 127.0.0.1 that heals by itself, judged as a user
 * judges it: by the `--json` events, the answers to `members` / `names` on stdin, and exit codes.
 * Every process is stopped by pid after each test (cli-kit), also when it failed.
 */
import { createServer } from 'node:net'
import { hostname } from 'node:os'
import { describe, expect, it } from 'vitest'
import { MAIN, runToEnd, startJson, tempHome } from './cli-kit.js'
import type { CliEvent, JsonNode } from './cli-kit.js'

/** A TCP port that was free a moment ago on 127.0.0.1. */
async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>(resolve => { server.listen(0, '127.0.0.1', resolve) })
  const port = (server.address() as { port: number }).port
  await new Promise<void>(resolve => { server.close(() => { resolve() }) })
  return port
}

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

async function within<T> (ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => { reject(new Error(`no ${what} within ${ms} ms`)) }, ms) })
  try { return await Promise.race([promise, late]) } finally { clearTimeout(timer) }
}

/** Asks a node on stdin; resolves with its next answer of that `event`. */
async function ask (node: JsonNode, command: string): Promise<CliEvent> {
  const seen = node.events.length
  node.proc.stdin!.write(`${command}\n`)
  return await within(5000, `answer to ${command}`, node.next(e => e.event === command && node.events.indexOf(e) >= seen))
}

/** What every node says: its pidlist and the holder of cluster `demo`. */
async function views (nodes: JsonNode[]): Promise<Array<{ pidlist: string[], holder: string | null }>> {
  return await Promise.all(nodes.map(async n => {
    const pidlist = (await ask(n, 'members')).pidlist as string[]
    const names = (await ask(n, 'names')).names as Array<{ name: string, holder: string | null }>
    return { pidlist, holder: names.find(x => x.name === 'gen_cluster:demo')?.holder ?? null }
  }))
}

/** Polls until every node has the same `size` pidlist and names the same holder, one of its members. */
async function converged (nodes: JsonNode[], size: number, ms: number): Promise<{ pidlist: string[], holder: string }> {
  const until = Date.now() + ms
  let last: Array<{ pidlist: string[], holder: string | null }> = []
  while (Date.now() < until) {
    last = await views(nodes)
    const [first] = last
    if (first !== undefined && first.holder !== null && first.pidlist.length === size && first.pidlist.includes(first.holder) &&
        last.every(v => v.holder === first.holder && JSON.stringify(v.pidlist) === JSON.stringify(first.pidlist))) {
      return { pidlist: first.pidlist, holder: first.holder }
    }
    await sleep(200)
  }
  throw new Error(`no single cluster within ${ms} ms: ${JSON.stringify(last)}`)
}

const ready = async (n: JsonNode): Promise<CliEvent> => await within(30_000, 'node:ready', n.next(e => e.event === 'node:ready' || e.event === 'error'))

describe('a restarted node is found again', () => {
  it('kill -9 and a restart with the original command line of each of five nodes in turn, the founder first: one cluster, one holder, equal pidlists after each', async () => {
    const home = tempHome()
    const ports = await Promise.all([1, 2, 3, 4, 5].map(async () => await freePort()))
    const seed = `127.0.0.1:${ports[0] as number}`
    const command = (i: number): string[] => ['--name', `n${i + 1}`, '--home', home, '--listen', `127.0.0.1:${ports[i] as number}`, ...(i === 0 ? [] : ['--seed', seed])]
    const nodes: JsonNode[] = []
    for (let i = 0; i < 5; i++) {
      nodes.push(startJson(command(i)))
      expect(await ready(nodes[i] as JsonNode)).toMatchObject({ event: 'node:ready' })
    }
    await converged(nodes, 5, 10_000)
    for (let i = 0; i < 5; i++) {
      process.kill((nodes[i] as JsonNode).proc.pid as number, 'SIGKILL')
      await new Promise(resolve => (nodes[i] as JsonNode).proc.once('exit', resolve))
      nodes[i] = startJson(command(i))
      expect(await ready(nodes[i] as JsonNode)).toMatchObject({ event: 'node:ready' })
      const started = Date.now()
      const view = await converged(nodes, 5, 15_000)
      process.stdout.write(`figure: restart of n${i + 1}: one cluster again ${Date.now() - started} ms after its node:ready, holder ${view.holder}\n`)
    }
  }, 180_000)
})

describe('one running node per identity', () => {
  it('refuses a second start of a name from the same home with one line, and leaves the running node undisturbed', async () => {
    const home = tempHome()
    const a = startJson(['--name', 'solo', '--home', home])
    await ready(a)
    await a.next(e => e.event === 'name:registered')
    const second = await runToEnd(MAIN, ['start', '--name', 'solo', '--home', home])
    expect(second.code).toBe(1)
    expect(second.stderr.trim().split('\n')).toHaveLength(1)
    expect(second.stderr).toMatch(new RegExp(`node solo@${hostname()} already runs from .* \\(OS process ${a.proc.pid as number}\\)`))
    await sleep(500)
    expect(a.events.filter(e => e.event === 'node:down' || e.event === 'name:conflict')).toEqual([])
    expect(a.proc.exitCode).toBe(null)
    expect((await views([a]))[0]?.holder).toBe((a.events.find(e => e.event === 'node:ready') as CliEvent).member)
  })

  it('refuses a node of a connected name from another home (another key) with one line, and the running node keeps its place and the name', async () => {
    const secretHome = tempHome()
    const first = startJson(['--name', 'twin', '--home', secretHome])
    const r = await ready(first)
    await first.next(e => e.event === 'name:registered')
    const hub = startJson(['--name', 'hub', '--home', secretHome, '--seed', (r.addresses as string[])[0] as string])
    const seed = ((await ready(hub)).addresses as string[])[0] as string
    const other = tempHome()
    // Through a seed that is connected to the running twin, and through the running twin itself.
    for (const through of [seed, (r.addresses as string[])[0] as string]) {
      const dup = await runToEnd(MAIN, ['start', '--name', 'twin', '--home', other, '--secret-file', `${secretHome}/secret`, '--seed', through, '--join-timeout', '10'])
      expect(dup.code).toBe(1)
      expect(dup.stderr.trim().split('\n')).toHaveLength(1)
      expect(dup.stderr).toMatch(through === seed ? /refused this node: hub@.* is connected to another node named twin@/ : /refused this node: another node named twin@\S+ \(another key/)
    }
    await sleep(500)
    expect(first.events.filter(e => e.event === 'node:down' || e.event === 'name:conflict')).toEqual([])
    expect(hub.events.filter(e => e.event === 'node:down' || e.event === 'name:conflict')).toEqual([])
    expect((await views([first, hub])).map(v => v.holder)).toEqual([r.member, r.member])
  })
})

describe('gen-cluster start and signals, and --listen', () => {
  it('leaves cleanly on SIGTERM sent at once after node:ready (exit 0, the peer sees a normal leave)', async () => {
    const home = tempHome()
    const a = startJson(['--name', 'a', '--home', home])
    const r = await ready(a)
    for (let i = 0; i < 3; i++) {
      const b = startJson(['--name', `b${i}`, '--home', home, '--seed', (r.addresses as string[])[0] as string])
      const rb = await ready(b)
      b.proc.kill('SIGTERM')
      expect(await new Promise(resolve => b.proc.once('exit', resolve))).toBe(0)
      expect(b.events.at(-1)).toMatchObject({ event: 'stopped', why: 'SIGTERM' })
      expect(await within(5000, 'member:leave', a.next(e => e.event === 'member:leave' && e.pid === rb.member))).toMatchObject({ info: 'normal' })
    }
  }, 60_000)

  it('leaves cleanly on SIGTERM while it is still joining (exit 0, no node:ready)', async () => {
    const b = startJson(['--name', 'b', '--home', tempHome(), '--seed', `127.0.0.1:${await freePort()}`])
    await within(10_000, 'node:joining', b.next(e => e.event === 'node:joining'))
    b.proc.kill('SIGTERM')
    expect(await new Promise(resolve => b.proc.once('exit', resolve))).toBe(0)
    expect(b.events.some(e => e.event === 'node:ready')).toBe(false)
    expect(b.events.at(-1)).toMatchObject({ event: 'stopped', why: 'SIGTERM' })
  })

  it('says in one line that a --listen host is not an address of this machine', async () => {
    const r = await runToEnd(MAIN, ['start', '--name', 'a', '--home', tempHome(), '--listen', '192.0.2.1:4000'])
    expect(r.code).toBe(1)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(/the --listen host is not an address of this machine/)
    expect(r.stderr).not.toMatch(/faultTolerance|NO_FATAL/)
  })
})
