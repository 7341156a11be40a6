/**
 * The failure detector: notices a peer that went silent without closing its connection (a paused
 * process, a dead link with no FIN). The cluster sends a heartbeat frame to every peer each
 * `heartbeatIntervalMs` and calls `heartbeat(peer)` for every frame it receives from a peer; a
 * check every `checkIntervalMs` computes each peer's φ ({@link PhiAccrualDetector}) and calls
 * `onSuspect(peer)` once when it reaches the threshold.
 *
 * ## The defaults, and the arithmetic behind them
 *
 * Heartbeats every H = 200 ms. A steady peer's intervals have a mean of about 200 ms and a standard
 * deviation under the 100 ms floor, so φ reaches 8 at a silence of
 *
 *     T = mean + acceptableHeartbeatPauseMs + y₈ × minStdDeviationMs = 200 + 1000 + 5.226 × 100 ≈ 1723 ms
 *
 * where y₈ ≈ 5.226 solves log10(1 + e^(y(1.5976 + 0.070566 y²))) = 8. The check runs every 100 ms, so
 * a peer that stops sending is suspected at most T + 100 ≈ 1823 ms after its last heartbeat: under the
 * 2000 ms budget, with 177 ms to spare.
 *
 * - A peer whose event loop blocks for 1000 ms: the longest gap is 1000 + H = 1200 ms (the block began
 *   just before a send), 1260 ms with 60 ms of network jitter; φ(1260) ≈ 0.56, far from 8, and it
 *   would take a gap of T ≈ 1723 ms. The gap then joins the history, which makes the detector more
 *   patient with that peer, so blocks in a row are no worse. The price: with one to three such gaps
 *   among the last 200 intervals (40 s) T stays under 1900 ms and the 2 s bound holds; with four it
 *   becomes 1952 ms, so detection can take up to 2052 ms: a peer that often stalls is given more time.
 * - ±30 % jitter on each arrival (arrivals within ±60 ms of their slot, intervals of 80–320 ms): the
 *   deviation of the intervals is about 49 ms, under the floor, so T is unchanged; φ(320 ms) ≈ 10⁻²⁷.
 * - This node's own 1000 ms stall: a check due during it runs at most 1000 ms late, and the peers'
 *   silence is then at most 1000 + 1.6 H = 1320 ms < T, which the 1 s pause allowance already covers;
 *   the stall compensation below makes any longer stall safe as well.
 *
 * ## This node's own stalls
 *
 * When this node's event loop is blocked, heartbeats pile up unread in the socket buffers, and Node
 * runs overdue timers before it reads sockets, so the check that fires when the block ends would see
 * every peer silent for the whole block. A check that runs more than `stallThresholdMs` after it was
 * due therefore takes the lateness as time this node could not listen and removes it from every
 * peer's silence ({@link PhiAccrualDetector.forgive}); heartbeats that arrive while a check is overdue
 * that much set the peer's last arrival without joining the history (the interval measured this
 * node's stall, not the peer). The lateness is forgiven rather than the silence reset: a dead peer's
 * silence from before the stall still counts, and a node whose checks are often late still accuses
 * dead peers (after T of time awake) instead of never. At most `stallThresholdMs + checkIntervalMs`
 * of a stall is not forgiven (the part before the check was due, and a lateness under the threshold),
 * 300 ms with the defaults, which adds to a healthy peer's silence of at most 1.6 H: 620 ms < T.
 */
import type { Clock, LoggerFactory, Logger, TimerHandle } from '@gen-cluster/core'
import { stderrLogger } from '@gen-cluster/core'
import type { PhiAccrualInit } from './phi-accrual.js'
import { definedOnly, nonNegative, PhiAccrualDetector, phiAccrualDefaults, positive, resolvePhiAccrualInit } from './phi-accrual.js'

/** Options of a {@link FailureDetector}; the φ options apply to every peer. */
export interface FailureDetectorInit extends PhiAccrualInit {
  /** Time and timers. */
  clock: Clock
  /** Called once when a peer's φ reaches the threshold; again only after it was heard from and fell silent anew. */
  onSuspect: (peer: string) => void
  /** How often the cluster sends each peer a heartbeat frame. @default 200 */
  heartbeatIntervalMs?: number
  /** How often φ is checked; a peer is suspected at most this long after its φ reached the threshold. @default 100 */
  checkIntervalMs?: number
  /** A check later than this is taken as this node having stalled (see the module doc). @default 200 */
  stallThresholdMs?: number
  /** Component loggers; this one logs as `cluster:failure-detector`. @default stderr, level from `GEN_CLUSTER_LOG` */
  logger?: LoggerFactory
}

/** The defaults of {@link FailureDetectorInit} (the φ options default to these, too). */
export const failureDetectorDefaults = Object.freeze({
  ...phiAccrualDefaults,
  heartbeatIntervalMs: 200,
  checkIntervalMs: 100,
  stallThresholdMs: 200,
  /** Follows `heartbeatIntervalMs` unless given. */
  firstHeartbeatEstimateMs: 200
})

