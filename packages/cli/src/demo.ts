/**
 * `pnpm demo`: the original gen_cluster's "Try it out", as three (then four) OS processes on
 * loopback, each a `gen-cluster start --json` node hosting the example cluster server. Narrates every
 * callback with its pidlist: nodes 2 and 3 join through node 1 (handleJoin on the holder,
 * handleNodeJoined on the others), node 2 leaves cleanly (handleLeave), node 1, the name holder, is
 * killed with SIGKILL (node 3 takes the name over), then node 4 joins through node 3. Ends by itself
 * and stops every process it started, by pid, also on Ctrl-C and on error.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

const MAIN = fileURLToPath(new URL('./main.js', import.meta.url))
const STEP_TIMEOUT_MS = 15_000
type Event = Record<string, unknown>

interface Child {
  readonly label: string
  readonly proc: ChildProcess
  readonly events: Event[]
  readonly exited: Promise<number | null>
  next(what: string, match: (e: Event) => boolean): Promise<Event>
}

const children = new Set<Child>()
const home = mkdtempSync(join(tmpdir(), 'gen-cluster-demo-'))
const t0 = Date.now()
const elapsed = (): string => `${((Date.now() - t0) / 1000).toFixed(2).padStart(6)} s`
const say = (text: string): void => { process.stdout.write(`${elapsed()}  ${text}\n`) }

/** `a@host.12.3` → `<a.12>`: short enough to read a pidlist at a glance. */
function short (key: unknown): string {
  if (typeof key !== 'string') return '-'
  const parts = key.split('.')
  const id = parts.at(-2)
  const node = parts.slice(0, -2).join('.').split('@')[0]
  return `<${node}.${id}>`
}

function narrate (label: string, e: Event): void {
  const list = Array.isArray(e.pidlist) ? `[${e.pidlist.map(short).join(', ')}]` : ''
  switch (e.event) {
    case 'node:ready': say(`${label}: ready, member ${short(e.member)}, pidlist ${list}`); break
    case 'name:registered': say(`${label}: holds the cluster name (first member)`); break
    case 'member:join': say(`${label}: ${String(e.callback)}(${short(e.pid)}) pidlist ${list}`); break
    case 'member:leave': say(`${label}: ${String(e.callback)}(${short(e.pid)}, ${String(e.info)}) pidlist ${list}`); break
    case 'name:takeover': say(`${label}: handleTakeover(${short(e.previous)}) pidlist ${list}, now holds the cluster name`); break
    case 'node:up': say(`${label}: node up ${String(e.node)}`); break
    case 'node:down': say(`${label}: node down ${String(e.node)} (${String(e.reason)})`); break
    case 'node:joining': if (e.error === undefined) say(`${label}: joining via ${String(e.address)}${Number(e.attempt) > 1 ? ` retry ${Number(e.attempt) - 1}` : ''}`); break
    case 'stopped': say(`${label}: left the cluster (${String(e.why)})`); break
    case 'error': say(`${label}: error: ${String(e.message)}`); break
  }
}

function startNode (label: string, seed?: string): Child {
  const args = [MAIN, 'start', '--json', '--name', label, '--listen', '127.0.0.1:0', '--home', home, '--cluster', 'demo']
  if (seed !== undefined) args.push('--seed', seed)
  say(`starting ${label}${seed === undefined ? '' : ` (seed ${seed})`}`)
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, GEN_CLUSTER_LOG: 'silent' } })
  const events: Event[] = []
  const waiters: Array<{ match: (e: Event) => boolean, resolve: (e: Event) => void }> = []
  let stderr = ''
  proc.stderr!.on('data', (d: Buffer) => { stderr += d.toString() })
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    let e: Event
    try { e = JSON.parse(line) as Event } catch { return }
    events.push(e)
    narrate(label, e)
    for (const w of [...waiters]) if (w.match(e)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(e) }
  })
  const exited = new Promise<number | null>(resolve => { proc.once('exit', (code) => { children.delete(child); resolve(code) }) })
  const child: Child = {
    label,
    proc,
    events,
    exited,
    async next (what, match) {
      const seen = events.find(match)
      if (seen !== undefined) return seen
      return await new Promise<Event>((resolve, reject) => {
        const w = { match, resolve: (e: Event) => { clearTimeout(t); resolve(e) } }
        const t = setTimeout(() => {
          waiters.splice(waiters.indexOf(w), 1)
          reject(new Error(`${label}: no ${what} within ${STEP_TIMEOUT_MS / 1000} s${stderr === '' ? '' : `; its stderr: ${stderr.trim()}`}`))
        }, STEP_TIMEOUT_MS)
        waiters.push(w)
        void exited.then(code => { if (waiters.includes(w)) { clearTimeout(t); reject(new Error(`${label} exited (${String(code)}) before ${what}${stderr === '' ? '' : `: ${stderr.trim()}`}`)) } })
      })
    }
  }
  children.add(child)
  return child
}

