/**
 * A probe: a process that a test owns. It records every message it gets, and runs test code as
 * itself, so `self()`, `link`, `monitor`, `trapExit` and `startLink` work from a test.
 */
import { spawn } from '../api.js'
import type { CoreNode } from '../node.js'
import type { Pid } from '../pid.js'
import type { Proc } from '../process.js'
import { enter, leave } from '../scheduler.js'
import { ReceiveTimeoutError } from '../errors.js'

export interface Probe {
  readonly pid: Pid
  /** Every message received so far, in order (including ones already taken with `next`). */
  readonly messages: unknown[]
  /** The next message not yet taken (matching `match`), waiting up to `timeout` ms (real time) for it. */
  next<T = unknown>(match?: (message: unknown) => boolean, timeout?: number): Promise<T>
  /** Runs `fn` as the probe process. */
  run<T>(fn: () => T): T
  /** True while the probe process lives (an exit signal may kill it). */
  readonly alive: boolean
}

/** Starts a probe on `node`. */
export function probe (node: CoreNode, opts: { trapExit?: boolean } = {}): Probe {
  const messages: unknown[] = []
  const unread: unknown[] = []
  const waiters: Array<{ match: (m: unknown) => boolean, resolve: (m: unknown) => void }> = []
  const pid = spawn(async ({ receive }) => {
    for (;;) {
      const m = await receive()
      messages.push(m)
      const i = waiters.findIndex(w => w.match(m))
      if (i >= 0) waiters.splice(i, 1)[0]?.resolve(m)
      else unread.push(m)
    }
  }, { node, trapExit: opts.trapExit === true })
  const proc = node.procs.get(pid.id) as Proc
  return {
    pid,
    messages,
    get alive () {
      return proc.alive
    },
    next<T> (match: (m: unknown) => boolean = () => true, timeout = 2000): Promise<T> {
      const i = unread.findIndex(match)
      if (i >= 0) return Promise.resolve(unread.splice(i, 1)[0] as T)
      return new Promise<T>((resolve, reject) => {
        const w = { match, resolve: (m: unknown) => { clearTimeout(t); resolve(m as T) } }
        const t = setTimeout(() => {
          waiters.splice(waiters.indexOf(w), 1)
          reject(new ReceiveTimeoutError(timeout))
        }, timeout)
        waiters.push(w)
      })
    },
    run<T> (fn: () => T): T {
      const prev = enter(proc)
      try {
        return fn()
      } finally {
        leave(prev)
      }
    }
  }
}
