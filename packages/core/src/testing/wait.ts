/**
 * Awaiting conditions with a deadline, instead of sleeping and hoping.
 */
import { idle } from '../scheduler.js'

/** Thrown by `waitFor` when the condition is still false at the deadline. */
export class WaitTimeoutError extends Error {
  override name = 'WaitTimeoutError' as const
}

/** Resolves when every process is idle (no message queued, no signal pending). */
export async function settle (): Promise<void> {
  await idle()
}

/**
 * Resolves once `condition()` is true, checking after each turn of the event loop; rejects with
 * `WaitTimeoutError` after `timeout` ms of real time (default 2000).
 */
export async function waitFor (condition: () => boolean | Promise<boolean>, opts: { timeout?: number, message?: string } = {}): Promise<void> {
  const deadline = performance.now() + (opts.timeout ?? 2000)
  for (;;) {
    if (await condition()) return
    if (performance.now() > deadline) throw new WaitTimeoutError(opts.message ?? 'condition not met in time')
    await new Promise<void>(resolve => setTimeout(resolve, 1))
  }
}
