/**
 * The rules for what the process-group API takes: group and scope names, and members. The same rules
 * check what a peer scope sends (`messages.ts`), so a node never stores what its own API would refuse.
 */
import { Pid } from '@gen-cluster/core'
import { InvalidGroupError, InvalidGroupMemberError, InvalidOptionError, NotLocalMemberError } from '../errors.js'

/** Longest group or scope name, in UTF-8 bytes. */
export const MAX_NAME_BYTES = 255

/** The rule a group or scope name breaks, or undefined if it is a valid one. */
export function nameRule (value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length === 0) return 'expected a non-empty string'
  // At most 3 UTF-8 bytes per UTF-16 unit: short strings need no count.
  if (value.length * 3 > MAX_NAME_BYTES && Buffer.byteLength(value, 'utf8') > MAX_NAME_BYTES) {
    return `longer than ${MAX_NAME_BYTES} bytes (UTF-8)`
  }
  return undefined
}

/** True if `value` is a valid group name. */
export function isGroup (value: unknown): value is string {
  return nameRule(value) === undefined
}

/** Throws `InvalidGroupError` unless `group` is a non-empty string of at most 255 UTF-8 bytes. */
export function checkGroup (group: unknown): asserts group is string {
  const rule = nameRule(group)
  if (rule !== undefined) throw new InvalidGroupError(group, rule)
}

/** Throws `InvalidOptionError` (option `scope`) unless `scope` is a valid scope name. */
export function checkScope (scope: unknown): asserts scope is string {
  const rule = nameRule(scope)
  if (rule !== undefined) throw new InvalidOptionError('scope', rule)
}

/**
 * The pids of `value` (one Pid or an array of them), all of which must be processes of the node
 * `node` of creation `creation`: `InvalidGroupMemberError` for anything else, `NotLocalMemberError`
 * for a pid of another node (or of an earlier run of this one).
 */
export function localPids (value: unknown, node: string, creation: number): Pid[] {
  const pids = value instanceof Pid ? [value] : value
  if (!Array.isArray(pids) || !pids.every(p => p instanceof Pid)) throw new InvalidGroupMemberError(value)
  for (const pid of pids as Pid[]) {
    if (pid.node !== node || pid.creation !== creation) throw new NotLocalMemberError(pid.toString(), node)
  }
  return [...pids as Pid[]]
}
