#!/usr/bin/env node
/**
 * `gen-cluster start …`: runs a cluster node (libp2p, global registry) hosting one member of a
 * GenCluster (the example cluster server, or `--module file.js`'s default export: the contract is in
 * `module.ts`), and narrates what happens: readable lines on a terminal, one JSON object per line with
 * `--json`. The member's cluster callbacks are narrated by the CLI itself (`narrate.ts`), whatever it
 * hosts; with `--json`, anything else written to stdout goes to stderr (`claimStdout`).
 *
 * JSON events: `node:joining`, `node:ready`, `node:up`, `node:down`, `member:join`, `member:leave`,
 * `name:registered`, `name:takeover`, `name:conflict`, `node:refused`, `peer:refused`, `members`, `names`, `nodes`,
 * `module:log`, `stopped`, and `error` (also printed as one line on stderr). `--version` prints the
 * package's version. Commands on stdin: `members`,
 * `names`, `nodes`, `q`.
 *
 * Every node also runs the inspector (`inspector.ts`), which `gen-cluster ctl …` (`ctl.ts`, a
 * hidden node that prints the cluster's view and leaves) asks. A seed that refuses this node's
 * secure handshake (another cluster secret) is reported at once as `node:refused`, and the node
 * gives up once `--join-timeout` passes; a node that refuses a dialler reports `peer:refused`
 * (once per host).
 *
 * Exit codes: 0 after a clean leave (`q`, SIGINT, SIGTERM), 1 when the node cannot start or join,
 * 2 for bad input.
 */
import './bin-node-check.js'
import { createInterface } from 'node:readline'
import { formatReason, silentLogger, start, stderrLogger, stop } from '@gen-cluster/core'
import type { Pid } from '@gen-cluster/core'
import { leader, pidlist, startGlobal, startMember, startNode } from '@gen-cluster/cluster'
import type { ClusterNode, GenCluster, GlobalRegistry, JoiningEvent, NodeDownEvent, NodeUpEvent } from '@gen-cluster/cluster'
import { exampleClusterSrv } from './example-cluster-srv.js'
import type { ClusterSrvConflict, ClusterSrvEvent } from './example-cluster-srv.js'
import { parseStart, START_HELP, UsageError } from './args.js'
import type { StartOptions } from './args.js'
import { CTL_USAGE, parseCtl, runCtl } from './ctl.js'
import { describeStartError } from './errors.js'
import { joinWithin } from './join.js'
import { inspector, INSPECTOR_NAME } from './inspector.js'
import { loadModule } from './module.js'
import type { StartContext } from './module.js'
import { narrated } from './narrate.js'
import { claimStdout, createOutput, toStdout } from './output.js'
import type { Output } from './output.js'
import { refusedAddress, watchRefusals } from './refusal.js'
import type { Refusal } from './refusal.js'
import { cliVersion } from './version.js'

const keys = (list: readonly Pid[]): string[] => list.map(p => p.key)

