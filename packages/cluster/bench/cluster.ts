/**
 * `pnpm bench:cluster`: the global registry and GenCluster on nodes that are OS processes of their
 * own, on 127.0.0.1. Not a test: it prints, it asserts nothing.
 *
 *   register_on_coordinator_ms: `registerName` of a fresh name on the node with the smallest name (the
 *     registry's coordinator), until it resolves (every node holds the name); 3 nodes
 *   register_on_other_ms: the same on another node (one hop more: to the coordinator and back)
 *   register_visible_all_ms: from the call on a non-coordinator node until `whereisName` returns the
 *     pid on all 3 nodes (each polls it on every turn of its event loop, napping 0.1 ms in between)
 *   join_mesh_ms: from a 4th node's `startNode` call until it and the 3 others all saw `node:up`
 *   join_seen_all_ms: from that `startNode` call until every member ran handleJoin (the holder) or
 *     handleNodeJoined (the others) for the new node's member; `…_from_process_start_ms`: from the
 *     4th process's start (`performance.timeOrigin`) instead
 *   kill9_… / pause_…: after `kill -9` / SIGSTOP of the holder's node (3 nodes): time to node-down,
 *     to handleLeave on both survivors, to handleTakeover on the new holder, and until `leader()`
 *     names it on both survivors; `…_down_to_takeover_ms` from the new holder's own node-down
 *   pause_resumed_sees_down_ms: from SIGCONT until the resumed node has seen both others go down
 *     (until then it still names itself the holder)
 *   pause_resume_one_holder_ms: from SIGCONT until all 3 nodes agree on one holder (polled every 50 ms)
 *   one_holder_after_resume: 2 s after SIGCONT, 1 if after every pause all 3 nodes name the same
 *     holder and exactly one member holds itself to be it (its GenCluster state), else 0
 *
 * Each figure is the median over its samples, with `_min` and `_max` lines; `--json` prints one JSON
 * object (`{ name: { value, unit, min, max, n } }`), `--quick` runs fewer trials, `--trace` prints
 * each pause trial's events to stderr. Each fault trial runs on a fresh cluster, within a time budget
 * (100 s, 30 s with `--quick`). Times across processes are `performance.timeOrigin + performance.now()`
 * of each process, which one machine's processes share.
 *
 * The nodes are children (this file with `--serve <home> <name> [seed…]`), driven by lines on their
 * stdin (`register <name>`, `watch <name>`, `status`) and answering with JSON lines on stdout. They
 * are ended by pid at the end and on error, and exit by themselves when their stdin closes.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { defineServer, getState, silentLogger, start } from '@gen-cluster/core'
import type { Pid, ServerTypes } from '@gen-cluster/core'
import { probe } from '@gen-cluster/core/testing'
import { defineCluster, leader, pidlist, startGlobal, startMember, startNode } from '../src/index.js'
import type { NodeDownEvent, NodeUpEvent } from '../src/index.js'

const SECRET = 'c1'.repeat(32)
const CLUSTER = 'bench'
const argv = process.argv.slice(2)
const json = argv.includes('--json')
const quick = argv.includes('--quick')
const trace = argv.includes('--trace')
/** A time that the processes of one machine share, in ms. */
const now = (): number => performance.timeOrigin + performance.now()

/** A line a node writes: `ev` names it, `t` is when (see {@link now}). */
interface Ev { ev: string, t: number, [field: string]: unknown }

// ---------------------------------------------------------------------------------------------
// The node (`--serve`)

/** For `Atomics.wait`: pollers sleep 0.1 ms between turns, so they do not take both cores from the nodes' work. */
const nap = new Int32Array(new SharedArrayBuffer(4))

interface Idle extends ServerTypes { state: null }
const idle = defineServer<Idle>({ init: () => ({ state: null }) })

