/**
 * Checking that a value is a GenServer behaviour before it runs (at `start`, `upgrade`, `expose`).
 */
import { InvalidBehaviourError } from './errors.js'
import type { AnyServer } from './server-loop.js'

const OPTIONAL_FNS = ['handleInfo', 'handleContinue', 'terminate', 'codeChange', 'formatStatus'] as const

/** Checks that `b` is a GenServer behaviour; throws `InvalidBehaviourError` naming the field otherwise. */
export function checkBehaviour (b: unknown): asserts b is AnyServer {
  if (typeof b !== 'object' || b === null) throw new InvalidBehaviourError('behaviour', 'must be an object of callbacks')
  const r = b as Record<string, unknown>
  if (typeof r.init !== 'function') throw new InvalidBehaviourError('init', 'must be a function')
  for (const table of ['handleCall', 'handleCast'] as const) {
    const t = r[table]
    if (t === undefined) continue
    if (typeof t !== 'object' || t === null) throw new InvalidBehaviourError(table, 'must be an object of handlers keyed by message type')
    for (const [k, v] of Object.entries(t)) if (typeof v !== 'function') throw new InvalidBehaviourError(`${table}.${k}`, 'must be a function')
  }
  for (const f of OPTIONAL_FNS) if (r[f] !== undefined && typeof r[f] !== 'function') throw new InvalidBehaviourError(f, 'must be a function')
  if (r.version !== undefined && typeof r.version !== 'string') throw new InvalidBehaviourError('version', 'must be a string')
}