async function run (opts: StartOptions, out: Output, failed: (err: unknown) => void): Promise<void> {
  const hosted = opts.module === undefined ? exampleClusterSrv as unknown as GenCluster<any> : await loadModule(opts.module)
  let refusedBy: Refusal | undefined
  const refusedPeers = new Set<string>()
  // A clean leave from the first moment: SIGINT or SIGTERM while starting stops what has started
  // (after the start in flight settles), and exits 0 without a node:ready.
  const parts: { node?: ClusterNode, registry?: GlobalRegistry, member?: Pid } = {}
  let stopping: string | undefined
  let starting = true
  const interrupted = new AbortController()
  const leave = async (why: string): Promise<void> => {
    if (stopping !== undefined && why !== stopping) return
    stopping = why
    if (starting) {
      interrupted.abort()   // a join in flight ends now; the start calls again once its step settles
      return
    }
    try {
      if (parts.member !== undefined) {
        await stop(parts.member, 'normal')
        // Let the other members see the normal exit before the connections close.
        await new Promise(resolve => setTimeout(resolve, 200))
      }
      await parts.registry?.stop()
      await parts.node?.stop('stopped')
    } catch (err) {
      if (opts.debug) process.stderr.write(`${(err as Error).stack ?? String(err)}\n`)
    }
    out.event({ event: 'stopped', why }, `left the cluster (${why})`)
    process.exit(0)
  }
  /** Marks a step of the start done: a signal that came meanwhile is acted on now. */
  const settled = async (): Promise<void> => {
    if (stopping === undefined) return
    starting = false
    await leave(stopping)
    await new Promise(() => {})   // leave exits
  }
  process.on('SIGINT', () => { if (stopping !== undefined && !starting) process.exit(130); void leave('SIGINT') })
  process.on('SIGTERM', () => { void leave('SIGTERM') })
  const node = await startNode({
    name: opts.name,
    listen: opts.listen,
    seeds: opts.seeds,
    home: opts.home,
    secretFile: opts.secretFile,
    logger: watchRefusals(opts.debug || process.env.GEN_CLUSTER_LOG !== undefined ? stderrLogger() : silentLogger, (r) => {
      if (r.direction === 'outbound') {
        if (refusedBy === undefined) out.event({ event: 'node:refused', address: refusedAddress(r), message: r.message }, `refused: ${r.message}`)
        refusedBy ??= r
      } else {
        // A refused node retries from a new port each time: report each host once.
        const host = refusedAddress(r).replace(/\/tcp\/\d+$/, '')
        if (refusedPeers.has(host)) return
        refusedPeers.add(host)
        out.event({ event: 'peer:refused', address: refusedAddress(r), message: r.message }, `${r.message}; further refusals of ${host} not shown`)
      }
    })
  })
  parts.node = node
  await settled()
  out.setNode(node.name)
  const hidden = new Set<string>()
  node.addEventListener('node:joining', (e) => {
    const d = (e as CustomEvent<JoiningEvent>).detail
    out.event({ event: 'node:joining', address: d.address, attempt: d.attempt, error: d.error },
      d.error === undefined ? `joining via ${d.address}…${d.attempt > 1 ? ` retry ${d.attempt - 1}` : ''}` : `  no answer from ${d.address}: ${d.error}`)
  })
  // Refused because the cluster already runs a node of this name under another key: one line, exit 1.
  node.addEventListener('node:refused', (e) => {
    const err = e.detail.error
    out.event({ event: 'node:refused', node: e.detail.node, reason: e.detail.reason, message: err.message }, `refused: ${err.message}`)
    failed(err)   // at once: nothing this node started after the refusal may speak first
  })
  node.addEventListener('node:up', (e) => {
    const d = (e as CustomEvent<NodeUpEvent>).detail
    // A hidden node is a tool (`gen-cluster ctl`), not a member: said so, and left out of `nodes`.
    if (node.membership.peers.get(d.node)?.hello.hidden === true) hidden.add(d.node)
    out.event({ event: 'node:up', node: d.node, hidden: hidden.has(d.node) }, `node up: ${d.node}${hidden.has(d.node) ? ' (hidden)' : ''}`)
  })
  node.addEventListener('node:down', (e) => {
    const d = (e as CustomEvent<NodeDownEvent>).detail
    const wasHidden = hidden.delete(d.node)
    out.event({ event: 'node:down', node: d.node, reason: d.reason, hidden: wasHidden }, `node down: ${d.node}${wasHidden ? ' (hidden)' : ''} (${d.reason})`)
  })
  try {
    await joinWithin(node, opts.seeds, opts.joinTimeoutMs, () => refusedBy, { signal: interrupted.signal })
  } catch (err) {
    await settled()
    await node.stop('join failed').catch(() => {})
    throw err
  }
  await settled()
  const registry = parts.registry = await startGlobal(node)
  await settled()
  const onEvent = (e: ClusterSrvEvent): void => {
    const base = { callback: e.callback, member: e.member.key, pid: e.pid?.key ?? null, pidlist: keys(e.pidlist) }
    const list = `pidlist [${keys(e.pidlist).join(', ')}]`
    if (e.callback === 'handleLeave') {
      const info = e.info === undefined ? 'normal' : formatReason(e.info)
      out.event({ event: 'member:leave', ...base, info }, `${e.callback}: ${e.pid?.key ?? '-'} left (${info}); ${list}`)
    } else if (e.callback === 'handleTakeover') {
      out.event({ event: 'name:takeover', ...base, cluster: opts.cluster, holder: e.member.key, previous: e.pid?.key ?? null },
        `${e.callback}: this member now holds cluster "${opts.cluster}" (was ${e.pid?.key ?? 'nobody'}); ${list}`)
    } else {
      out.event({ event: 'member:join', ...base }, `${e.callback}: ${e.pid?.key ?? '-'} joined; ${list}`)
    }
  }
  await start(inspector, { node, cluster: opts.cluster, registry }, { node: node.core, name: INSPECTOR_NAME })
  const onConflict = (e: ClusterSrvConflict): void => {
    out.event({ event: 'name:conflict', cluster: opts.cluster, member: e.member.key, kept: e.kept?.key ?? null },
      `name:conflict: cluster "${opts.cluster}" was held on both sides of a partition; ${e.kept === null ? 'neither holder kept it' : `${e.kept.key} keeps it`}, this member merges`)
  }
  const context: StartContext = {
    node,
    cluster: opts.cluster,
    registry,
    log: (text, fields) => { out.event({ ...fields, event: 'module:log', text }, text) }
  }
  const behaviour = narrated(hosted, opts.cluster, { onEvent, onConflict })
  const member = parts.member = await startMember(behaviour, context, { node, cluster: opts.cluster }) as Pid
  await settled()
  starting = false
  const list = await pidlist(member)
  out.event({ event: 'node:ready', name: node.name, peerId: node.peerId, addresses: node.addresses, cluster: opts.cluster, member: member.key, pidlist: keys(list) },
    `ready: peer ${node.peerId}\n  listening on ${node.addresses.join(' ')}\n  member ${member.key} of cluster "${opts.cluster}", pidlist [${keys(list).join(', ')}]`)
  const holder = leader(node, opts.cluster)
  if (holder?.equals(member) === true) {
    out.event({ event: 'name:registered', cluster: opts.cluster, holder: member.key }, `holds the name of cluster "${opts.cluster}" (first member)`)
  }

  const command = async (line: string): Promise<void> => {
    switch (line.trim()) {
      case '': return
      case 'q': return await leave('q')
      case 'members': {
        const l = keys(await pidlist(member))
        out.event({ event: 'members', pidlist: l }, `members: ${l.join(', ')}`)
        return
      }
      case 'names': {
        const names = registry.registeredNames().map(n => ({ name: n, holder: registry.whereisName(n)?.key ?? null }))
        out.event({ event: 'names', names }, `names: ${names.map(n => `${n.name} → ${n.holder ?? '-'}`).join(', ') || '(none)'}`)
        return
      }
      case 'nodes': {
        const nodes = node.nodes()
        out.event({ event: 'nodes', nodes }, `nodes: ${nodes.join(', ') || '(none)'}`)
        return
      }
      default:
        out.event({ event: 'unknown-command', line }, 'commands: members, names, nodes, q')
    }
  }
  if (!opts.json) out.line('commands: members, names, nodes, q')
  createInterface({ input: process.stdin }).on('line', (line) => {
    command(line).catch((err: unknown) => { out.event({ event: 'error', message: (err as Error).message }, `error: ${(err as Error).message}`) })
  })
}