async function serve (home: string, name: string, seeds: string[]): Promise<void> {
  const emit = (e: Omit<Ev, 't'> & { t?: number }): void => { process.stdout.write(JSON.stringify({ t: now(), ...e }) + '\n') }
  const behaviour = defineCluster<Idle>({
    init: () => ({ state: null }),
    handleJoin: (p, _l, s) => { emit({ ev: 'joined', node: p.node, by: 'holder' }); return { state: s } },
    handleNodeJoined: (p, _l, s) => { emit({ ev: 'joined', node: p.node, by: 'member' }); return { state: s } },
    handleLeave: (p, _l, info, s) => { emit({ ev: 'leave', node: p.node, info: typeof info === 'string' ? info : 'other' }); return { state: s } },
    handleTakeover: (prev, _l, s) => { emit({ ev: 'takeover', prev: prev?.key ?? null }); return { state: s } }
  })
  const startNodeAt = now()
  const node = await startNode({ name, home, secret: SECRET, logger: silentLogger, seeds })
  let lastLeader: Pid | undefined
  /** After the holder's node went down: polls until a holder on another node is known here. */
  const awaitNewLeader = (down: string): void => {
    const until = performance.now() + 15_000
    const poll = (): void => {
      const l = leader(node, CLUSTER)
      if (l !== undefined && l.node !== down) {
        lastLeader = l
        emit({ ev: 'leader', node: l.node })
      } else if (performance.now() < until) {
        Atomics.wait(nap, 0, 0, 0.1)
        setImmediate(poll)
      }
    }
    poll()
  }
  node.addEventListener('node:up', (e) => { emit({ ev: 'node:up', node: (e as CustomEvent<NodeUpEvent>).detail.node }) })
  node.addEventListener('node:down', (e) => {
    const d = (e as CustomEvent<NodeDownEvent>).detail
    emit({ ev: 'node:down', node: d.node, reason: d.reason })
    if (lastLeader?.node === d.node) awaitNewLeader(d.node)
  })
  await node.joined
  const g = await startGlobal(node)
  const member = await startMember(behaviour, undefined, { node, cluster: CLUSTER })
  lastLeader = leader(node, CLUSTER)
  const p = probe(node.core)
  emit({ ev: 'ready', name: node.name, address: node.addresses[0], member: member.key, leader: lastLeader?.key ?? null, origin: performance.timeOrigin, startNode: startNodeAt })

  const commands: Record<string, (arg: string) => Promise<void>> = {
    register: async (n) => {
      const pid = await start(idle, undefined, { node: node.core })
      const t0 = now()
      const ok = await g.registerName(n, pid)
      emit({ ev: 'registered', name: n, ok, ms: now() - t0, t0 })
    },
    watch: async (n) => {
      const until = performance.now() + 5000
      const poll = (): void => {
        if (g.whereisName(n) !== undefined) emit({ ev: 'seen', name: n })
        else if (performance.now() > until) emit({ ev: 'seen', name: n, lost: true })
        else {
          Atomics.wait(nap, 0, 0, 0.1)
          setImmediate(poll)
        }
      }
      emit({ ev: 'watching', name: n })
      poll()
    },
    status: async () => {
      try {
        // The member's own state (GenCluster's, around the user's): `holder` is whom it takes for the holder.
        const state = await p.run(async () => await getState(member as Pid, 1500)) as { holder?: Pid }
        const list = await p.run(async () => await pidlist(member, { timeout: 1500 }))
        lastLeader = leader(node, CLUSTER)
        emit({ ev: 'status', leader: lastLeader?.key ?? null, holderSelf: state.holder?.equals(member) === true, pidlist: list.map(x => x.key), nodes: node.nodes() })
      } catch (err) {
        emit({ ev: 'status', error: (err as Error).name })
      }
    }
  }
  createInterface({ input: process.stdin }).on('line', (line) => {
    const [cmd = '', arg = ''] = line.trim().split(/\s+/)
    const run = commands[cmd]
    if (run === undefined) emit({ ev: 'error', error: `unknown command ${JSON.stringify(cmd)}` })
    else run(arg).catch((err: Error) => { emit({ ev: 'error', error: `${err.name}: ${err.message}` }) })
  }).on('close', () => { void node.stop().finally(() => process.exit(0)) })
  setTimeout(() => { process.exit(0) }, 5 * 60_000).unref()
}

// ---------------------------------------------------------------------------------------------
// The coordinator

/** A node process, its lines, and ways to wait for them. */
class Child {
  readonly proc: ChildProcess
  readonly events: Ev[] = []
  readonly exited: Promise<void>
  name: string
  address = ''
  readonly #waiters = new Set<{ match: (e: Ev) => boolean, resolve: (e: Ev) => void }>()

