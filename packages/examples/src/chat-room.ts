/**
 * A chat room as a GenCluster: one member of cluster `chat` per node, over TCP. A member says
 * something with `broadcast` (every member gets it as an info; the sender skips its own), and keeps
 * a log of what it received, and of who joined and left (its cluster callbacks). Members come and
 * go: after a first round `b` leaves, a new node `d` joins with a member of its own, and a second
 * round follows. The log of each member shows exactly the messages of the members present.
 *
 * Run: `pnpm --filter @gen-cluster/examples chat-room` (after `pnpm build`).
 */
import { fileURLToPath } from 'node:url'
import { call, stop } from '@gen-cluster/core'
import type { Pid, ServerPid, ServerTypes } from '@gen-cluster/core'
import { broadcast, defineCluster, startMember } from '@gen-cluster/cluster'
import type { ClusterNode } from '@gen-cluster/cluster'
import { startLoopback, until } from './loopback.js'

/** A line said in the room. */
export interface Said { readonly type: 'said', readonly from: string, readonly text: string }

export interface ChatMember extends ServerTypes {
  arg: { name: string }
  state: { name: string, received: string[], events: string[] }
  calls: { log: { reply: { received: string[], events: string[] } } }
  info: Said
}

/** The member's name: its node's name without the host. */
const nameOf = (pid: Pid): string => pid.node.split('@')[0] as string

export const chatMember = defineCluster<ChatMember>({
  name: 'chat-member',
  init: ({ name }) => ({ state: { name, received: [], events: [] } }),
  handleCall: {
    log: (_req, _from, s) => ({ reply: { received: s.received, events: s.events }, state: s })
  },
  handleInfo: (m, s) => {
    if ('type' in m && m.type === 'said' && m.from !== s.name) return { state: { ...s, received: [...s.received, `${m.from}: ${m.text}`] } }
    return { state: s }
  },
  handleJoin: (p, _list, s) => ({ state: { ...s, events: [...s.events, `${nameOf(p)} joined`] } }),
  handleNodeJoined: (p, _list, s) => ({ state: { ...s, events: [...s.events, `${nameOf(p)} joined`] } }),
  handleLeave: (p, _list, _info, s) => ({ state: { ...s, events: [...s.events, `${nameOf(p)} left`] } })
})

export interface ChatRoomReport {
  /** Each member's log, by member name: the lines it received (`from: text`) and the joins and leaves it saw. */
  readonly logs: Record<string, { received: string[], events: string[] }>
  /** How many members each `say` reached (the sender included), in order. */
  readonly reached: Array<{ from: string, members: number }>
}

/** Runs the scenario; `log` narrates. */
export async function runChatRoom (opts: { log?: (line: string) => void } = {}): Promise<ChatRoomReport> {
  const log = opts.log ?? (() => {})
  const cluster = await startLoopback(['a', 'b', 'c'])
  try {
    const members = new Map<string, { node: ClusterNode, pid: ServerPid<ChatMember> }>()
    const join = async (node: ClusterNode): Promise<void> => {
      const name = node.name.split('@')[0] as string
      const pid = await startMember(chatMember, { name }, { node, cluster: 'chat' })
      members.set(name, { node, pid })
      log(`${name} joined the room as ${pid.toString()}`)
    }
    for (const node of cluster.nodes) await join(node)
    const logOf = async (name: string): Promise<{ received: string[], events: string[] }> => await call((members.get(name) as { pid: ServerPid<ChatMember> }).pid, { type: 'log' })
    const reached: ChatRoomReport['reached'] = []
    const say = async (from: string, text: string): Promise<void> => {
      const n = await broadcast((members.get(from) as { node: ClusterNode }).node, 'chat', { type: 'said', from, text } satisfies Said)
      reached.push({ from, members: n })
      log(`${from} says "${text}" to ${n - 1} others`)
    }
    /** Waits until every member present has received `count` lines. */
    const settled = async (count: number): Promise<void> => {
      await until(async () => (await Promise.all([...members.keys()].map(logOf))).every(l => l.received.length >= count), `every member received ${count} lines`)
    }

    for (const name of ['a', 'b', 'c']) await say(name, `hello from ${name}`)
    await settled(2)

    const b = members.get('b') as { node: ClusterNode, pid: ServerPid<ChatMember> }
    const final: ChatRoomReport['logs'] = { b: await logOf('b') }
    await stop(b.pid, 'shutdown')
    members.delete('b')
    log('b left the room')
    await until(async () => (await Promise.all(['a', 'c'].map(logOf))).every(l => l.events.includes('b left')), 'a and c saw b leave')
    await join(await cluster.add('d'))

    for (const name of ['a', 'c', 'd']) await say(name, `round two from ${name}`)
    await until(async () => (await logOf('a')).received.length >= 4 && (await logOf('c')).received.length >= 4 && (await logOf('d')).received.length >= 2, 'round two delivered')
    for (const name of members.keys()) final[name] = await logOf(name)
    for (const [name, l] of Object.entries(final)) log(`${name}'s log: ${[...l.events.map(e => `* ${e}`), ...l.received].join(' | ')}`)
    return { logs: final, reached }
  } finally {
    await cluster.stop()
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const r = await runChatRoom({ log: line => { process.stdout.write(`${line}\n`) } })
  const counts = Object.fromEntries(Object.entries(r.logs).map(([n, l]) => [n, l.received.length]))
  const ok = counts.a === 4 && counts.b === 2 && counts.c === 4 && counts.d === 2
  process.stdout.write(ok ? 'every member received exactly the lines of the members present\n' : `MISMATCH ${JSON.stringify(counts)}\n`)
  process.exit(ok ? 0 : 1)
}
