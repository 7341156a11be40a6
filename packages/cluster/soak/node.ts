/**
 * One soak node, in an OS process of its own: `node node.js '<NodeConfig as JSON>'`.
 *
 * It starts a cluster node (its name and home give it the same peer id at each start, and a new
 * creation), joins through its seeds, starts the global registry and `sinks` sink servers, writes
 * `ready`, then follows the coordinator's commands on stdin (`wire.ts`): `peers` (the targets),
 * `start` and `stop` (the load), `final` (statistics with the global names held here). It writes
 * its statistics every second and its `node:up` / `node:down` events as they happen.
 *
 * It exits when its stdin closes (the coordinator ended or died), and after `lifetime` ms at most.
 */
import { createInterface } from 'node:readline'
import { silentLogger, start } from '@gen-cluster/core'
import type { Pid } from '@gen-cluster/core'
import { startGlobal, startNode } from '../src/index.js'
import type { NodeDownEvent, NodeUpEvent } from '../src/index.js'
import { Load } from './load.js'
import { ReceiveLog, sink } from './sink.js'
import { now } from './wire.js'
import type { CastStats, Command, Line, NodeConfig } from './wire.js'

const config = JSON.parse(process.argv[2] ?? '{}') as NodeConfig
const emit = (line: Line): void => { process.stdout.write(JSON.stringify(line) + '\n') }
const fail = (error: string): never => {
  emit({ ev: 'error', t: now(), node: config.name, error })
  process.exit(2)
}
setTimeout(() => { fail(`still running after ${config.lifetime} ms`) }, config.lifetime).unref()
process.stdout.on('error', () => { process.exit(0) }) // the coordinator is gone

const node = await startNode({ name: config.name, home: config.home, secret: config.secret, seeds: [...config.seeds], logger: silentLogger })
node.addEventListener('node:up', (e) => {
  emit({ ev: 'node:up', t: now(), node: node.name, peer: (e as CustomEvent<NodeUpEvent>).detail.node })
})
node.addEventListener('node:down', (e) => {
  const d = (e as CustomEvent<NodeDownEvent>).detail
  emit({ ev: 'node:down', t: now(), node: node.name, peer: d.node, reason: d.reason })
})
const joinTimer = setTimeout(() => { fail('did not join the cluster within 20 s') }, 20_000)
await node.joined
clearTimeout(joinTimer)
const registry = await startGlobal(node)

const casts: CastStats = { sent: 0, held: 0, received: 0, violations: 0, gaps: 0, samples: [], pairsSent: {}, pairsReceived: {} }
const log = new ReceiveLog(casts)
const sinks: Pid[] = []
for (let i = 0; i < config.sinks; i++) sinks.push(await start(sink, log, { node: node.core }))
// A name this incarnation holds all along: at the end every node must hold exactly the live incarnations' ones.
const home = `soak.${node.name.split('@')[0] ?? ''}.${node.creation}.home`
// Right after a restart the coordinator may not count this incarnation connected yet (it answers
// 'retry' until it does), and under full load that can outlast one registerName's 5 s: try again,
// up to 30 s, and report how long it took.
const homeStarted = now()
for (let attempt = 1; ; attempt++) {
  try {
    if (!await registry.registerName(home, sinks[0] as Pid)) fail(`registerName(${home}) answered false`)
    emit({ ev: 'home', t: now(), node: node.name, ms: now() - homeStarted, attempts: attempt })
    break
  } catch (err) {
    if (now() - homeStarted > 30_000) fail(`registerName(${home}) did not succeed within 30 s: ${(err as Error).name}`)
  }
}
const load = new Load(node, registry, config, casts)

/** Full GC (the node runs with --expose-gc) before every 5th memory sample: the live heap, not garbage. */
const gc = (globalThis as { gc?: () => void }).gc
let lines = 0
const stats = (names?: string[]): void => {
  load.census()
  const full = names === undefined && lines++ % 5 === 0 && gc !== undefined
  if (full) gc()
  const m = process.memoryUsage()
  emit({
    ev: 'stats',
    t: now(),
    node: node.name,
    creation: node.creation,
    calls: load.calls,
    casts: { ...casts, pairsSent: load.sentPairs(), pairsReceived: log.received() },
    reg: load.reg,
    mem: { rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, ...(full ? { live: m.heapUsed } : {}) },
    cpu: process.cpuUsage().user + process.cpuUsage().system,
    ...(names === undefined ? {} : { names })
  })
}
setInterval(() => { stats() }, 1000).unref()

const commands: { [K in Command['cmd']]: (c: Extract<Command, { cmd: K }>) => void } = {
  peers: (c) => { load.setTargets(c.sinks) },
  start: () => { load.start() },
  stop: () => {
    void load.stop().then(() => {
      stats()
      emit({ ev: 'stopped', t: now(), node: node.name })
    })
  },
  final: () => { stats(registry.registeredNames()) }
}
createInterface({ input: process.stdin }).on('line', (line) => {
  let c: Command
  try { c = JSON.parse(line) as Command } catch { return }
  const run = commands[c.cmd] as ((c: Command) => void) | undefined
  if (run === undefined) emit({ ev: 'error', t: now(), node: node.name, error: `unknown command ${JSON.stringify(line)}` })
  else run(c)
}).on('close', () => { process.exit(0) })

emit({ ev: 'ready', t: now(), node: node.name, creation: node.creation, address: node.addresses[0] ?? '', sinks: sinks.map(p => p.toJSON()) })