  constructor (home: string, name: string, seeds: string[]) {
    this.name = name
    this.proc = spawn(process.execPath, [fileURLToPath(import.meta.url), '--serve', home, name, ...seeds], { stdio: ['pipe', 'pipe', 'inherit'] })
    this.exited = new Promise(resolve => { this.proc.once('exit', () => { resolve() }) })
    this.proc.stdin?.on('error', () => {}) // a node killed on purpose: EPIPE
    createInterface({ input: this.proc.stdout! }).on('line', (line) => {
      let e: Ev
      try { e = JSON.parse(line) as Ev } catch { return }
      this.events.push(e)
      for (const w of this.#waiters) if (w.match(e)) { this.#waiters.delete(w); w.resolve(e) }
    })
  }

  get alive (): boolean { return this.proc.exitCode === null && this.proc.signalCode === null }

  /** The first line from index `from` on that `match` accepts, seen or to come. */
  async next (match: (e: Ev) => boolean, timeoutMs = 15_000, from = 0): Promise<Ev> {
    const seen = this.events.slice(from).find(match)
    if (seen !== undefined) return seen
    return await new Promise((resolve, reject) => {
      const w = { match, resolve: (e: Ev) => { clearTimeout(timer); resolve(e) } }
      const timer = setTimeout(() => { this.#waiters.delete(w); reject(new Error(`${this.name}: no matching line within ${timeoutMs} ms`)) }, timeoutMs)
      this.#waiters.add(w)
    })
  }

  /** Sends `command` and waits for the first line after it that `match` accepts. */
  async ask (command: string, match: (e: Ev) => boolean, timeoutMs?: number): Promise<Ev> {
    const from = this.events.length
    this.proc.stdin?.write(command + '\n')
    return await this.next(match, timeoutMs, from)
  }

  signal (sig: NodeJS.Signals): void {
    if (this.proc.pid !== undefined && this.alive) process.kill(this.proc.pid, sig)
  }

  /** Closes its stdin (it stops its node and exits); by pid if it has not exited within 2 s. */
  async end (): Promise<void> {
    if (!this.alive) return
    this.signal('SIGCONT')
    this.proc.stdin?.end()
    const timer = setTimeout(() => { this.signal('SIGKILL') }, 2000)
    await this.exited
    clearTimeout(timer)
  }
}

const children = new Set<Child>()
process.on('exit', () => { for (const c of children) { c.signal('SIGCONT'); c.signal('SIGKILL') } })
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => { process.exit(130) })

/** Samples by figure name, and each figure's unit. */
const samples = new Map<string, { unit: string, values: number[] }>()
const record = (name: string, value: number, unit = 'ms'): void => {
  const s = samples.get(name) ?? { unit, values: [] }
  s.values.push(value)
  samples.set(name, s)
}
const max = (xs: number[]): number => Math.max(...xs)
const isAbout = (node: string) => (ev: string) => (e: Ev) => e.ev === ev && e.node === node

async function startChild (home: string, name: string, seeds: string[]): Promise<{ child: Child, ready: Ev }> {
  const child = new Child(home, `${name}@bench`, seeds)
  children.add(child)
  const ready = await Promise.race([
    child.next(e => e.ev === 'ready', 20_000),
    child.exited.then(() => { throw new Error(`node ${child.name} exited before it was ready`) })
  ])
  child.name = ready.name as string
  child.address = ready.address as string
  return { child, ready }
}

async function status (c: Child): Promise<Ev> {
  return await c.ask('status', e => e.ev === 'status', 3000).catch(() => ({ ev: 'status', t: now(), error: 'timeout' }))
}

/** True if every node names the same holder, and exactly one member holds itself to be it. */
function oneHolder (st: Ev[]): boolean {
  const leaders = new Set(st.map(s => s.leader))
  return st.every(s => s.error === undefined) && leaders.size === 1 && !leaders.has(null) && st.filter(s => s.holderSelf === true).length === 1
}

/** Starts a, then b and c through it, and waits until each sees the other two nodes and three members. */
async function cluster (home: string, trial: number): Promise<Child[]> {
  const a = await startChild(home, `a${trial}`, [])
  const rest = await Promise.all(['b', 'c'].map(async n => await startChild(home, `${n}${trial}`, [a.child.address])))
  const all = [a.child, ...rest.map(r => r.child)]
  for (const until = performance.now() + 10_000; ;) {
    const st = await Promise.all(all.map(status))
    if (st.every(s => (s.nodes as string[] | undefined)?.length === 2 && (s.pidlist as string[] | undefined)?.length === 3)) {
      if (!st.every(s => s.leader === a.ready.member)) throw new Error('the first node\'s member is not the holder everywhere')
      break
    }
    if (performance.now() > until) throw new Error('the 3 nodes did not form one cluster within 10 s')
    await new Promise(resolve => setTimeout(resolve, 20))
  }
  return all
}

async function registrations (a: Child, c: Child, all: Child[]): Promise<void> {
  const n = quick ? 50 : 200
  const register = async (on: Child, name: string): Promise<Ev> => {
    const r = await on.ask(`register ${name}`, e => e.ev === 'registered' && e.name === name)
    if (r.ok !== true) throw new Error(`registerName(${name}) on ${on.name} answered false`)
    return r
  }
  for (let i = 0; i < 20; i++) { await register(a, `warm.a.${i}`); await register(c, `warm.c.${i}`) }
  for (let i = 0; i < n; i++) record('register_on_coordinator_ms', (await register(a, `ra.${i}`)).ms as number)
  for (let i = 0; i < n; i++) record('register_on_other_ms', (await register(c, `rc.${i}`)).ms as number)
  for (let i = 0; i < n / 4; i++) {
    const name = `v.${i}`
    await Promise.all(all.map(async x => await x.ask(`watch ${name}`, e => e.ev === 'watching' && e.name === name)))
    const r = await register(c, name)
    const seen = await Promise.all(all.map(async x => await x.next(e => e.ev === 'seen' && e.name === name)))
    if (seen.some(s => s.lost === true)) throw new Error(`${name} not visible everywhere within 5 s`)
    record('register_visible_all_ms', max(seen.map(s => s.t)) - (r.t0 as number))
  }
}

/** A 4th node joins the 3; then it leaves (its BYE), and this waits until the 3 saw it leave. */
async function fourth (home: string, trial: number, all: Child[]): Promise<void> {
  const { child: d, ready } = await startChild(home, `d${trial}`, [all[0]!.address])
  const joined = await Promise.all(all.map(async x => await x.next(isAbout(d.name)('joined'))))
  const ups = await Promise.all([
    ...all.map(async x => await x.next(isAbout(d.name)('node:up'))),
    ...all.map(async x => await d.next(isAbout(x.name)('node:up')))
  ])
  record('join_mesh_ms', max(ups.map(e => e.t)) - (ready.startNode as number))
  record('join_seen_all_ms', max(joined.map(e => e.t)) - (ready.startNode as number))
  record('join_seen_all_from_process_start_ms', max(joined.map(e => e.t)) - (ready.origin as number))
  await d.end()
  children.delete(d)
  await Promise.all(all.map(async x => await x.next(isAbout(d.name)('leave'))))
}

/** Kills or pauses the holder's node (a) and times what b and c see. */
async function fault (kind: 'kill9' | 'pause', all: Child[]): Promise<boolean | undefined> {
  const [a, b, c] = all as [Child, Child, Child]
  const survivors = [b, c]
  const from = survivors.map(s => s.events.length)
  const t0 = now()
  a.signal(kind === 'kill9' ? 'SIGKILL' : 'SIGSTOP')
  const after = async (s: Child, match: (e: Ev) => boolean): Promise<Ev> => await s.next(match, 15_000, from[survivors.indexOf(s)])
  const downs = await Promise.all(survivors.map(async s => await after(s, isAbout(a.name)('node:down'))))
  const leaves = await Promise.all(survivors.map(async s => await after(s, isAbout(a.name)('leave'))))
  const leaders = await Promise.all(survivors.map(async s => await after(s, e => e.ev === 'leader')))
  const holder = survivors.find(s => s.name === leaders[0]!.node)
  if (holder === undefined || leaders.some(l => l.node !== holder.name)) throw new Error('the survivors name different holders')
  const takeover = await after(holder, e => e.ev === 'takeover')
  record(`${kind}_node_down_ms`, max(downs.map(e => e.t)) - t0)
  record(`${kind}_leave_all_ms`, max(leaves.map(e => e.t)) - t0)
  record(`${kind}_takeover_ms`, takeover.t - t0)
  record(`${kind}_down_to_takeover_ms`, takeover.t - downs[survivors.indexOf(holder)]!.t)
  record(`${kind}_holder_seen_all_ms`, max(leaders.map(e => e.t)) - t0)
  if (kind === 'kill9') return undefined

  const resumed = now()
  a.signal('SIGCONT')
  let settled: number | undefined
  while (now() - resumed < 2000) {
    const st = await Promise.all(all.map(status))
    if (settled === undefined && oneHolder(st)) settled = st.reduce((m, s) => Math.max(m, s.t), 0) - resumed
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  const final = await Promise.all(all.map(status))
  if (settled !== undefined) record('pause_resume_one_holder_ms', settled)
  const seesDown = survivors.map(s => a.events.find(e => e.t > resumed && isAbout(s.name)('node:down')(e)))
  if (seesDown.every(e => e !== undefined)) record('pause_resumed_sees_down_ms', max(seesDown.map(e => e.t)) - resumed)
  if (trace) process.stderr.write(`${a.name} paused ${Math.round(t0 - (a.events[0]?.t ?? t0))} ms after it was ready, for ${Math.round(resumed - t0)} ms\n`)
  if (trace) for (const x of all) process.stderr.write(`${x.name}, ms after SIGCONT: ${JSON.stringify(x.events.filter(e => e.t > t0 && e.ev !== 'status').map(e => ({ ...e, t: Math.round(e.t - resumed) })))}\n`)
  const ok = oneHolder(final)
  if (!ok) process.stderr.write(`after resume: ${JSON.stringify(final)}\n`)
  return ok
}

function print (): void {
  const rows = [...samples].map(([name, { unit, values }]) => {
    const s = [...values].sort((x, y) => x - y)
    const mid = s.length >> 1
    const median = s.length % 2 === 1 ? s[mid] as number : ((s[mid - 1] as number) + (s[mid] as number)) / 2
    return { name, value: median, unit, min: s[0] as number, max: s[s.length - 1] as number, n: s.length }
  })
  if (json) {
    process.stdout.write(JSON.stringify(Object.fromEntries(rows.map(({ name, ...r }) => [name, r]))) + '\n')
    return
  }
  const fmt = (v: number, unit: string): string => unit === 'ms' ? v.toFixed(v < 10 ? 2 : 1) : String(v)
  for (const r of rows) {
    process.stdout.write(`${r.name}: ${fmt(r.value, r.unit)} ${r.unit}\n`)
    if (r.n > 1 && r.min !== r.max) process.stdout.write(`${r.name}_min: ${fmt(r.min, r.unit)} ${r.unit}\n${r.name}_max: ${fmt(r.max, r.unit)} ${r.unit}\n`)
  }
}

async function main (): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'gen-cluster-bench-'))
  process.on('exit', () => { rmSync(home, { recursive: true, force: true }) })
  const began = performance.now()
  const budgetMs = quick ? 30_000 : 100_000
  const plan: Array<'kill9' | 'pause'> = quick ? ['kill9', 'pause', 'kill9'] : Array.from({ length: 12 }, (_, i) => i % 2 === 0 ? 'kill9' : 'pause')
  let oneHolderAlways = true
  let done = 0
  const trials = { kill9: 0, pause: 0 }
  try {
    for (const [trial, kind] of plan.entries()) {
      // Stop early rather than overrun: a trial takes about as long as the ones before it.
      if (done > 1 && performance.now() - began + (performance.now() - began) / done > budgetMs) break
      const all = await cluster(home, trial)
      try {
        if (trial === 0) await registrations(all[0]!, all[2]!, all)
        await fourth(home, trial, all)
        if (await fault(kind, all) === false) oneHolderAlways = false
      } finally {
        await Promise.all(all.map(async c => { await c.end(); children.delete(c) }))
      }
      trials[kind]++
      done++
    }
    for (const [kind, n] of Object.entries(trials)) record(`trials_${kind}`, n, 'count')
    if (samples.has('pause_node_down_ms')) record('one_holder_after_resume', oneHolderAlways ? 1 : 0, 'bool')
    print()
  } finally {
    await Promise.all([...children].map(async c => { await c.end() }))
    rmSync(home, { recursive: true, force: true })
  }
}

if (argv[0] === '--serve') await serve(argv[1] as string, argv[2] as string, argv.slice(3))
else await main()