async function main (argv: string[]): Promise<void> {
  const debug = argv.includes('--debug')
  const json = argv.includes('--json')
  // A node's stdout is the CLI's alone in JSON mode, from before a module is loaded.
  const stdout = json && argv[0] !== 'ctl' ? claimStdout() : toStdout
  const fail = (err: unknown, code: number): never => {
    const message = err instanceof UsageError ? err.message : describeStartError(err)
    if (json) stdout(JSON.stringify({ event: 'error', name: (err as Error)?.name, message }) + '\n')
    process.stderr.write(`gen-cluster: ${message}\n`)
    if (debug && err instanceof Error) process.stderr.write(`${err.stack ?? ''}\n`)
    process.exit(code)
  }
  if (argv[0] === 'ctl') {
    let ctl
    try {
      ctl = parseCtl(argv.slice(1))
    } catch (err) {
      return fail(err, 2)
    }
    if (ctl === 'help') {
      process.stdout.write(`${CTL_USAGE}\n`)
      return
    }
    try {
      process.stdout.write(`${await runCtl(ctl)}\n`)
    } catch (err) {
      return fail(err, err instanceof UsageError ? 2 : 1)
    }
    process.exit(0)
  }
  let opts
  try {
    opts = parseStart(argv)
  } catch (err) {
    return fail(err, 2)
  }
  if (opts === 'help') {
    stdout(`${START_HELP}\n\n${CTL_USAGE}\n`)
    return
  }
  if (opts === 'version') {
    stdout(`${cliVersion()}\n`)
    return
  }
  const out = createOutput(opts.json, stdout)
  try {
    await run(opts, out, (err) => { fail(err, 1) })
  } catch (err) {
    fail(err, err instanceof UsageError ? 2 : 1)
  }
}

await main(process.argv.slice(2))
