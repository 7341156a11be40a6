/**
 * A virtual clock: time moves only when a test says so, and timers fire in deadline order.
 */
import type { Clock, TimerHandle } from '../clock.js'
import { idle } from '../scheduler.js'

interface Timer {
  readonly id: number
  readonly at: number
  readonly fn: () => void
}

export class VirtualClock implements Clock {
  #now: number
  #nextId = 1
  #timers = new Map<number, Timer>()

  constructor (start = 0) {
    this.#now = start
  }

  now (): number {
    return this.#now
  }

  setTimeout (fn: () => void, ms: number): TimerHandle {
    const timer: Timer = { id: this.#nextId++, at: this.#now + Math.max(0, ms), fn }
    this.#timers.set(timer.id, timer)
    return timer.id
  }

  clearTimeout (handle: TimerHandle): void {
    this.#timers.delete(handle as number)
  }

  /** Timers not yet fired. */
  get pending (): number {
    return this.#timers.size
  }

  /**
   * Moves time forward by `ms`, firing each due timer in deadline order; between two timers the
   * processes run until idle, so what a timer causes happens before the next one fires.
   */
  async advance (ms: number): Promise<void> {
    const until = this.#now + ms
    await idle()
    for (;;) {
      const next = this.#earliest()
      if (next === undefined || next.at > until) break
      this.#timers.delete(next.id)
      this.#now = next.at
      next.fn()
      await idle()
    }
    this.#now = until
    await idle()
  }

  /** Fires every pending timer (and those they set), up to `limit` of them. */
  async runAll (limit = 10_000): Promise<void> {
    for (let i = 0; i < limit; i++) {
      await idle()
      const next = this.#earliest()
      if (next === undefined) return
      await this.advance(next.at - this.#now)
    }
  }

  #earliest (): Timer | undefined {
    let best: Timer | undefined
    for (const t of this.#timers.values()) if (best === undefined || t.at < best.at || (t.at === best.at && t.id < best.id)) best = t
    return best
  }
}
