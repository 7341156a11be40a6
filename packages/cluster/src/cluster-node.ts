/**
 * A cluster node: a core node whose `Distribution` reaches the other nodes of the cluster over
 * libp2p (or, in tests, over an in-memory transport). Processes of other nodes are then reached with
 * the core API unchanged: `send`, `call`, `cast`, `link`, `monitor`, `exit`.
 */
import { createNode, forgetNode, Pid, stopProcesses } from '@gen-cluster/core'
import type { AnyGenServer, Clock, CoreNode, LoggerFactory } from '@gen-cluster/core'
import { stderrLogger, systemClock } from '@gen-cluster/core'
import { randomInt } from 'node:crypto'
import { ClusterDistribution } from './distribution.js'
import { InvalidOptionError, NodeNameRefusedError } from './errors.js'
import { clusterHome, loadClusterSecret, loadOrCreateNodeKey, nextCreation, normalizeNodeName, parseAddress } from './identity.js'
import { Libp2pTransport } from './libp2p-transport.js'
import { Membership } from './membership.js'
import { lockNode } from './node-lock.js'
import { loadRemembered, rememberer } from './remembered.js'
import type { NodeLock } from './node-lock.js'
import type { MembershipInit } from './membership.js'
import type { MemberInfo } from './protocol.js'
import { VERSION } from './protocol.js'
import type { Transport, TransportLimits } from './transport.js'
import { TypedEventTarget } from './typed-events.js'

/** Options of {@link startNode}. Only `name` is required. */
export interface ClusterNodeInit extends TransportLimits {
  /** The node's name: `'a'` (becomes `a@<hostname>`) or `'a@host'`. */
  name: string
  /** Addresses to listen on: multiaddrs or `host:port`. @default `['127.0.0.1:0']` */
  listen?: string | string[]
  /** Nodes to join through (any one that answers): multiaddrs or `host:port`. @default none: a new cluster */
  seeds?: string[]
  /** Where keys, the secret and creation counters live. @default `$GEN_CLUSTER_HOME`, else `~/.gen-cluster` */
  home?: string
  /** The cluster secret (64 hex characters, or a passphrase of 16+ characters). @default `$GEN_CLUSTER_SECRET`, else the secret file */
  secret?: string | Uint8Array
  /** A file holding the cluster secret. @default `<home>/secret`, created with mode 0600 on first start */
  secretFile?: string
  /** A hidden node (a tool) talks to the cluster but is not one of its members. @default false */
  hidden?: boolean
  /** @default the system clock */
  clock?: Clock
  /** @default stderr, level from `GEN_CLUSTER_LOG` */
  logger?: LoggerFactory
  /** Membership and failure-detection tuning. */
  membership?: MembershipInit
  /** A transport to use instead of libp2p (the in-memory one, in tests). Skips keys and secret. */
  transport?: Transport
  /** The creation, with a custom transport. @default random */
  creation?: number
  /**
   * Behaviours this node exposes by name: other nodes may start them here (`startOn`) and upgrade
   * servers here to them (`upgrade(server, name)`). More with `exposeBehaviour(name, b, { node })`. @default none
   */
  behaviours?: Readonly<Record<string, AnyGenServer>>
}

export interface NodeUpEvent { readonly node: string, readonly info: MemberInfo }
export interface NodeDownEvent { readonly node: string, readonly reason: string }
export interface JoiningEvent { readonly address: string, readonly attempt: number, readonly error?: string }
export interface RefusedEvent { readonly node: string, readonly reason: 'name-in-use', readonly error: NodeNameRefusedError }

/** What `monitorNode` delivers when the node goes down (or at once, if it is not connected). */
export interface NodeDownMessage {
  readonly type: 'nodedown'
  readonly node: string
}

/** The events of a {@link ClusterNode}, by name: each a `CustomEvent` with this `detail`. */
export interface ClusterNodeEvents {
  /** A node joined the mesh (or came back). */
  'node:up': NodeUpEvent
  /** A node left (BYE) or was declared down (`reason`). */
  'node:down': NodeDownEvent
  /** This node is dialling a seed (`error` on a failed attempt). */
  'node:joining': JoiningEvent
  /** A node refused this one: it is connected to another node of this one's name (`error` says what to do). */
  'node:refused': RefusedEvent
}

/**
 * A running cluster node. Events (typed, see {@link ClusterNodeEvents}): `node:up`, `node:down`,
 * `node:joining`.
 * @example
 * node.addEventListener('node:down', (e) => { console.log(e.detail.node, e.detail.reason) })
 */
