/**
 * A two-sided heartbeat simulation over one `VirtualClock`: the `LocalNode` runs the detector and can
 * stall, each `RemotePeer` sends heartbeats on its own schedule and can crash or block.
 */
import type { Clock, TimerHandle } from '@gen-cluster/core'
import type { VirtualClock } from '@gen-cluster/core/testing'
import { mulberry32 } from '../sim/prng.js'

/**
 * This node: timers and incoming frames that wait while its event loop is stalled. When a stall ends,
 * the overdue timers run before the frames that arrived (Node's timers phase precedes its poll
 * phase), or after them with `framesFirst` (the stall was in an I/O callback and the poll phase went on).
 */
export class LocalNode {
  readonly clock: Clock
  #stalled = false
  #timers: Array<() => void> = []
  #frames: Array<() => void> = []

  constructor (readonly virtual: VirtualClock) {
    this.clock = {
      now: () => virtual.now(),
      setTimeout: (fn, ms): TimerHandle => virtual.setTimeout(() => { this.#run(this.#timers, fn) }, ms),
      clearTimeout: (handle) => { virtual.clearTimeout(handle) }
    }
  }

  /** A frame arrives from the network: handled now, or when the stall ends. */
  receive (handle: () => void): void {
    this.#run(this.#frames, handle)
  }

  /** Blocks this node's event loop for `ms` from now. */
  stall (ms: number, order: 'timersFirst' | 'framesFirst' = 'timersFirst'): void {
    this.#stalled = true
    this.virtual.setTimeout(() => {
      this.#stalled = false
      const [first, second] = order === 'timersFirst' ? [this.#timers, this.#frames] : [this.#frames, this.#timers]
      this.#timers = []
      this.#frames = []
      for (const fn of [...first, ...second]) fn()
    }, ms)
  }

  #run (queue: Array<() => void>, fn: () => void): void {
    if (this.#stalled) queue.push(fn)
    else fn()
  }
}

export interface RemotePeerInit {
  clock: VirtualClock
  intervalMs: number
  /** Handles a heartbeat arriving at this node. */
  arrive: () => void
  /** The network delay of each heartbeat. @default 0 */
  delayMs?: () => number
}

/** A peer sending a heartbeat every `intervalMs`, the first `intervalMs` from now. */
export class RemotePeer {
  readonly #init: RemotePeerInit
  #timer: TimerHandle | undefined
  #dueAt = 0

  constructor (init: RemotePeerInit) {
    this.#init = init
    this.#schedule(init.intervalMs)
  }

  /** When its next heartbeat goes out. */
  get nextSendAt (): number {
    return this.#dueAt
  }

  /** Stops sending, for good (a crash, a dead link). */
  crash (): void {
    if (this.#timer !== undefined) this.#init.clock.clearTimeout(this.#timer)
    this.#timer = undefined
  }

  /** Blocks its event loop for `ms` from now: a heartbeat due meanwhile goes out when the block ends. */
  block (ms: number): void {
    const clock = this.#init.clock
    if (this.#timer === undefined || this.#dueAt >= clock.now() + ms) return
    clock.clearTimeout(this.#timer)
    this.#schedule(ms)
  }

  #schedule (ms: number): void {
    const clock = this.#init.clock
    this.#dueAt = clock.now() + ms
    this.#timer = clock.setTimeout(() => {
      const delay = this.#init.delayMs?.() ?? 0
      if (delay === 0) this.#init.arrive()
      else clock.setTimeout(this.#init.arrive, delay)
      this.#schedule(this.#init.intervalMs)
    }, ms)
  }
}

/** A seeded pseudo-random generator in [0, 1) (the simulation's mulberry32), so jitter is the same on every run. */
export function seededRandom (seed: number): () => number {
  const rng = mulberry32(seed)
  return () => rng.next()
}
