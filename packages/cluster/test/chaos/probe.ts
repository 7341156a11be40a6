/**
 * The probe each node of the process-faults suite runs (`fixtures/member-main.ts --chaos`), so the
 * test can see from outside what only the node knows:
 * - `chaos_probe`, a GenServer that casts a sequence-numbered message to the probe of every connected
 *   node every {@link TICK_MS} and, per sender incarnation (node name and creation), records gaps (lost
 *   messages: allowed across a dead or paused node) and reversals or duplicates (order broken: never
 *   allowed); it also answers `ping`.
 * - {@link callStream}: calls for a while, paced, through a mix of destinations (a remote name, the
 *   cluster's global name, member pids), and counts how each call ended: a reply, an error `.name`, or
 *   `hung` (not ended by its timeout plus a grace: the library promises every call ends).
 * - {@link memory}: heap and rss after a forced GC.
 */
import { appendFileSync } from 'node:fs'
import v8 from 'node:v8'
import vm from 'node:vm'
import { call, cast, defineServer, Pid, self, send, spawn, start } from '@gen-cluster/core'
import type { LoggerFactory, ServerTypes } from '@gen-cluster/core'
import { clusterName, pidlist } from '../../src/index.js'
import type { ClusterNode } from '../../src/index.js'

export const PROBE = 'chaos_probe'
const TICK_MS = 50
/** A call not ended this long after its own timeout counts as hung. */
const HANG_GRACE_MS = 5000

export interface OrderStats { received: number, senders: number, gaps: number, violations: string[] }

interface Probe extends ServerTypes {
  arg: () => string[]
  state: { peers: () => string[], next: Map<string, number>, last: Map<string, number>, stats: OrderStats }
  calls: { ping: { reply: 'pong' }, order: { reply: OrderStats } }
  casts: { seq: { from: string, n: number } }
  info: { type: 'tick' }
}

const probe = defineServer<Probe>({
  init: (peers) => {
    const me = self()
    setTimeout(() => { send(me, { type: 'tick' }) }, TICK_MS)
    return { state: { peers, next: new Map(), last: new Map(), stats: { received: 0, senders: 0, gaps: 0, violations: [] } } }
  },
  handleCall: {
    ping: (_r, _f, s) => ({ reply: 'pong', state: s }),
    order: (_r, _f, s) => ({ reply: s.stats, state: s })
  },
  handleCast: {
    seq: ({ from, n }, s) => {
      const last = s.last.get(from)
      s.stats.received++
      if (last === undefined) s.stats.senders++
      else if (n <= last) s.stats.violations.push(`${from}: #${n} after #${last}`)
      else s.stats.gaps += n - last - 1
      s.last.set(from, Math.max(n, last ?? n))
      return { state: s }
    }
  },
  handleInfo: (_m, s) => {
    const me = self()
    for (const peer of s.peers()) {
      const n = s.next.get(peer) ?? 0
      s.next.set(peer, n + 1)
      cast({ name: PROBE, node: peer }, { type: 'seq', from: `${me.node}.${me.creation}`, n })
    }
    setTimeout(() => { send(me, { type: 'tick' }) }, TICK_MS)
    return { state: s }
  }
})

/** Starts the probe on `node`, registered as {@link PROBE}. */
export async function startProbe (node: ClusterNode): Promise<Pid> {
  return await start(probe, () => node.nodes(), { node: node.core, name: PROBE })
}

/** The probe's order record. */
export async function orderStats (node: ClusterNode): Promise<OrderStats> {
  return await onNode(node, async () => await call({ name: PROBE, node: node.name }, { type: 'order' }) as OrderStats)
}

export interface CallStats { calls: number, outcomes: Record<string, number>, hung: number, maxMs: number }

/**
 * Calls from `workers` processes of `node` for `durationMs`, each call with `timeoutMs`, pausing
 * `paceMs` between calls, rotating through: the probe of a connected node (`{ name, node }`), the
 * cluster's global name, a member of `member`'s pidlist.
 */
export async function callStream (node: ClusterNode, member: Pid, cluster: string, opts: { durationMs: number, timeoutMs: number, workers?: number, paceMs?: number }): Promise<CallStats> {
  const { durationMs, timeoutMs, workers = 2, paceMs = 10 } = opts
  const stats: CallStats = { calls: 0, outcomes: {}, hung: 0, maxMs: 0 }
  const end = Date.now() + durationMs
  const once = async (k: number): Promise<void> => {
    const started = Date.now()
    let outcome: string
    try {
      if (k % 3 === 0) {
        const peers = node.nodes()
        if (peers.length === 0) return
        await call({ name: PROBE, node: peers[k % peers.length] as string }, { type: 'ping' }, timeoutMs)
      } else if (k % 3 === 1) {
        await call({ global: clusterName(cluster) }, { type: '$gen_cluster.pidlist' }, timeoutMs)
      } else {
        const list = await pidlist(member, { timeout: timeoutMs })
        await pidlist(list[k % list.length] as Pid, { timeout: timeoutMs })
      }
      outcome = 'reply'
    } catch (err) {
      outcome = (err as Error).name ?? 'non-error'
    }
    stats.calls++
    stats.outcomes[outcome] = (stats.outcomes[outcome] ?? 0) + 1
    stats.maxMs = Math.max(stats.maxMs, Date.now() - started)
  }
  const worker = async (w: number): Promise<void> => {
    for (let k = w; Date.now() < end; k += workers) {
      let timer: NodeJS.Timeout | undefined
      const hung = new Promise<'hung'>(resolve => { timer = setTimeout(() => { resolve('hung') }, 2 * timeoutMs + HANG_GRACE_MS) })
      if (await Promise.race([once(k), hung]) === 'hung') stats.hung++
      clearTimeout(timer)
      await new Promise(resolve => setTimeout(resolve, paceMs))
    }
  }
  await Promise.all(Array.from({ length: workers }, async (_, w) => { await onNode(node, async () => { await worker(w) }) }))
  return stats
}

let gc: (() => void) | undefined
/** Heap used and rss (bytes) after a full GC. */
export function memory (): { heapUsed: number, rss: number } {
  if (gc === undefined) {
    v8.setFlagsFromString('--expose-gc')
    gc = vm.runInNewContext('gc') as () => void
  }
  gc()
  const { heapUsed, rss } = process.memoryUsage()
  return { heapUsed, rss }
}

/**
 * A logger factory that appends every line (debug included), stamped with `Date.now()`, to `path`:
 * the fixture uses it when `CHAOS_LOG_DIR` is set, for a post-mortem of a failed run.
 */
export function fileLogger (path: string): LoggerFactory {
  return (component) => {
    const line = (lvl: string) => (message: string, meta?: Record<string, unknown>): void => {
      let tail = ''
      try { tail = meta === undefined ? '' : ' ' + JSON.stringify(meta, (_k, v: unknown) => v instanceof Error ? `${v.name}: ${v.message}` : (v instanceof Pid ? v.key : v)) } catch { tail = ' {…}' }
      appendFileSync(path, `${Date.now()} ${component} ${lvl} ${message}${tail}\n`)
    }
    return { error: line('error'), warn: line('warn'), info: line('info'), debug: line('debug') }
  }
}

/** Runs `fn` in a process of `node`, so its calls and casts go out through that node. */
async function onNode<R> (node: ClusterNode, fn: () => Promise<R>): Promise<R> {
  return await new Promise<R>((resolve, reject) => {
    spawn(async () => { try { resolve(await fn()) } catch (err) { reject(err as Error) } }, { node: node.core })
  })
}