function signal (child: Child, sig: NodeJS.Signals): void {
  const { pid, exitCode, signalCode } = child.proc
  if (pid !== undefined && exitCode === null && signalCode === null) process.kill(pid, sig)
}

/** Stops every child still running: SIGTERM, then SIGKILL after 3 s. */
async function cleanup (): Promise<void> {
  await Promise.all([...children].map(async (c) => {
    signal(c, 'SIGTERM')
    const t = setTimeout(() => { signal(c, 'SIGKILL') }, 3000)
    await c.exited
    clearTimeout(t)
  }))
  rmSync(home, { recursive: true, force: true })
}

const isCallback = (cb: string, pidOf?: Child) => (e: Event): boolean =>
  e.callback === cb && (pidOf === undefined || e.pid === pidOf.events.find(x => x.event === 'node:ready')?.member)

async function demo (): Promise<Array<[string, number]>> {
  const timings: Array<[string, number]> = []
  let mark = Date.now()
  const lap = (what: string): void => { const now = Date.now(); timings.push([what, now - mark]); mark = now }

  say('three nodes on loopback; nodes 2 and 3 join through node 1, which holds the cluster name')
  const n1 = startNode('n1')
  const ready1 = await n1.next('node:ready', e => e.event === 'node:ready')
  const seed1 = (ready1.addresses as string[])[0]!
  lap('n1 up and holding the name')

  const n2 = startNode('n2', seed1)
  await n2.next('node:ready', e => e.event === 'node:ready')
  await n1.next('handleJoin of n2', isCallback('handleJoin', n2))
  lap('n2 joined (handleJoin on n1)')

  const n3 = startNode('n3', seed1)
  await n3.next('node:ready', e => e.event === 'node:ready')
  await n1.next('handleJoin of n3', isCallback('handleJoin', n3))
  await n2.next('handleNodeJoined of n3', isCallback('handleNodeJoined', n3))
  await n3.next('node:up of n2', e => e.event === 'node:up' && String(e.node).startsWith('n2@'))
  await n2.next('node:up of n3', e => e.event === 'node:up' && String(e.node).startsWith('n3@'))
  lap('n3 joined (handleJoin on n1, handleNodeJoined on n2), full mesh')

  // Let n3's monitor of n2's member (sent when the two connect) arrive first; else n3 sees `noproc`.
  await new Promise(resolve => setTimeout(resolve, 500))
  say('stopping n2 (SIGTERM: a clean leave)')
  signal(n2, 'SIGTERM')
  await n1.next('handleLeave of n2', isCallback('handleLeave', n2))
  await n3.next('handleLeave of n2', isCallback('handleLeave', n2))
  await n2.exited
  lap('n2 left (handleLeave on n1 and n3)')

  say('killing n1, the name holder, with SIGKILL')
  signal(n1, 'SIGKILL')
  await n3.next('handleLeave of n1', isCallback('handleLeave', n1))
  await n3.next('handleTakeover', e => e.event === 'name:takeover')
  lap('n3 took the name over after n1 died')

  const seed3 = ((n3.events.find(e => e.event === 'node:ready')?.addresses) as string[])[0]!
  const n4 = startNode('n4', seed3)
  await n4.next('node:ready', e => e.event === 'node:ready')
  await n3.next('handleJoin of n4', isCallback('handleJoin', n4))
  lap('n4 joined through n3 (handleJoin on n3)')

  say('stopping n3 and n4')
  await cleanup()
  lap('n3 and n4 stopped')
  return timings
}

let ending = false
const abort = (why: string): void => {
  if (ending) return
  ending = true
  say(`${why}: stopping every node`)
  void cleanup().finally(() => { process.exit(130) })
}
process.on('SIGINT', () => { abort('interrupted') })
process.on('SIGTERM', () => { abort('terminated') })

try {
  const timings = await demo()
  ending = true
  process.stdout.write('\nsummary\n')
  for (const [what, ms] of timings) process.stdout.write(`  ${String(ms).padStart(6)} ms  ${what}\n`)
  process.stdout.write(`  ${String(Date.now() - t0).padStart(6)} ms  in all\n`)
} catch (err) {
  ending = true
  process.stderr.write(`demo failed: ${(err as Error).message}\n`)
  await cleanup()
  process.exit(1)
}
