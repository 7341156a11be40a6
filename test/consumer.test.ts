/**
 * A user's app, as a user builds it: the packages packed as for publishing, installed with npm in an
 * app outside the workspace (with TypeScript and @types/node from the registry), the app in
 * `consumer-app/` compiled as strict TypeScript against the installed types, and run as OS processes
 * on 127.0.0.1. Every process is stopped by pid after each test, also when it failed.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launch, spawnTracked, watchJson } from './cli-kit.js'
import type { CliEvent, JsonNode } from './cli-kit.js'
import { npmApp, packAll, ROOT } from './pack-kit.js'

let work: string
let app: string
let home: string

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'gen-cluster-consumer-pack-'))
  home = mkdtempSync(join(tmpdir(), 'gen-cluster-consumer-home-'))
  const tarballs = packAll(work)
  app = npmApp([...tarballs.values(), 'typescript@5.9.3', '@types/node@24.19.2'])
  cpSync(join(ROOT, 'test', 'consumer-app'), app, { recursive: true })
}, 300_000)
afterAll(() => {
  for (const dir of [work, app, home]) if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

/** `promise`, or a failure naming `what` and the process's stderr after `ms`. */
async function within<T> (ms: number, what: string, node: JsonNode, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => { reject(new Error(`no ${what} within ${ms} ms; stderr: ${node.stderr()}`)) }, ms)
  })
  try { return await Promise.race([promise, timeout]) } finally { clearTimeout(timer) }
}

/** One node of the app: `node dist/node.js …` under this Node. */
function appNode (name: string, extra: string[] = []): JsonNode {
  return watchJson(launch(join(app, 'dist', 'node.js'), ['--name', name, '--home', home, ...extra]))
}

/** Sends a command and waits for the first event after it that `match`es. */
async function ask (node: JsonNode, cmd: object, match: (e: CliEvent) => boolean): Promise<CliEvent> {
  const seen = node.events.length
  node.proc.stdin!.write(JSON.stringify(cmd) + '\n')
  return await within(10_000, `answer to ${JSON.stringify(cmd)}`, node, node.next(e => node.events.indexOf(e) >= seen && (match(e) || e.event === 'error')))
}

const ready = async (node: JsonNode): Promise<CliEvent> => await within(20_000, 'ready', node, node.next(e => e.event === 'ready'))
const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

