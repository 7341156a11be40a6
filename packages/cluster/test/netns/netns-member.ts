/**
 * A cluster node for the network-namespace tests, in an OS process of its own: a node, its global
 * registry, a GenCluster member of cluster `demo` whose callbacks are printed as JSON lines
 * (`gen-cluster-recorder.ts`), an `echo` server to call, and an ordered stream: every 100 ms a
 * process sends each other node's `sink` the next number of that pair; the sink prints an `order`
 * event if a number does not exceed the last one from that sender (gaps are allowed: a message to a
 * node that is not connected is dropped, as in Erlang; reordering and duplicates are not).
 *
 *   node netns-member.js --name n1@netns --home DIR --listen 10.213.0.1:7000 [--seed ADDR] --secret HEX --peer n2@netns...
 *
 * Requests, one JSON object a line on stdin, each answered by an event with the same `id`:
 *   { cmd: 'state', id, names: [...] }   → { event: 'state', id, leader, pidlist, nodes, holders, streams }
 *   { cmd: 'call', id, node, timeout }   → { event: 'call', id, node, ok, error?, ms }  (echo on `node`)
 *   { cmd: 'register', id, name }        → { event: 'register', id, name, ok, error? }  (registers this node's echo)
 * Stops cleanly on SIGTERM or when stdin ends.
 */
import { createInterface } from 'node:readline'
import { call, defineServer, register, send, silentLogger, spawn, start } from '@gen-cluster/core'
import type { ServerTypes } from '@gen-cluster/core'
import { leader, pidlist, startGlobal, startMember, startNode } from '../../src/index.js'
import type { NodeDownEvent, NodeUpEvent } from '../../src/index.js'
import { recorder } from '../gen-cluster-recorder.js'
import { arg, args, emit, stopOnSigterm } from '../fixtures/argv.js'

const CLUSTER = 'demo'
const peers = args('peer')

interface Echo extends ServerTypes {
  arg: string
  state: string
  calls: { ping: { reply: string } }
}
const echoServer = defineServer<Echo>({
  init: (name: string) => ({ state: name }),
  handleCall: { ping: (_r, _f, name) => ({ reply: name, state: name }) }
})

const node = await startNode({
  name: arg('name') ?? 'n@netns',
  home: arg('home'),
  listen: arg('listen') ?? '127.0.0.1:0',
  seeds: args('seed'),
  secret: arg('secret'),
  logger: silentLogger
})
node.addEventListener('node:up', (e) => { emit({ event: 'node:up', node: (e as CustomEvent<NodeUpEvent>).detail.node, at: Date.now() }) })
node.addEventListener('node:down', (e) => { emit({ event: 'node:down', ...(e as CustomEvent<NodeDownEvent>).detail, at: Date.now() }) })
await node.joined
const registry = await startGlobal(node)
const echo = await start(echoServer, node.name, { node: node.core, name: 'echo' })

/** Per sender: messages received, the last number, and how many arrived out of order. */
const streams: Record<string, { received: number, last: number, outOfOrder: number }> = {}
spawn(async ({ receive, self }) => {
  register('sink', self)
  for (;;) {
    const m = await receive<{ from: string, seq: number }>()
    const s = streams[m.from] ??= { received: 0, last: 0, outOfOrder: 0 }
    s.received++
    if (m.seq <= s.last) {
      s.outOfOrder++
      emit({ event: 'order', from: m.from, last: s.last, seq: m.seq })
    }
    s.last = Math.max(s.last, m.seq)
  }
}, { node: node.core })
spawn(async ({ receive }) => {
  const next = new Map(peers.map(p => [p, 0]))
  for (;;) {
    for (const [peer, n] of next) {
      if (peer === node.name) continue
      next.set(peer, n + 1)
      send({ name: 'sink', node: peer }, { from: node.name, seq: n + 1 })
    }
    await receive({ timeout: 100 }).catch(() => {})
  }
}, { node: node.core })

const member = await startMember(recorder(emit), undefined, { node, cluster: CLUSTER })
emit({
  event: 'ready',
  name: node.name,
  peerId: node.peerId,
  addresses: node.addresses,
  member: member.toJSON(),
  pidlist: (await pidlist(member)).map(p => p.key)
})

/** Runs `fn` in a process of this node, so remote calls go out through it. */
async function onNode<R> (fn: () => Promise<R>): Promise<R> {
  return await new Promise<R>((resolve, reject) => {
    spawn(async () => { try { resolve(await fn()) } catch (err) { reject(err as Error) } }, { node: node.core })
  })
}

type Request = { cmd: 'state', id: number, names?: string[] } | { cmd: 'call', id: number, node: string, timeout?: number } | { cmd: 'register', id: number, name: string }

async function serve (r: Request): Promise<void> {
  if (r.cmd === 'state') {
    const list = await pidlist(member)
    const holders: Record<string, string | null> = {}
    for (const name of r.names ?? []) holders[name] = registry.whereisName(name)?.key ?? null
    emit({ event: 'state', id: r.id, leader: leader(node, CLUSTER)?.key ?? null, pidlist: list.map(p => p.key), nodes: node.nodes(), holders, streams })
  } else if (r.cmd === 'call') {
    const t0 = performance.now()
    try {
      const reply = await onNode(async () => await call({ name: 'echo', node: r.node }, { type: 'ping' }, { timeout: r.timeout ?? 5000 }))
      emit({ event: 'call', id: r.id, node: r.node, ok: reply === r.node, ms: performance.now() - t0 })
    } catch (err) {
      emit({ event: 'call', id: r.id, node: r.node, ok: false, error: (err as Error).name, ms: performance.now() - t0 })
    }
  } else if (r.cmd === 'register') {
    try {
      emit({ event: 'register', id: r.id, name: r.name, ok: await registry.registerName(r.name, echo) })
    } catch (err) {
      emit({ event: 'register', id: r.id, name: r.name, ok: false, error: (err as Error).name })
    }
  }
}

const stop = stopOnSigterm(node)
createInterface({ input: process.stdin }).on('line', (line) => {
  let r: Request
  try { r = JSON.parse(line) as Request } catch { return }
  serve(r).catch((err: unknown) => { emit({ event: 'error', id: r.id, error: (err as Error).name, message: (err as Error).message }) })
}).on('close', () => { void stop() })
