/**
 * A cluster node as a user writes it from the README, against the installed packages: a counter
 * under a global name (on the node started with `--counter`), a GenCluster member of cluster `room`,
 * and commands read from stdin, one JSON object per line, answered on stdout with one JSON event per
 * line. Every command is served from the top level of the script: outside any process, on the only
 * node of this OS process.
 *
 *   node dist/node.js --name n1 --home DIR [--listen 127.0.0.1:0] [--seed ADDR] [--counter]
 *   {"op":"add","by":2}  → {"event":"reply","op":"add","value":2}     a call to the global counter
 *   {"op":"bump","by":5} → {"event":"sent","op":"bump"}              a cast to the global counter
 *   {"op":"get"}         → {"event":"reply","op":"get","value":7}
 *   {"op":"leader"}      → {"event":"leader","pid":"…"}              the holder of cluster room
 *   {"op":"stop"}        → a clean leave, then exit 0
 */
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'
import { clusterOf, defineCluster, globalName, startGlobal, startMember, startNode } from '@gen-cluster/cluster'
import { call, cast, defineServer, start } from '@gen-cluster/core'
import type { Pid, ServerTypes } from '@gen-cluster/core'

export interface Counter extends ServerTypes {
  arg: number
  state: number
  calls: { get: { reply: number }, add: { request: { by: number }, reply: number } }
  casts: { bump: { by: number } }
}

export interface Room extends ServerTypes {
  arg: string
  state: { label: string }
  calls: { label: { reply: string } }
}

export const COUNTER = globalName<Counter>('counter')

const counter = defineServer<Counter>({
  init: (n) => ({ state: n }),
  handleCall: {
    get: (_req, _from, n) => ({ reply: n, state: n }),
    add: async (req, _from, n) => ({ reply: n + req.by, state: n + req.by })
  },
  handleCast: { bump: (msg, n) => ({ state: n + msg.by }) }
})

const emit = (event: string, fields: Record<string, unknown> = {}): void => {
  process.stdout.write(JSON.stringify({ event, ...fields }) + '\n')
}
const ids = (pids: readonly Pid[]): string[] => pids.map(String)

const room = defineCluster<Room>({
  init: (label) => ({ state: { label } }),
  handleCall: { label: (_req, _from, s) => ({ reply: s.label, state: s }) },
  handleJoin: (pid, pidlist, s) => { emit('handleJoin', { pid: String(pid), pidlist: ids(pidlist) }); return { state: s } },
  handleNodeJoined: (pid, pidlist, s) => { emit('handleNodeJoined', { pid: String(pid), pidlist: ids(pidlist) }); return { state: s } },
  handleLeave: (pid, pidlist, info, s) => { emit('handleLeave', { pid: String(pid), pidlist: ids(pidlist), info: String(info) }); return { state: s } },
  handleTakeover: (previous, pidlist, s) => { emit('handleTakeover', { previous: previous === undefined ? null : String(previous), pidlist: ids(pidlist) }); return { state: s } }
})

const { values: args } = parseArgs({
  options: {
    name: { type: 'string' },
    home: { type: 'string' },
    listen: { type: 'string', default: '127.0.0.1:0' },
    seed: { type: 'string', multiple: true, default: [] },
    counter: { type: 'boolean', default: false }
  }
})
if (args.name === undefined || args.home === undefined) throw new Error('--name and --home are required')

const node = await startNode({ name: args.name, home: args.home, listen: args.listen, seeds: args.seed })
node.addEventListener('node:up', (e) => { emit('node:up', { node: e.detail.node }) })
node.addEventListener('node:down', (e) => { emit('node:down', { node: e.detail.node, reason: e.detail.reason }) })
await node.joined
const global = await startGlobal(node)
if (args.counter) await start(counter, 0, { node, name: COUNTER })
const member = await startMember(room, args.name, { node, cluster: 'room' })
const handle = clusterOf<Room>(node, 'room')
emit('ready', { node: node.name, addresses: node.addresses, member: String(member), registry: typeof global.registerName })

async function serve (line: string): Promise<void> {
  const cmd = JSON.parse(line) as { op: string, by?: number }
  switch (cmd.op) {
    case 'add': emit('reply', { op: 'add', value: await call(COUNTER, { type: 'add', by: cmd.by ?? 1 }) }); break
    case 'bump': cast(COUNTER, { type: 'bump', by: cmd.by ?? 1 }); emit('sent', { op: 'bump' }); break
    case 'get': emit('reply', { op: 'get', value: await call(COUNTER, { type: 'get' }) }); break
    case 'leader': {
      const holder = handle.leader()
      emit('leader', { pid: holder === undefined ? null : String(holder), label: holder === undefined ? null : await call(holder, { type: 'label' }) })
      break
    }
    case 'stop': await node.stop(); emit('stopped'); process.exit(0)
    default: emit('error', { message: `unknown op ${cmd.op}` })
  }
}

const commands = createInterface({ input: process.stdin })
commands.on('line', (line) => {
  serve(line).catch((err: unknown) => { emit('error', { name: (err as Error).name, message: (err as Error).message }) })
})
