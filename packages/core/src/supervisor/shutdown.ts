/**
 * Shutting children down, as OTP's supervisor does: monitor the child, send it an exit signal
 * (`'kill'` for `brutal_kill`, else `'shutdown'`), and wait for its `DOWN` with a selective receive;
 * if a timeout passes first (on the node's clock), kill it and wait again. The supervisor is inside
 * a callback meanwhile, so no other message of its mailbox is handled until its children are gone.
 */
import { ReceiveTimeoutError } from '../errors.js'
import type { ExitReason } from '../exit-reason.js'
import type { Pid } from '../pid.js'
import type { DownMessage, Proc } from '../process.js'
import { isDown, monitor, sendExit } from '../signals.js'
import type { Shutdown } from './supervisor.js'

export interface ShutdownTarget {
  readonly pid: Pid
  readonly shutdown: Shutdown
}

interface Pending {
  readonly target: ShutdownTarget
  /** Clock time at which to kill it; Infinity once killed, or when it may take as long as it needs. */
  deadline: number
}

/**
 * Shuts `targets` down at the same time, from `sup` (the calling supervisor's process); resolves
 * with each one's exit reason, by pid key, once all have exited.
 */
export async function shutdown (sup: Proc, targets: readonly ShutdownTarget[]): Promise<Map<string, ExitReason>> {
  const node = sup.node
  const now = node.clock.now()
  const pending = new Map<string, Pending>()
  for (const target of targets) {
    const ref = monitor(node, sup, target.pid)
    const kill = target.shutdown === 'brutal_kill'
    sendExit(node, sup.pid, target.pid, kill ? 'kill' : 'shutdown', false)
    pending.set(ref.key, { target, deadline: kill ? Infinity : now + (target.shutdown as number) })
  }
  const reasons = new Map<string, ExitReason>()
  while (pending.size > 0) {
    let next = Infinity
    for (const p of pending.values()) next = Math.min(next, p.deadline)
    const timeout = next === Infinity ? undefined : Math.max(0, next - node.clock.now())
    try {
      const down = await sup.receive<DownMessage>(m => isDown(m) && pending.has(m.ref.key), timeout)
      const p = pending.get(down.ref.key) as Pending
      pending.delete(down.ref.key)
      reasons.set(p.target.pid.key, down.reason)
    } catch (err) {
      if (!(err instanceof ReceiveTimeoutError)) throw err
      const at = node.clock.now()
      for (const p of pending.values()) {
        if (p.deadline > at) continue
        p.deadline = Infinity
        sendExit(node, sup.pid, p.target.pid, 'kill', false)
      }
    }
  }
  return reasons
}

/**
 * True if `reason` is what a child stopped with `shutdown` is expected to exit with (or `'noproc'`:
 * it had already exited, and reported that itself).
 */
export function isExpectedShutdown (shutdown: Shutdown, reason: ExitReason): boolean {
  if (reason === 'noproc') return true
  if (shutdown === 'brutal_kill') return reason === 'killed'
  return reason === 'shutdown'
}
