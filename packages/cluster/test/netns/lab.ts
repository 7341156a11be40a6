/**
 * A small network for the partition tests: one network namespace per node, each with its own
 * address (10.213.0.N/24) on a veth whose other end is a port of a bridge, which lives in a
 * namespace of its own (the switch), so the host's own network is never touched.
 *
 * - Cuts happen in the switch, on the wire: each switch port has an htb root with a class whose leaf
 *   is `pfifo limit 0` (it drops every packet it gets), and `cut(a, b)` adds a u32 filter on b's
 *   port sending IP packets from a's address into that class. Packets from a to b vanish silently
 *   (no ICMP, no route error); b to a still flows. `cut` both ways is a symmetric cut.
 * - Impairment (`impair`): `tc netem delay D loss P` on every node's veth when the kernel has netem.
 *   This test kernel does not (CONFIG_NET_SCH_NETEM is not set), so otherwise each node routes its
 *   traffic to the peers through a TUN device served by `impair.py` (python3 stdlib), which drops
 *   and delays every packet the node sends, then hands it back to the kernel to go out of the veth.
 *
 * Names are unique per run (`gcnet<pid>-…`); namespaces left by a run that died are deleted at the
 * next start (only ours, by that prefix, and only if their run's pid is gone). `destroy()` runs in
 * afterAll and on exit or signal.
 */
import { execFileSync, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import type { ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

const PREFIX = 'gcnet'
/** Beside this file in `test/netns/` (vitest runs the sources); from `dist/test/netns/`, back in the sources. */
const IMPAIR_PY = [new URL('./impair.py', import.meta.url), new URL('../../../test/netns/impair.py', import.meta.url)]
  .map(u => fileURLToPath(u)).find(p => existsSync(p)) ?? 'impair.py'
const SUBNET = '10.213.0.0/24'

/** Runs a command, returning stdout; throws with its stderr. */
export function sh (cmd: string, args: readonly string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 })
  } catch (err) {
    const e = err as { stderr?: string, message: string }
    throw new Error(`${cmd} ${args.join(' ')}: ${(e.stderr ?? '').trim() || e.message}`)
  }
}

/** Why these tests cannot run here (not root, no `ip`/`tc`, no network namespaces), or undefined. */
export function labUnavailable (): string | undefined {
  if (process.platform !== 'linux') return 'network namespaces need Linux'
  if (process.getuid?.() !== 0) return 'network namespaces need root (run as root to test real partitions)'
  for (const tool of ['ip', 'tc']) {
    try { sh(tool, ['-V']) } catch { return `\`${tool}\` (iproute2) is not installed` }
  }
  const probe = `${PREFIX}${process.pid}-probe`
  try {
    sh('ip', ['netns', 'add', probe])
    sh('ip', ['netns', 'del', probe])
  } catch (err) {
    return `cannot create a network namespace: ${(err as Error).message}`
  }
  return undefined
}

/** Deletes the namespaces of earlier runs of these tests whose process is gone (and ends what runs in them). */
export function removeLeftovers (): string[] {
  const removed: string[] = []
  for (const line of sh('ip', ['netns', 'list']).split('\n')) {
    const m = new RegExp(`^(${PREFIX}(\\d+)-\\S+)`).exec(line)
    if (m === null || alive(Number(m[2]))) continue
    for (const pid of sh('ip', ['netns', 'pids', m[1] as string]).split('\n').filter(Boolean)) {
      try { process.kill(Number(pid), 'SIGKILL') } catch {}
    }
    try { sh('ip', ['netns', 'del', m[1] as string]); removed.push(m[1] as string) } catch {}
  }
  return removed
}

function alive (pid: number): boolean {
  try { process.kill(pid, 0); return true } catch (err) { return (err as NodeJS.ErrnoException).code === 'EPERM' }
}

export interface LabNode {
  /** 1-based. */
  readonly index: number
  readonly ns: string
  readonly address: string
}

/** What `impair` used, and what it did. */
export interface Impairment {
  readonly kind: 'netem' | 'tun'
  /** The TUN programs' packet counts (tun only), summed over the nodes, once removed. */
  forwarded?: number
  dropped?: number
}

export class Lab {
  readonly id = `${PREFIX}${process.pid}`
  readonly switchNs = `${this.id}-sw`
  readonly nodes: LabNode[] = []
  readonly #cuts = new Set<string>()
  readonly #impairers: Array<{ proc: ChildProcess, counts: Promise<Counts> }> = []
  #impairment: Impairment | undefined
  #destroyed = false

