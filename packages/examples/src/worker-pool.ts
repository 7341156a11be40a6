/**
 * A supervised worker pool spread over a cluster, over TCP. On each node a supervisor (one_for_one)
 * runs a few workers; each worker joins the process group `pool` when it starts. A dispatcher on
 * node `a` reads `members('pool')` (a local read: every node sees every node's workers) and hands
 * out jobs round-robin across nodes, each job a call to a worker. One job is poisoned: the worker
 * that takes it crashes, the dispatcher gives the job to the next worker, the worker's supervisor
 * restarts it, and the new worker joins `pool` again; the group is whole again and no job is lost.
 *
 * Run: `pnpm --filter @gen-cluster/examples worker-pool` (after `pnpm build`).
 */
import { fileURLToPath } from 'node:url'
import { call, defineServer, self, spawn, startLink, startSupervisor, stop, whichChildren } from '@gen-cluster/core'
import type { Pid, ServerTypes, SupervisorPid } from '@gen-cluster/core'
import { startPg } from '@gen-cluster/cluster'
import type { ClusterNode, Pg } from '@gen-cluster/cluster'
import { startLoopback, until } from './loopback.js'

/** The process group the workers join. */
export const POOL = 'pool'

/** A job's outcome, as the worker that did it reports it. */
export interface JobResult { readonly job: number, readonly square: number, readonly node: string, readonly worker: string }

export interface PoolWorker extends ServerTypes {
  arg: { pg: Pg }
  state: { done: number }
  calls: { work: { request: { job: number, poison?: boolean }, reply: JobResult } }
}

/** A worker: joins `pool` in `init` (so every restart joins again) and squares numbers; a poisoned job crashes it. */
export const poolWorker = defineServer<PoolWorker>({
  name: 'pool-worker',
  init: async ({ pg }) => {
    await pg.join(POOL, self())
    return { state: { done: 0 } }
  },
  handleCall: {
    work: (req, _from, s) => {
      if (req.poison === true) throw new Error(`poisoned job ${req.job}`)
      const me = self()
      return { reply: { job: req.job, square: req.job * req.job, node: me.node, worker: me.key }, state: { done: s.done + 1 } }
    }
  }
})

/** The pool's members in round-robin order across nodes: the first worker of each node, then the second of each, … */
export function roundRobin (members: readonly Pid[]): Pid[] {
  const byNode = new Map<string, Pid[]>()
  for (const p of members) byNode.set(p.node, [...(byNode.get(p.node) ?? []), p])
  const columns = [...byNode.values()]
  const out: Pid[] = []
  for (let i = 0; out.length < members.length; i++) for (const c of columns) if (i < c.length) out.push(c[i] as Pid)
  return out
}

export interface WorkerPoolReport {
  readonly jobs: number
  /** The job that crashed a worker (then done by another). */
  readonly poisonJob: number
  /** Results, one per job, in job order. */
  readonly results: JobResult[]
  /** Jobs done per node. */
  readonly byNode: Record<string, number>
  /** The worker the poisoned job crashed, and the worker its supervisor started in its place. */
  readonly crashed: string
  readonly restarted: string | undefined
  /** The size of `pool` at the start and at the end, as node `a` sees it. */
  readonly poolBefore: number
  readonly poolAfter: number
}

/** Runs jobs 1…`jobs` from a process on `node`; job `poison` crashes the first worker it reaches. */
function dispatch (node: ClusterNode, pg: Pg, jobs: number, poison: number, crashed: (worker: Pid) => void): Promise<JobResult[]> {
  return new Promise((resolve, reject) => {
    spawn(async () => {
      try {
        const results: JobResult[] = []
        let next = 0
        let poisoned = false
        for (let job = 1; job <= jobs; job++) {
          for (;;) {
            const order = roundRobin(pg.members(POOL))
            const worker = order[next++ % order.length] as Pid
            const isPoison = job === poison && !poisoned
            try {
              results.push(await call(worker, { type: 'work', job, poison: isPoison }, 5000) as JobResult)
              break
            } catch (err) {
              if (!isPoison) throw err
              poisoned = true
              crashed(worker)
            }
          }
        }
        resolve(results)
      } catch (err) {
        reject(err as Error)
      }
    }, { node: node.core })
  })
}