export class ClusterNode extends TypedEventTarget<ClusterNodeEvents> {
  readonly core: CoreNode
  readonly transport: Transport
  readonly membership: Membership
  readonly #nodeMonitors = new Map<string, Pid[]>()
  #stopped = false

  readonly #cleanup: (() => Promise<void>) | undefined

  /** @internal made by {@link startNode}; `cleanup` runs last in `stop` */
  constructor (core: CoreNode, transport: Transport, membership: Membership, cleanup?: () => Promise<void>) {
    super()
    this.core = core
    this.transport = transport
    this.membership = membership
    this.#cleanup = cleanup
  }

  get name (): string { return this.core.name }
  get creation (): number { return this.core.creation }
  get peerId (): string { return this.transport.id }
  get addresses (): string[] { return this.transport.addresses }

  /** Resolves once the node has joined through one of its seeds (at once without seeds). */
  get joined (): Promise<void> {
    return this.membership.joined
  }

  /** The connected nodes (not hidden ones), sorted. */
  nodes (): string[] {
    return [...this.membership.peers.values()].filter(p => !p.hello.hidden).map(p => p.name).sort()
  }

  /** Delivers `{ type: 'nodedown', node }` to `watcher` when `node` goes down (at once if it is not connected). */
  monitorNode (node: string, watcher: Pid): void {
    if (!(watcher instanceof Pid)) throw new TypeError('monitorNode: watcher must be a Pid')
    if (!this.membership.peers.has(node)) {
      this.core.send(watcher, { type: 'nodedown', node } satisfies NodeDownMessage, undefined)
      return
    }
    const list = this.#nodeMonitors.get(node) ?? []
    list.push(watcher)
    this.#nodeMonitors.set(node, list)
  }

  /** Called by the membership. */
  nodeUp (info: MemberInfo): void {
    this.emit('node:up', { node: info.name, info })
  }