  /** Builds the switch and `count` nodes (`createLab` destroys what was built if this throws). */
  build (count: number): void {
    const sw = this.switchNs
    sh('ip', ['netns', 'add', sw])
    sh('ip', ['-n', sw, 'link', 'set', 'lo', 'up'])
    sh('ip', ['-n', sw, 'link', 'add', 'br0', 'type', 'bridge'])
    sh('ip', ['-n', sw, 'link', 'set', 'br0', 'up'])
    for (let i = 1; i <= count; i++) {
      const node = { index: i, ns: `${this.id}-n${i}`, address: `10.213.0.${i}` }
      this.nodes.push(node)
      sh('ip', ['netns', 'add', node.ns])
      sh('ip', ['-n', node.ns, 'link', 'set', 'lo', 'up'])
      sh('ip', ['-n', sw, 'link', 'add', `p${i}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', node.ns])
      sh('ip', ['-n', sw, 'link', 'set', `p${i}`, 'master', 'br0', 'up'])
      sh('ip', ['-n', node.ns, 'addr', 'add', `${node.address}/24`, 'dev', 'eth0'])
      sh('ip', ['-n', node.ns, 'link', 'set', 'eth0', 'up'])
      // Class 1:1 passes, class 1:2 drops (a FIFO of length 0); filters pick 1:2 for cut senders.
      sh('tc', ['-n', sw, 'qdisc', 'add', 'dev', `p${i}`, 'root', 'handle', '1:', 'htb', 'default', '1'])
      for (const c of ['1:1', '1:2']) sh('tc', ['-n', sw, 'class', 'add', 'dev', `p${i}`, 'parent', '1:', 'classid', c, 'htb', 'rate', '10gbit', 'quantum', '60000'])
      sh('tc', ['-n', sw, 'qdisc', 'add', 'dev', `p${i}`, 'parent', '1:2', 'handle', '20:', 'pfifo', 'limit', '0'])
    }
  }

  node (i: number): LabNode {
    const n = this.nodes[i - 1]
    if (n === undefined) throw new RangeError(`no node ${i}`)
    return n
  }

  /** Drops every packet from node `from` to node `to`, on the wire (one way). */
  cut (from: number, to: number): void {
    const key = `${from}>${to}`
    if (this.#cuts.has(key)) return
    sh('tc', ['-n', this.switchNs, 'filter', 'add', 'dev', `p${to}`, 'parent', '1:', 'protocol', 'ip', 'prio', String(from),
      'u32', 'match', 'ip', 'src', `${this.node(from).address}/32`, 'flowid', '1:2'])
    this.#cuts.add(key)
  }

  /** Undoes `cut(from, to)`. */
  restore (from: number, to: number): void {
    const key = `${from}>${to}`
    if (!this.#cuts.delete(key)) return
    sh('tc', ['-n', this.switchNs, 'filter', 'del', 'dev', `p${to}`, 'parent', '1:', 'protocol', 'ip', 'prio', String(from)])
  }

  /** Packets dropped on the wire so far on their way to node `to` (by every cut towards it). */
  wireDrops (to: number): number {
    const qdiscs = JSON.parse(sh('tc', ['-n', this.switchNs, '-j', '-s', 'qdisc', 'show', 'dev', `p${to}`])) as Array<{ handle: string, drops: number }>
    return qdiscs.find(q => q.handle === '20:')?.drops ?? 0
  }

  /** Cuts every link between the two sides, both ways. */
  split (side: readonly number[], other: readonly number[]): number {
    for (const a of side) for (const b of other) { this.cut(a, b); this.cut(b, a) }
    return side.length * other.length * 2
  }

  /** Restores every cut link. */
  heal (): void {
    for (const key of [...this.#cuts]) {
      const [from, to] = key.split('>').map(Number)
      this.restore(from as number, to as number)
    }
  }

  /**
   * Delays every packet each node sends by `delayMs` and drops it with probability `loss`: netem
   * if the kernel has it, else the TUN program (`impair.py`). Resolves once it is in force.
   */
  async impair (delayMs: number, loss: number, seed: number): Promise<Impairment> {
    const first = this.node(1)
    const netem = ['qdisc', 'add', 'dev', 'eth0', 'root', 'netem', 'delay', `${delayMs}ms`, 'loss', `${loss * 100}%`]
    try {
      sh('tc', ['-n', first.ns, ...netem])
      for (const n of this.nodes.slice(1)) sh('tc', ['-n', n.ns, ...netem])
      this.#impairment = { kind: 'netem' }
      return this.#impairment
    } catch (err) {
      if (!/unknown/i.test((err as Error).message)) throw err
    }
    try { sh('python3', ['--version']) } catch { throw new Error('this kernel has no netem, and python3 (for the TUN fallback, impair.py) is not installed') }
    await Promise.all(this.nodes.map(async n => { await this.#tun(n, delayMs, loss, seed + n.index) }))
    this.#impairment = { kind: 'tun' }
    return this.#impairment
  }

  async #tun (n: LabNode, delayMs: number, loss: number, seed: number): Promise<void> {
    sh('ip', ['-n', n.ns, 'tuntap', 'add', 'dev', 'tun0', 'mode', 'tun'])
    // Packets the TUN program writes back arrive "from" tun0 with this node's own source address:
    // forward them, and do not take them for spoofed (rp_filter) or martian (accept_local) ones.
    sh('ip', ['netns', 'exec', n.ns, 'sh', '-c', [
      'echo 1 > /proc/sys/net/ipv4/ip_forward',
      'for k in all default tun0; do echo 0 > /proc/sys/net/ipv4/conf/$k/rp_filter; done',
      'echo 1 > /proc/sys/net/ipv4/conf/tun0/accept_local'
    ].join('; ')])
    sh('ip', ['-n', n.ns, 'link', 'set', 'tun0', 'up'])
    sh('ip', ['-n', n.ns, 'route', 'add', SUBNET, 'dev', 'tun0', 'src', n.address, 'table', '101'])
    const proc = spawn('ip', ['netns', 'exec', n.ns, 'python3', IMPAIR_PY, 'tun', 'tun0', String(delayMs), String(loss), String(seed)], { stdio: ['pipe', 'pipe', 'inherit'] })
    const lines = createInterface({ input: proc.stdout! })
    // The first line says it is ready; the second, at the end, gives its counts.
    const counts = new Promise<Counts>((resolve) => {
      let seen = 0
      lines.on('line', (line) => { if (seen++ === 1) resolve(JSON.parse(line) as Counts) })
      proc.once('exit', () => { resolve({ forwarded: 0, dropped: 0 }) })
    })
    this.#impairers.push({ proc, counts })
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => { reject(new Error(`impair.py in ${n.ns} not ready within 10 s`)) }, 10_000)
      lines.once('line', () => { clearTimeout(t); resolve() })
      proc.once('exit', (code) => { clearTimeout(t); reject(new Error(`impair.py in ${n.ns} exited with ${String(code)}`)) })
    })
    // Only packets this node sends (iif lo) go through tun0; what comes back out of tun0 takes the main table.
    sh('ip', ['-n', n.ns, 'rule', 'add', 'iif', 'lo', 'lookup', '101', 'pref', '100'])
  }

  /** Removes the impairment; with the TUN programs, resolves with their packet counts. */
  async unimpair (): Promise<Impairment | undefined> {
    const was = this.#impairment
    if (was === undefined) return undefined
    this.#impairment = undefined
    if (was.kind === 'netem') {
      for (const n of this.nodes) sh('tc', ['-n', n.ns, 'qdisc', 'del', 'dev', 'eth0', 'root'])
      return was
    }
    for (const n of this.nodes) sh('ip', ['-n', n.ns, 'rule', 'del', 'pref', '100'])
    const counts = await Promise.all(this.#impairers.splice(0).map(async ({ proc, counts }) => {
      proc.stdin?.end()
      return await counts
    }))
    for (const n of this.nodes) sh('ip', ['-n', n.ns, 'link', 'del', 'tun0'])
    return { kind: 'tun', forwarded: counts.reduce((s, c) => s + c.forwarded, 0), dropped: counts.reduce((s, c) => s + c.dropped, 0) }
  }

  /** Sends `count` UDP datagrams from node `from` to an echo server on node `to` (`impair.py`): round trips and losses. */
  async probe (from: number, to: number, count: number): Promise<{ sent: number, received: number, rtt_ms: number[] }> {
    const server = spawn('ip', ['netns', 'exec', this.node(to).ns, 'python3', IMPAIR_PY, 'echo', this.node(to).address, '9999'], { stdio: ['pipe', 'pipe', 'inherit'] })
    try {
      await new Promise<void>((resolve, reject) => {
        createInterface({ input: server.stdout! }).once('line', () => { resolve() })
        server.once('exit', (code) => { reject(new Error(`echo server exited with ${String(code)}`)) })
      })
      const out = await new Promise<string>((resolve, reject) => {
        const p = spawn('ip', ['netns', 'exec', this.node(from).ns, 'python3', IMPAIR_PY, 'probe', this.node(to).address, '9999', String(count)], { stdio: ['ignore', 'pipe', 'inherit'] })
        let text = ''
        p.stdout.on('data', (d: Buffer) => { text += d.toString() })
        p.once('exit', (code) => { code === 0 ? resolve(text) : reject(new Error(`probe exited with ${String(code)}`)) })
      })
      return JSON.parse(out) as { sent: number, received: number, rtt_ms: number[] }
    } finally {
      server.stdin?.end()
    }
  }

  /** Ends the TUN programs (by pid) and deletes every namespace of this lab. Idempotent, synchronous. */
  destroy (): void {
    if (this.#destroyed) return
    this.#destroyed = true
    for (const { proc } of this.#impairers.splice(0)) {
      if (proc.pid !== undefined && proc.exitCode === null) { try { process.kill(proc.pid, 'SIGKILL') } catch {} }
    }
    for (const ns of [...this.nodes.map(n => n.ns), this.switchNs]) {
      try { sh('ip', ['netns', 'del', ns]) } catch {}
    }
  }
}

interface Counts { forwarded: number, dropped: number }

/** Makes a lab of `count` nodes, destroyed on exit or on SIGINT/SIGTERM as well as by its owner. */
export function createLab (count: number): Lab {
  removeLeftovers()
  const lab = new Lab()
  try {
    lab.build(count)
  } catch (err) {
    lab.destroy()
    throw err
  }
  const onSignal = (sig: NodeJS.Signals): void => { lab.destroy(); process.exit(sig === 'SIGINT' ? 130 : 143) }
  process.once('exit', () => { lab.destroy() })
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  return lab
}
