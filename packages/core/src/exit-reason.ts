/**
 * Exit reasons: why a process ended. A small closed set, as in Erlang.
 *
 * | reason | meaning | kills linked processes that do not trap exits |
 * | --- | --- | --- |
 * | `'normal'` | the process finished its work | no |
 * | `'shutdown'`, `{ shutdown: x }` | it was told to stop (by a supervisor, `stop`) | yes |
 * | `'kill'` | sent with `exit(pid, 'kill')`: cannot be trapped; the target dies with `'killed'` | yes |
 * | `'killed'` | the process was killed with `'kill'` | yes |
 * | `'noproc'` | a link or monitor target did not exist | yes |
 * | `'noconnection'` | the node of a linked or monitored process went down | yes |
 * | `Error` | a crash: a callback threw, or returned something invalid | yes |
 */
export type ExitReason =
  | 'normal'
  | 'shutdown'
  | { readonly shutdown: unknown }
  | 'kill'
  | 'killed'
  | 'noproc'
  | 'noconnection'
  | Error

const ATOMS = new Set(['normal', 'shutdown', 'kill', 'killed', 'noproc', 'noconnection'])

/** True if `value` is one of the exit reasons above. */
export function isExitReason (value: unknown): value is ExitReason {
  if (typeof value === 'string') return ATOMS.has(value)
  if (value instanceof Error) return true
  return typeof value === 'object' && value !== null && Object.keys(value).length === 1 && 'shutdown' in value
}

/** A reason that does not count as a crash for restarts and logs (`normal`, `shutdown`, `{ shutdown }`). */
export function isCleanExit (reason: ExitReason): boolean {
  return reason === 'normal' || reason === 'shutdown' || (typeof reason === 'object' && !(reason instanceof Error))
}

/** A readable one-line rendering. */
export function formatReason (reason: ExitReason): string {
  if (typeof reason === 'string') return reason
  if (reason instanceof Error) return `${reason.name}: ${reason.message}`
  try {
    return `{ shutdown: ${JSON.stringify(reason.shutdown)} }`
  } catch {
    return '{ shutdown: … }'
  }
}