/** Runs the scenario: `perNode` workers on each of 3 nodes, `jobs` jobs; `log` narrates. */
export async function runWorkerPool (opts: { jobs?: number, perNode?: number, log?: (line: string) => void } = {}): Promise<WorkerPoolReport> {
  const jobs = opts.jobs ?? 30
  const perNode = opts.perNode ?? 2
  const log = opts.log ?? (() => {})
  const cluster = await startLoopback(['a', 'b', 'c'])
  try {
    const sups = new Map<string, SupervisorPid>()
    const pgs = new Map<string, Pg>()
    for (const node of cluster.nodes) {
      const pg = await startPg(node)
      pgs.set(node.name, pg)
      const children = Array.from({ length: perNode }, (_, i) => ({ id: `worker-${i}`, start: async () => await startLink(poolWorker, { pg }) }))
      sups.set(node.name, await startSupervisor({ strategy: 'one_for_one', intensity: 3, period: 5, children }, { node: node.core }))
    }
    const [a] = cluster.nodes as [ClusterNode]
    const pgA = pgs.get(a.name) as Pg
    const size = perNode * cluster.nodes.length
    await until(() => pgA.members(POOL).length === size, `all ${size} workers in '${POOL}' as ${a.name} sees it`)
    const initial = new Set(pgA.members(POOL).map(p => p.key))
    log(`${size} workers in '${POOL}' under ${sups.size} supervisors: ${roundRobin(pgA.members(POOL)).map(p => p.toString()).join(' ')}`)

    let crashed: Pid | undefined
    const poison = Math.ceil(jobs / 2)
    const results = await dispatch(a, pgA, jobs, poison, (w) => { crashed = w; log(`job ${poison} crashed worker ${w.toString()}; handing it to the next worker`) })
    if (crashed === undefined) throw new Error('the poisoned job crashed no worker')
    const gone = crashed
    await until(() => pgA.members(POOL).length === size && !pgA.members(POOL).some(p => p.key === gone.key), `'${POOL}' whole again without the crashed worker`)
    const sup = sups.get(gone.node) as SupervisorPid
    const now = (await whichChildren(sup)).map(c => c.pid).filter((p): p is Pid => typeof p === 'object')
    // The new child: not one of the first workers, and in the group.
    const restarted = now.find(p => !initial.has(p.key) && pgA.members(POOL).some(m => m.key === p.key))?.key
    log(`the supervisor on ${gone.node} restarted it as ${restarted ?? '?'}; '${POOL}' has ${pgA.members(POOL).length} workers again`)

    const byNode: Record<string, number> = {}
    for (const r of results) byNode[r.node] = (byNode[r.node] ?? 0) + 1
    log(`${results.length} jobs done: ${Object.entries(byNode).map(([n, k]) => `${n} ${k}`).join(', ')}`)
    const poolAfter = pgA.members(POOL).length
    for (const s of sups.values()) await stop(s, 'shutdown')
    return { jobs, poisonJob: poison, results, byNode, crashed: gone.key, restarted, poolBefore: size, poolAfter }
  } finally {
    await cluster.stop()
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const r = await runWorkerPool({ log: line => { process.stdout.write(`${line}\n`) } })
  const ok = r.results.length === r.jobs && r.results.every((x, i) => x.job === i + 1 && x.square === x.job * x.job) && r.restarted !== undefined
  process.stdout.write(ok ? 'every job done once, spread over the nodes, through a crash\n' : 'MISMATCH\n')
  process.exit(ok ? 0 : 1)
}