describe('an app that installs the packed packages with npm', () => {
  it('compiles as strict TypeScript against the installed types (exactOptionalPropertyTypes, no skipLibCheck), which refuse wrong calls', () => {
    const tsc = spawnSync(process.execPath, [join(app, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', app], { cwd: app, encoding: 'utf8' })
    expect(tsc.stdout + tsc.stderr).toBe('')
    expect(tsc.status).toBe(0)
    const resolved = execFileSync(process.execPath, ['--input-type=module', '-e', "console.log(import.meta.resolve('@gen-cluster/cluster'))"], { cwd: app, encoding: 'utf8' })
    expect(resolved).toContain(join(app, 'node_modules'))
  }, 120_000)

  it('runs three OS-process nodes: a join through a seed, a global name called from another node, a cast from outside a process, kill -9 of the holder and exactly one takeover', async () => {
    const n1 = appNode('n1', ['--counter'])
    const r1 = await ready(n1)
    const seed = (r1.addresses as string[])[0] as string
    const n2 = appNode('n2', ['--seed', seed])
    const r2 = await ready(n2)
    await within(10_000, 'handleJoin of n2', n1, n1.next(e => e.event === 'handleJoin' && e.pid === r2.member))
    const n3 = appNode('n3', ['--seed', seed])
    const r3 = await ready(n3)
    const members = [r1.member, r2.member, r3.member]
    expect(await within(10_000, 'handleJoin of n3', n1, n1.next(e => e.event === 'handleJoin' && e.pid === r3.member))).toMatchObject({ pidlist: members })
    expect(await within(10_000, 'handleNodeJoined of n3', n2, n2.next(e => e.event === 'handleNodeJoined' && e.pid === r3.member))).toMatchObject({ pidlist: members })

    // n1's counter under the global name `counter`, called and cast to from the top level of n2's and n3's scripts
    expect(await ask(n2, { op: 'add', by: 2 }, e => e.event === 'reply')).toEqual({ event: 'reply', op: 'add', value: 2 })
    expect(await ask(n3, { op: 'bump', by: 5 }, e => e.event === 'sent')).toEqual({ event: 'sent', op: 'bump' })
    expect(await ask(n3, { op: 'get' }, e => e.event === 'reply')).toEqual({ event: 'reply', op: 'get', value: 7 })
    for (const n of [n1, n2, n3]) expect(await ask(n, { op: 'leader' }, e => e.event === 'leader')).toEqual({ event: 'leader', pid: r1.member, label: 'n1' })

    process.kill(n1.proc.pid as number, 'SIGKILL')
    for (const n of [n2, n3]) {
      expect(await within(10_000, 'handleLeave of n1', n, n.next(e => e.event === 'handleLeave' && e.pid === r1.member)))
        .toMatchObject({ info: 'noconnection', pidlist: [r2.member, r3.member] })
    }
    const takeover = await within(10_000, 'handleTakeover', n2, n2.next(e => e.event === 'handleTakeover'))
    expect(takeover).toMatchObject({ previous: r1.member, pidlist: [r2.member, r3.member] })
    await sleep(1500)   // long enough for a second, wrong takeover to show
    for (const n of [n2, n3]) expect(await ask(n, { op: 'leader' }, e => e.event === 'leader')).toEqual({ event: 'leader', pid: r2.member, label: 'n2' })
    expect([...n2.events, ...n3.events].filter(e => e.event === 'handleTakeover')).toHaveLength(1)
    for (const n of [n2, n3]) expect(n.events.filter(e => e.event === 'error')).toEqual([])

    n3.proc.stdin!.write(JSON.stringify({ op: 'stop' }) + '\n')
    expect(await within(10_000, 'handleLeave of n3', n2, n2.next(e => e.event === 'handleLeave' && e.pid === r3.member))).toMatchObject({ info: 'shutdown', pidlist: [r2.member] })
    expect(await new Promise(resolve => n3.proc.once('exit', resolve))).toBe(0)
  }, 120_000)

  it('has a gen-cluster binary that prints its version and starts a node that joins the app\'s cluster and leaves cleanly', async () => {
    const bin = join(app, 'node_modules', '.bin', 'gen-cluster')
    const env = { PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` }   // the bin's `#!/usr/bin/env node` finds this Node
    const version = JSON.parse(readFileSync(join(app, 'node_modules', '@gen-cluster', 'cli', 'package.json'), 'utf8')).version as string
    const v = spawnSync(bin, ['--version'], { encoding: 'utf8', env: { ...process.env, ...env } })
    expect(v.stdout.trim()).toBe(version)
    expect(v.status).toBe(0)

    const a = appNode('a', ['--counter'])
    const seed = ((await ready(a)).addresses as string[])[0] as string
    const cli = watchJson(spawnTracked(bin, ['start', '--json', '--name', 'c1', '--home', home, '--seed', seed], env))
    const started = await within(20_000, 'node:ready', cli, cli.next(e => e.event === 'node:ready'))
    expect(started).toMatchObject({ name: `c1@${hostname()}`, cluster: 'demo' })
    await within(10_000, 'node:up of c1', a, a.next(e => e.event === 'node:up' && e.node === `c1@${hostname()}`))
    cli.proc.stdin!.write('q\n')
    expect(await new Promise(resolve => cli.proc.once('exit', resolve))).toBe(0)
    await within(10_000, 'node:down of c1', a, a.next(e => e.event === 'node:down' && e.node === `c1@${hostname()}`))
  }, 60_000)
})
