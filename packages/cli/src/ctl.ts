/**
 * `gen-cluster ctl --seed HOST:PORT [--secret-file F] [--home DIR] [--timeout S] [--json] [--debug] COMMAND`:
 * joins the cluster as a hidden node (it takes no part in membership or the global registry),
 * asks the seed's inspector (`inspector.ts`, run by every `gen-cluster start` node) and prints
 * the answer, then leaves.
 *
 * | command | prints |
 * | --- | --- |
 * | `nodes` | the seed and the nodes connected to it |
 * | `members [CLUSTER]` | the cluster's members (default: the cluster the seed hosts), holder first marked |
 * | `names` | the global names and their holders |
 * | `ps [NODE]` | the processes of the seed, or of NODE (asked through the seed) |
 *
 * Exit codes: 0 with the answer on stdout; 1 with one line on stderr (no seed within `--timeout`,
 * refused by cluster secret, the seed cannot answer); 2 for bad input.
 */
import { existsSync, rmSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { call, silentLogger, spawn, stderrLogger } from '@gen-cluster/core'
import { clusterHome, parseAddress, startNode } from '@gen-cluster/cluster'
import type { ClusterNode } from '@gen-cluster/cluster'
import { UsageError } from './args.js'
import { CtlError } from './errors.js'
import { INSPECTOR_NAME, isInspectorError } from './inspector.js'
import type { MembersReply, NamesReply, NodesReply, PsReply } from './inspector.js'
import { joinWithin } from './join.js'
import { watchRefusals } from './refusal.js'
import type { Refusal } from './refusal.js'

export const CTL_USAGE = 'usage: gen-cluster ctl --seed HOST:PORT [--secret-file FILE] [--home DIR] [--timeout SECONDS] [--json] [--debug] nodes | members [CLUSTER] | names | ps [NODE]'

export type CtlCommand = { type: 'nodes' } | { type: 'names' } | { type: 'members', cluster?: string } | { type: 'ps', node?: string }

export interface CtlOptions {
  seed: string
  secretFile?: string
  home?: string
  timeoutMs: number
  json: boolean
  debug: boolean
  command: CtlCommand
}

/** Parses `argv` (after `ctl`); throws `UsageError`. */
export function parseCtl (argv: string[]): CtlOptions | 'help' {
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        seed: { type: 'string' },
        'secret-file': { type: 'string' },
        home: { type: 'string' },
        timeout: { type: 'string', default: '10' },
        json: { type: 'boolean', default: false },
        debug: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false }
      }
    })
  } catch (err) {
    const text = (err as Error).message.split('\n')[0]?.replace(/\. To specify a positional.*$/, '') ?? 'bad arguments'
    throw new UsageError(`${text}; ${CTL_USAGE}`)
  }
  const { values: v, positionals: [name, arg, ...rest] } = parsed
  if (v.help) return 'help'
  if (v.seed === undefined) throw new UsageError(`--seed is required, e.g. --seed 127.0.0.1:4001; ${CTL_USAGE}`)
  try {
    parseAddress('seeds', v.seed)
  } catch {
    throw new UsageError(`bad address for --seed: "${v.seed}"; give host:port (e.g. 127.0.0.1:4001) or a multiaddr (/ip4/127.0.0.1/tcp/4001)`)
  }
  let command: CtlCommand
  const takesArg = name === 'members' || name === 'ps'
  if (rest.length > 0 || (!takesArg && arg !== undefined)) throw new UsageError(`too many arguments after "${String(name)}"; ${CTL_USAGE}`)
  switch (name) {
    case 'nodes': case 'names': command = { type: name }; break
    case 'members': command = arg === undefined ? { type: 'members' } : { type: 'members', cluster: arg }; break
    case 'ps': command = arg === undefined ? { type: 'ps' } : { type: 'ps', node: arg }; break
    case undefined: throw new UsageError(`no command given; ${CTL_USAGE}`)
    default: throw new UsageError(`unknown command "${name}"; ${CTL_USAGE}`)
  }
  const secretFile = v['secret-file'] === undefined ? undefined : resolve(v['secret-file'])
  if (secretFile !== undefined && !existsSync(secretFile)) throw new UsageError(`secret file ${secretFile} does not exist; give the cluster's secret file`)
  const timeout = Number(v.timeout)
  if (!Number.isFinite(timeout) || timeout <= 0) throw new UsageError(`bad --timeout "${v.timeout}"; give a positive number of seconds, e.g. --timeout 10`)
  return {
    seed: v.seed,
    secretFile,
    home: v.home === undefined ? undefined : resolve(v.home),
    timeoutMs: timeout * 1000,
    json: v.json,
    debug: v.debug,
    command
  }
}

