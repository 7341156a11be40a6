/**
 * Time, injected. Every timer in the runtime goes through a `Clock`, so protocol and server logic can
 * run under a virtual clock in tests (`VirtualClock` in `@gen-cluster/core/testing`).
 */

/** An opaque timer handle returned by {@link Clock.setTimeout}. */
export type TimerHandle = unknown

export interface Clock {
  /** Milliseconds on a monotonic scale. */
  now(): number
  /** Runs `fn` once after `ms` milliseconds. */
  setTimeout(fn: () => void, ms: number): TimerHandle
  clearTimeout(handle: TimerHandle): void
}

/** The real clock: `performance.now()` and Node's timers (unref'd, so a pending call timer never holds the process open). */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout (fn, ms) {
    const t = setTimeout(fn, ms)
    t.unref()
    return t
  },
  clearTimeout (handle) {
    clearTimeout(handle as NodeJS.Timeout)
  }
}
