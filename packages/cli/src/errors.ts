/** Turning start and ctl failures into one line that names the problem and what to do. */
import { refusedAddress } from './refusal.js'
import type { Refusal } from './refusal.js'

/** Thrown when no seed answered within `--join-timeout`. */
export class JoinTimeoutError extends Error {
  override name = 'JoinTimeoutError'
  constructor (seeds: string[], ms: number, flag = '--join-timeout') {
    super(`no seed answered within ${ms / 1000} s (${seeds.join(', ')}); check that a node runs there and shares this node's cluster secret (--home / --secret-file), or raise ${flag}`)
  }
}

/** Thrown when the join timed out after a seed refused this node's secure handshake. */
export class SecretRefusedError extends Error {
  override name = 'SecretRefusedError'
  constructor (refusal: Refusal, ms: number) {
    super(`refused by the cluster at ${refusedAddress(refusal)}: the secure handshake failed, so this node holds another cluster secret (or that is not a gen-cluster node); gave up after ${ms / 1000} s; use the cluster's secret (--secret-file FILE or --home DIR)`)
  }
}

/** Thrown when the seed cannot answer (no inspector there, a call failed); `message` is one line. */
export class CtlError extends Error {
  override name = 'CtlError'
}

function codeOf (err: unknown): string | undefined {
  for (let e = err as { code?: unknown, cause?: unknown } | undefined, i = 0; e !== undefined && e !== null && i < 5; e = e.cause as typeof e, i++) {
    if (typeof e.code === 'string') return e.code
    if (e instanceof Error && /EADDRINUSE/.test(e.message)) return 'EADDRINUSE'
  }
  return undefined
}

/** One line for an error raised while starting a node. */
export function describeStartError (err: unknown): string {
  if (!(err instanceof Error)) return String(err)
  if (codeOf(err) === 'EADDRINUSE') return 'the --listen address is in use; pick another port, or 127.0.0.1:0 for any free one'
  if (codeOf(err) === 'EADDRNOTAVAIL') return 'the --listen host is not an address of this machine; use 127.0.0.1 or one of its interfaces'
  const first = err.message.split('\n')[0] ?? ''
  switch (err.name) {
    case 'SecretFileError': return `${first}; fix the file (64 hex characters or a passphrase of 16+, mode 0600) or point --secret-file at the cluster's secret`
    case 'NodeKeyError': return `${first}; remove the node's key file to make a new one, or use another --home`
    case 'InvalidOptionError': return `${first}; see gen-cluster --help`
    case 'JoinTimeoutError': case 'SecretRefusedError': case 'CtlError': case 'NodeNameRefusedError': case 'NodeRunningError': return first
    default: return `${err.name}: ${first} (run with --debug for details)`
  }
}