/** Calls the seed's inspector from a process of `node` (so the call goes out through it). */
async function ask (node: ClusterNode, seedNode: string, command: CtlCommand, timeout: number): Promise<unknown> {
  return await new Promise((resolve, reject) => {
    spawn(async () => {
      try {
        resolve(await call({ name: INSPECTOR_NAME, node: seedNode }, command, timeout))
      } catch (err) {
        reject(err as Error)
      }
    }, { node: node.core })
  })
}

/** The readable form of an answer. */
function format (command: CtlCommand, answer: unknown): string {
  switch (command.type) {
    case 'nodes': return (answer as NodesReply).nodes.join('\n')
    case 'names': {
      const { names } = answer as NamesReply
      const width = Math.max(4, ...names.map(n => n.name.length))
      return names.length === 0 ? '(no names)' : names.map(n => `${n.name.padEnd(width)}  ${n.holder ?? '-'}`).join('\n')
    }
    case 'members': {
      const m = answer as MembersReply
      return [`cluster ${m.cluster}: ${m.members.length} member${m.members.length === 1 ? '' : 's'}`, ...m.members.map(p => `${p === m.holder ? '*' : ' '} ${p}`)].join('\n')
    }
    case 'ps': {
      const { node, processes } = answer as PsReply
      const rows = processes.map(p => [p.pid, p.name ?? '-', p.behaviour ?? '-', p.status, String(p.messageQueueLength), String(p.messagesHandled)])
      const all = [['PID', 'NAME', 'BEHAVIOUR', 'STATUS', 'QUEUE', 'HANDLED'], ...rows]
      const widths = all[0]!.map((_c, i) => Math.max(...all.map(r => r[i]!.length)))
      return [`node ${node}: ${processes.length} processes`, ...all.map(r => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd())].join('\n')
    }
  }
}

/** Runs one ctl command; resolves with what to print on stdout. The node is always stopped. */
export async function runCtl (opts: CtlOptions): Promise<string> {
  let refusedBy: Refusal | undefined
  const node = await startNode({
    name: `ctl-${process.pid}`,
    listen: '127.0.0.1:0',
    seeds: [opts.seed],
    home: opts.home,
    secretFile: opts.secretFile,
    hidden: true,
    logger: watchRefusals(opts.debug || process.env.GEN_CLUSTER_LOG !== undefined ? stderrLogger() : silentLogger, (r) => {
      if (r.direction === 'outbound') refusedBy ??= r
    })
  })
  try {
    const deadline = Date.now() + opts.timeoutMs
    await joinWithin(node, [opts.seed], opts.timeoutMs, () => refusedBy, { flag: '--timeout' })
    // A hidden node does not mesh: the one node it is connected to is its seed.
    const seedNode = [...node.membership.peers.keys()][0]
    if (seedNode === undefined) throw new CtlError(`the seed ${opts.seed} closed the connection before answering`)
    let answer: unknown
    try {
      answer = await ask(node, seedNode, opts.command, Math.max(1000, deadline - Date.now()))
    } catch (err) {
      const e = err as Error
      if (e.name === 'NoProcError') throw new CtlError(`node ${seedNode} runs no inspector (${INSPECTOR_NAME}); give as --seed a node started by gen-cluster start`)
      throw new CtlError(`node ${seedNode} did not answer ${opts.command.type}: ${e.name}: ${e.message.split('\n')[0] ?? ''}`)
    }
    if (isInspectorError(answer)) throw new CtlError(`${opts.command.type}: ${answer.error}`)
    return opts.json ? JSON.stringify(answer) : format(opts.command, answer)
  } finally {
    await node.stop('ctl done').catch(() => {})
    // The key and creation files of this one-off node (`<home>/nodes/ctl-PID@host`): not needed again.
    rmSync(join(clusterHome(opts.home), 'nodes', node.name), { recursive: true, force: true })
  }
}
