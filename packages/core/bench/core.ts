/**
 * `pnpm bench:core`: local figures of the core runtime. Not a test: it prints, it asserts nothing.
 *
 *   call: sequential local GenServer call, µs/op
 *   cast: casts from one sender to one server, msgs/s
 *   spawn: spawn of a process that exits at once, µs/op
 *   idle: heap bytes per idle GenServer, over 100,000 of them
 *   restart: time from a supervised child's crash to its replacement answering a call, µs
 *   upgrade_pause: time a server spends between its last message on the old code and its first on
 *     the new one, with 10,000 messages queued, µs
 *
 * Each figure is the median of several rounds, printed as `name: value unit` (`--json` for one JSON
 * object). Run with `node --expose-gc` for the heap figure.
 */
import { call, cast, createNode, defineServer, exit, silentLogger, spawn, start, startLink, startSupervisor, stop, upgrade, whereis } from '../src/index.js'
import type { Pid } from '../src/index.js'
import type { ServerTypes } from '../src/index.js'

interface Counter extends ServerTypes {
  state: number
  calls: { get: { reply: number } }
  casts: { inc: { by: number } }
}

const counter = defineServer<Counter>({
  init: () => ({ state: 0 }),
  handleCall: { get: (_r, _f, n) => ({ reply: n, state: n }) },
  handleCast: { inc: (m, n) => ({ state: n + m.by }) }
})

const node = createNode({ name: 'bench@localhost', logger: silentLogger })
const json = process.argv.includes('--json')
const quick = process.argv.includes('--quick')
const rounds = quick ? 3 : 7

function median (xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)] as number
}

async function benchCall (): Promise<number> {
  const pid = await start(counter, undefined, { node })
  const n = quick ? 50_000 : 200_000
  const out: number[] = []
  for (let r = 0; r < rounds; r++) {
    const t = performance.now()
    for (let i = 0; i < n; i++) await call(pid, { type: 'get' })
    out.push((performance.now() - t) * 1000 / n)
  }
  await stop(pid)
  return median(out)
}

async function benchCast (): Promise<number> {
  const pid = await start(counter, undefined, { node })
  const n = quick ? 500_000 : 2_000_000
  const msg = { type: 'inc', by: 1 } as const
  const out: number[] = []
  for (let r = 0; r < rounds; r++) {
    const t = performance.now()
    for (let i = 0; i < n; i++) cast(pid, msg)
    await call(pid, { type: 'get' }, Infinity)
    out.push(n / ((performance.now() - t) / 1000))
  }
  await stop(pid)
  return median(out)
}

async function benchSpawn (): Promise<number> {
  const n = quick ? 20_000 : 100_000
  const out: number[] = []
  const base = node.procs.size
  for (let r = 0; r < rounds; r++) {
    const t = performance.now()
    for (let i = 0; i < n; i++) spawn(() => undefined, { node })
    while (node.procs.size > base) await new Promise(resolve => setImmediate(resolve))
    out.push((performance.now() - t) * 1000 / n)
  }
  return median(out)
}

async function benchIdle (): Promise<number | undefined> {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc === undefined) return undefined
  const n = 100_000
  gc()
  const before = process.memoryUsage().heapUsed
  const pids = []
  for (let i = 0; i < n; i++) pids.push(start(counter, undefined, { node }))
  const started = await Promise.all(pids)
  gc()
  const after = process.memoryUsage().heapUsed
  // The pids array itself is the benchmark's, not the servers': 8 bytes a slot plus the promise and pid.
  const perServer = (after - before) / n
  for (const pid of started) node.terminate(node.lookup(pid)!, 'killed')
  return perServer
}

let samplesTimer: NodeJS.Timeout | undefined

async function benchRestart (): Promise<number> {
  const sup = await startSupervisor({
    strategy: 'one_for_one',
    intensity: 1_000_000,
    period: 1,
    children: [{ id: 'w', start: async () => await startLink(counter, undefined, { name: 'w' }) }]
  }, { node })
  const n = quick ? 2000 : 10_000
  const samples = await new Promise<number[]>((resolve, reject) => {
    spawn(async () => {
      const out: number[] = []
      for (let i = 0; i < n; i++) {
        const old = whereis('w') as Pid
        const t = performance.now()
        exit(old, 'kill')
        for (let tries = 0; ; tries++) {
          const now = whereis('w')
          if (now !== undefined && !now.equals(old)) {
            await call(now, { type: 'get' })
            break
          }
          if (tries > 100_000) throw new Error('no replacement')
          // Microtasks first; past a few, a turn of the event loop (the scheduler may have yielded to it).
          await new Promise<void>(r => { if (tries < 64) queueMicrotask(r); else setImmediate(r) })
        }
        out.push((performance.now() - t) * 1000)
      }
      resolve(out)
    }, { node })
    // (a crash of the measuring process would leave `samples` pending: the timeout below ends the run)
    const timer = setTimeout(() => { reject(new Error('restart benchmark timed out')) }, 60_000)
    samplesTimer = timer
  })
  clearTimeout(samplesTimer)
  await stop(sup)
  return median(samples)
}

async function benchUpgradePause (): Promise<number> {
  let lastOld = 0
  let firstNew = 0
  const old = defineServer<Counter>({
    version: '1',
    init: () => ({ state: 0 }),
    handleCall: { get: (_r, _f, n) => ({ reply: n, state: n }) },
    handleCast: { inc: (m, n) => { lastOld = performance.now(); return { state: n + m.by } } }
  })
  const next = defineServer<Counter>({
    version: '2',
    init: () => ({ state: 0 }),
    codeChange: (_v, n) => n as number,
    handleCall: { get: (_r, _f, n) => ({ reply: n, state: n }) },
    handleCast: { inc: (m, n) => { if (firstNew === 0) firstNew = performance.now(); return { state: n + m.by } } }
  })
  const out: number[] = []
  for (let r = 0; r < rounds * 3; r++) {
    firstNew = 0
    const pid = await start(old, undefined, { node })
    for (let i = 0; i < 10_000; i++) cast(pid, { type: 'inc', by: 1 })
    const done = upgrade(pid, next)
    for (let i = 0; i < 10_000; i++) cast(pid, { type: 'inc', by: 1 })
    await done
    await call(pid, { type: 'get' }, Infinity)
    out.push((firstNew - lastOld) * 1000)
    await stop(pid)
  }
  return median(out)
}

const figures: Array<[string, number | undefined, string]> = [
  ['call', await benchCall(), 'us/op'],
  ['cast', await benchCast(), 'msgs/s'],
  ['spawn', await benchSpawn(), 'us/op'],
  ['restart', await benchRestart(), 'us'],
  ['upgrade_pause', await benchUpgradePause(), 'us'],
  ['idle_gen_server', await benchIdle(), 'bytes']
]

if (json) {
  process.stdout.write(JSON.stringify(Object.fromEntries(figures.map(([k, v, u]) => [k, { value: v, unit: u }]))) + '\n')
} else {
  for (const [k, v, u] of figures) {
    process.stdout.write(v === undefined ? `${k}: n/a (run with --expose-gc)\n` : `${k}: ${u === 'msgs/s' ? Math.round(v) : v.toFixed(3)} ${u}\n`)
  }
}
