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

/** Parses `argv` (without node and the script); throws `UsageError`. */
export function parseStart (argv: string[]): StartOptions | 'help' {
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
        help: { type: 'boolean', short: 'h', default: false }
      }
    })
  } catch (err) {
    // parseArgs' messages are already one line, e.g. "Unknown option '--nme'".
    const text = (err as Error).message.split('\n')[0]?.replace(/\. To specify a positional.*$/, '') ?? 'bad arguments'
    throw new UsageError(`${text}; ${USAGE}`)
  }
  const { values: v, positionals } = parsed
  if (v.help) return 'help'
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