interface Peer {
  readonly detector: PhiAccrualDetector
  suspected: boolean
}

/**
 * Heartbeat-based failure detection of many peers over one clock.
 * @internal Used by the membership; exported for tools and tests.
 */
export class FailureDetector {
  /** The interval at which the cluster should send each peer a heartbeat frame. */
  readonly heartbeatIntervalMs: number
  readonly checkIntervalMs: number
  readonly stallThresholdMs: number
  readonly #phiInit: Required<PhiAccrualInit>
  readonly #clock: Clock
  readonly #onSuspect: (peer: string) => void
  readonly #log: Logger
  readonly #peers = new Map<string, Peer>()
  #timer: TimerHandle | undefined
  #dueAt = 0

  constructor (init: FailureDetectorInit) {
    const given = definedOnly(init)
    this.heartbeatIntervalMs = given.heartbeatIntervalMs ?? failureDetectorDefaults.heartbeatIntervalMs
    this.checkIntervalMs = given.checkIntervalMs ?? failureDetectorDefaults.checkIntervalMs
    this.stallThresholdMs = given.stallThresholdMs ?? failureDetectorDefaults.stallThresholdMs
    positive('heartbeatIntervalMs', this.heartbeatIntervalMs)
    positive('checkIntervalMs', this.checkIntervalMs)
    nonNegative('stallThresholdMs', this.stallThresholdMs)
    this.#phiInit = resolvePhiAccrualInit({
      threshold: given.threshold,
      maxSampleSize: given.maxSampleSize,
      minStdDeviationMs: given.minStdDeviationMs,
      acceptableHeartbeatPauseMs: given.acceptableHeartbeatPauseMs,
      firstHeartbeatEstimateMs: given.firstHeartbeatEstimateMs ?? this.heartbeatIntervalMs
    })
    if (typeof init.onSuspect !== 'function') throw new TypeError('onSuspect must be a function')
    this.#clock = init.clock
    this.#onSuspect = init.onSuspect
    this.#log = (init.logger ?? stderrLogger())('cluster:failure-detector')
  }

  /** Starts watching `peer`, counting now as its first heartbeat (its connection just spoke). No-op if watched. */
  add (peer: string): void {
    if (this.#peers.has(peer)) return
    const detector = new PhiAccrualDetector(this.#phiInit)
    detector.heartbeat(this.#clock.now())
    this.#peers.set(peer, { detector, suspected: false })
  }

  /** Stops watching `peer` and forgets its history; its later frames are ignored. */
  remove (peer: string): void {
    this.#peers.delete(peer)
  }

  /** Records a frame received from `peer` (any frame counts); ignored for a peer not watched. */
  heartbeat (peer: string): void {
    const p = this.#peers.get(peer)
    if (p === undefined) return
    const now = this.#clock.now()
    if (this.#timer !== undefined && now - this.#dueAt > this.stallThresholdMs) p.detector.resync(now)
    else p.detector.heartbeat(now)
    p.suspected = false
  }

  /** Starts the periodic check. Heartbeats are recorded whether or not it runs. No-op if started. */
  start (): void {
    if (this.#timer === undefined) this.#schedule(this.#clock.now())
  }

  /** Stops the periodic check. No-op if stopped. */
  stop (): void {
    if (this.#timer === undefined) return
    this.#clock.clearTimeout(this.#timer)
    this.#timer = undefined
  }

  /** The peers watched. */
  get peers (): string[] {
    return [...this.#peers.keys()]
  }

  /** `peer`'s φ now; `undefined` for a peer not watched. */
  phi (peer: string): number | undefined {
    return this.#peers.get(peer)?.detector.phi(this.#clock.now())
  }

  /** Whether `peer` was suspected and has not been heard from since. */
  isSuspected (peer: string): boolean {
    return this.#peers.get(peer)?.suspected ?? false
  }

  #schedule (now: number): void {
    this.#dueAt = now + this.checkIntervalMs
    this.#timer = this.#clock.setTimeout(() => { this.#check() }, this.checkIntervalMs)
  }

  #check (): void {
    const now = this.#clock.now()
    const lateMs = now - this.#dueAt
    this.#schedule(now)
    if (lateMs > this.stallThresholdMs) {
      this.#log.warn('check ran late: this node stalled; not counting the stall as peer silence', { lateMs })
      for (const p of this.#peers.values()) p.detector.forgive(lateMs, now)
    }
    const suspects: string[] = []
    for (const [peer, p] of this.#peers) {
      if (p.suspected || p.detector.isAvailable(now)) continue
      p.suspected = true
      suspects.push(peer)
    }
    for (const peer of suspects) {
      const p = this.#peers.get(peer)
      if (p?.suspected !== true) continue // an earlier onSuspect removed it, or it was heard from
      this.#log.info('peer suspected', { peer, phi: p.detector.phi(now) })
      try {
        this.#onSuspect(peer)
      } catch (err) {
        this.#log.error('onSuspect threw', { peer, err })
      }
    }
  }
}