  nodeDown (node: string, reason: string): void {
    for (const pid of this.#nodeMonitors.get(node) ?? []) this.core.send(pid, { type: 'nodedown', node } satisfies NodeDownMessage, undefined)
    this.#nodeMonitors.delete(node)
    this.emit('node:down', { node, reason })
  }

  /**
   * Leaves the cluster cleanly: first stops every local process with `'shutdown'`, newest first
   * (GenCluster members, then the services started before them: pg, the global registry), so other
   * nodes see each leave with `'shutdown'` (their `handleLeave`, links, monitors); then says BYE
   * (peers see a leave, not a failure) and stops the transport. A server gets `timeoutMs` (default
   * 5000) to run its `terminate`, then is killed. With `graceful: false` every process is ended at
   * once, as when the OS process dies (for tools and simulations of a crash).
   */
  async stop (reason = 'stopping', opts: { timeoutMs?: number, graceful?: boolean } = {}): Promise<void> {
    if (this.#stopped) return
    this.#stopped = true
    if (opts.graceful !== false) await stopProcesses(this.core, { reason: 'shutdown', timeout: opts.timeoutMs ?? 5000 })
    await this.membership.stop(reason)
    for (const proc of [...this.core.procs.values()]) this.core.terminate(proc, 'shutdown')
    await this.transport.stop()
    forgetNode(this.core)
    await this.#cleanup?.()
  }
}

/**
 * Starts a cluster node: loads (or creates) its key, creation and the cluster secret, listens, and
 * joins through its seeds in the background (`await node.joined` to wait for it).
 * @example
 * const a = await startNode({ name: 'a', listen: '127.0.0.1:4001' })
 * const b = await startNode({ name: 'b', listen: '127.0.0.1:4002', seeds: ['127.0.0.1:4001'] })
 * await b.joined
 */
export async function startNode (init: ClusterNodeInit): Promise<ClusterNode> {
  if (typeof init !== 'object' || init === null) throw new InvalidOptionError('init', 'expected an options object')
  const name = normalizeNodeName(init.name)
  const listen = (init.listen === undefined ? ['127.0.0.1:0'] : Array.isArray(init.listen) ? init.listen : [init.listen]).map(a => parseAddress('listen', a))
  if (init.seeds !== undefined && !Array.isArray(init.seeds)) throw new InvalidOptionError('seeds', 'expected an array of addresses')
  const clock = init.clock ?? systemClock
  const logger = init.logger ?? stderrLogger()
  const log = logger('cluster:membership')
  let transport = init.transport
  let nodeLock: NodeLock | undefined
  let creation = init.creation ?? randomInt(1, 2 ** 31)
  let seeds = init.seeds ?? []
  let remembered: MemberInfo[] = []
  let memory: ReturnType<typeof rememberer> | undefined
  // The identity taken below is given back if the start fails after it (and by `stop`).
  try {
    if (transport === undefined) {
      seeds = seeds.map(s => parseAddress('seeds', s))
      const home = clusterHome(init.home)
      const [privateKey, secret] = await Promise.all([
        loadOrCreateNodeKey(home, name),
        loadClusterSecret({ home, secret: init.secret, secretFile: init.secretFile })
      ])
      if (secret.source === 'created') log.info(`created the cluster secret at ${secret.path ?? ''} (copy it to other machines to let them join)`)
      nodeLock = await lockNode(home, name)
      creation = await nextCreation(home, name)
      if (init.hidden !== true) {
        remembered = await loadRemembered(home, name)
        memory = rememberer(home, name, () => [...membership?.known.values() ?? []], (err) => { log.debug('could not write the remembered members', { error: String(err) }) })
      }
      transport = new Libp2pTransport({ privateKey, psk: secret.psk, listen, log: logger('cluster:transport'), maxFrameBytes: init.maxFrameBytes, maxBufferedBytes: init.maxBufferedBytes })
    }
    const distribution = new ClusterDistribution()
    const core = createNode({ name, creation, clock, distribution, logger, behaviours: init.behaviours })
    let membership: Membership | undefined
    try {
      await transport.start((link) => {
        if (membership === undefined) link.close('node starting')
        else membership.accept(link)
      })
    } catch (err) {
      forgetNode(core)
      throw listenError(listen, err)
    }
    let node: ClusterNode | undefined
    membership = new Membership({
      self: { name, creation, peerId: transport.id, addresses: transport.addresses, version: VERSION, hidden: init.hidden === true },
      transport,
      clock,
      distribution,
      host: distribution.host ?? core.host(),
      log,
      options: { ...init.membership, failureDetector: { logger, ...init.membership?.failureDetector } },
      events: {
        up: (info) => { memory?.changed(); node?.nodeUp(info) },
        down: (n, reason) => { memory?.changed(); node?.nodeDown(n, reason) },
        joining: (address, attempt, error) => {
          node?.emit('node:joining', { address, attempt, error })
        },
        refused: (by, reason) => {
          node?.emit('node:refused', { node: by, reason, error: new NodeNameRefusedError(name, by) })
        }
      }
    })
    node = new ClusterNode(core, transport, membership, async () => {
      await memory?.flush()
      await nodeLock?.release()
    })
    membership.start(seeds, remembered)
    return node
  } catch (err) {
    await nodeLock?.release()
    throw err
  }
}

const LISTEN_FAILURES: Readonly<Record<string, string>> = {
  EADDRINUSE: 'the address is in use',
  EADDRNOTAVAIL: 'that host is not an address of this machine',
  EACCES: 'permission denied (a port below 1024 needs privileges)'
}

/** The system error code (`EADDRINUSE`…) in `err`, its causes, or the failures it aggregates (libp2p's listen error holds them in its text). */
function systemCode (err: unknown, depth = 0): string | undefined {
  if (typeof err !== 'object' || err === null || depth > 4) return undefined
  const e = err as { code?: unknown, cause?: unknown, errors?: unknown, message?: unknown }
  if (typeof e.code === 'string' && e.code in LISTEN_FAILURES) return e.code
  for (const inner of [e.cause, ...(Array.isArray(e.errors) ? e.errors : [])]) {
    const code = systemCode(inner, depth + 1)
    if (code !== undefined) return code
  }
  const message = e.message
  return typeof message === 'string' ? Object.keys(LISTEN_FAILURES).find(c => message.includes(c)) : undefined
}

/** One line for a failed listen: the address and what the system said, with its `code`. */
function listenError (listen: readonly string[], err: unknown): InvalidOptionError {
  const code = systemCode(err)
  const what = code === undefined ? (String((err as Error)?.message ?? err).split('\n')[0] ?? '') : `${LISTEN_FAILURES[code] ?? code} (${code})`
  return new InvalidOptionError('listen', `cannot listen on ${listen.join(', ')}: ${what}`, code === undefined ? { cause: err } : { cause: err, code })
}
