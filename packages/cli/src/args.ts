/** The command line of `gen-cluster start`, parsed and checked before anything starts. */
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { parseAddress } from '@gen-cluster/cluster'

/** Thrown for bad input; `message` is one line naming the problem and what to do. Exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError'
}

export interface StartOptions {
  name: string
  listen: string
  seeds: string[]
  secretFile?: string
  home?: string
  cluster: string
  json: boolean
  debug: boolean
  module?: string
  joinTimeoutMs: number
}

export const USAGE = 'usage: gen-cluster start --name NAME [--listen HOST:PORT] [--seed HOST:PORT]... [--secret-file FILE] [--home DIR] [--cluster NAME] [--module FILE.js] [--join-timeout SECONDS] [--json] [--debug]'

/** `gen-cluster start --help`: the usage, each option, and the `--module` contract (`module.ts`). */
export const START_HELP = `${USAGE}
       gen-cluster --version

Runs a cluster node hosting one member of a GenCluster, and narrates what happens.

  --name NAME            this node's name (NAME@host); its key lives in <home>/nodes/NAME
  --listen HOST:PORT     where to listen (default 127.0.0.1:0, any free port); or a multiaddr
  --seed HOST:PORT       a node of the cluster to join through; repeat for more
  --secret-file FILE     the cluster secret (default <home>/secret, created by the first node)
  --home DIR             default $GEN_CLUSTER_HOME, else ~/.gen-cluster
  --cluster NAME         the GenCluster to be a member of (default demo)
  --module FILE.js       host your own GenCluster instead of the example cluster server (below)
  --join-timeout SECONDS give up when no seed has answered by then (default 15)
  --json                 one JSON event per line on stdout
  --debug                log to stderr, and print stack traces

--module FILE.js: FILE.js is an ES module whose default export is a GenCluster (defineCluster from
@gen-cluster/cluster; its type is CliModule from @gen-cluster/cli). One member of it is started on
this node with startMember(module, context, { node, cluster }): init(context) receives a StartContext,
{ node, cluster, registry, log(text, fields?) }. The CLI prints the member's handleJoin,
handleNodeJoined, handleLeave and handleTakeover, and a name conflict over the cluster's name, by
itself (--json: member:join, member:leave, name:takeover, name:conflict); the module reports nothing.
With --json, whatever the module writes to stdout goes to stderr: stdout holds only the CLI's events.

Commands on stdin: members, names, nodes, q (leave cleanly; also SIGINT, SIGTERM).`

/** Parses `argv` (without node and the script); throws `UsageError`. */
export function parseStart (argv: string[]): StartOptions | 'help' | 'version' {
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        name: { type: 'string' },
        listen: { type: 'string', default: '127.0.0.1:0' },
        seed: { type: 'string', multiple: true, default: [] },
        'secret-file': { type: 'string' },
        home: { type: 'string' },
        cluster: { type: 'string', default: 'demo' },
        module: { type: 'string' },
        'join-timeout': { type: 'string', default: '15' },
        json: { type: 'boolean', default: false },
        debug: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        version: { type: 'boolean', default: false }
      }
    })
  } catch (err) {
    // parseArgs' messages are already one line, e.g. "Unknown option '--nme'".
    const text = (err as Error).message.split('\n')[0]?.replace(/\. To specify a positional.*$/, '') ?? 'bad arguments'
    throw new UsageError(`${text}; ${USAGE}`)
  }
  const { values: v, positionals } = parsed
  if (v.help) return 'help'
  if (v.version) return 'version'
  if (positionals[0] !== 'start' || positionals.length > 1) {
    throw new UsageError(positionals.length === 0 ? `no command given; ${USAGE}` : `unknown command "${positionals.join(' ')}"; ${USAGE}`)
  }
  if (v.name === undefined || v.name.trim() === '') throw new UsageError(`--name is required, e.g. --name a; ${USAGE}`)
  const address = (option: 'listen' | 'seeds', flag: string, value: string): string => {
    try {
      parseAddress(option, value)
      return value
    } catch {
      throw new UsageError(`bad address for ${flag}: "${value}"; give host:port (e.g. 127.0.0.1:4001) or a multiaddr (/ip4/127.0.0.1/tcp/4001)`)
    }
  }
  const listen = address('listen', '--listen', v.listen)
  const seeds = v.seed.map(s => address('seeds', '--seed', s))
  const secretFile = v['secret-file'] === undefined ? undefined : resolve(v['secret-file'])
  if (secretFile !== undefined && !existsSync(secretFile)) {
    throw new UsageError(`secret file ${secretFile} does not exist; copy the cluster's secret file (e.g. ~/.gen-cluster/secret on the first node) there, or leave out --secret-file`)
  }
  const joinTimeout = Number(v['join-timeout'])
  if (!Number.isFinite(joinTimeout) || joinTimeout <= 0) {
    throw new UsageError(`bad --join-timeout "${v['join-timeout']}"; give a positive number of seconds, e.g. --join-timeout 15`)
  }
  if (v.module !== undefined && !existsSync(resolve(v.module))) {
    throw new UsageError(`module ${resolve(v.module)} does not exist; give a .js file whose default export is a GenCluster`)
  }
  return {
    name: v.name,
    listen,
    seeds,
    secretFile,
    home: v.home === undefined ? undefined : resolve(v.home),
    cluster: v.cluster,
    json: v.json,
    debug: v.debug,
    module: v.module === undefined ? undefined : resolve(v.module),
    joinTimeoutMs: joinTimeout * 1000
  }
}
