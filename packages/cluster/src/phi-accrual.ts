/**
 * The phi-accrual failure detector (Hayashibara et al., 2004, as Akka and Cassandra use it): instead of a
 * yes/no timeout, a suspicion level φ that grows with the silence since a peer's last heartbeat, scaled
 * by what that peer's recent heartbeats say is normal.
 *
 * The last `maxSampleSize` inter-arrival intervals are fitted with a normal distribution whose mean is
 * raised by `acceptableHeartbeatPauseMs` and whose standard deviation is at least `minStdDeviationMs`;
 * φ = −log10(P(an interval at least as long as the current silence)). φ = 8 reads: if the peer were
 * alive, a silence this long would happen about once in 10⁸ intervals.
 *
 * Pure: every method takes the current time and nothing here owns a timer; `FailureDetector` drives
 * one of these per peer over a `Clock`.
 */

/** Options of a {@link PhiAccrualDetector}. */
export interface PhiAccrualInit {
  /** φ at or above which the peer is suspected. @default 8 */
  threshold?: number
  /** How many recent inter-arrival intervals the history keeps. @default 200 */
  maxSampleSize?: number
  /** Floor of the standard deviation, so a perfectly regular history does not make φ a cliff. @default 100 */
  minStdDeviationMs?: number
  /**
   * A pause the peer may take with no heartbeat on top of its usual interval (a GC, a blocked event
   * loop); added to the mean of the history, as Akka does. @default 1000
   */
  acceptableHeartbeatPauseMs?: number
  /** The interval assumed before any was measured: the history starts as `[0.75 × it, 1.25 × it]`. @default 200 */
  firstHeartbeatEstimateMs?: number
}

/** The defaults of {@link PhiAccrualInit}; see `failure-detector.ts` for the arithmetic behind them. */
export const phiAccrualDefaults: Readonly<Required<PhiAccrualInit>> = Object.freeze({
  threshold: 8,
  maxSampleSize: 200,
  minStdDeviationMs: 100,
  acceptableHeartbeatPauseMs: 1000,
  firstHeartbeatEstimateMs: 200
})

// The logistic approximation of the standard normal CDF, F(y) ≈ 1 / (1 + e^(−y(A + B·y²))) (Bowling et al., 2009;
// absolute error below 1.4e-4), the one Akka uses.
const A = 1.5976
const B = 0.070566

/**
 * φ of a silence of `silenceMs` against a normal distribution of intervals with `meanMs` and
 * `stdDeviationMs`: −log10(1 − F(y)), y = (silence − mean) / σ. Strictly increasing in the silence,
 * log10(2) at the mean, finite for any finite input (no overflow to Infinity or NaN), Infinity only
 * for an infinite silence.
 */
export function phi (silenceMs: number, meanMs: number, stdDeviationMs: number): number {
  const y = (silenceMs - meanMs) / stdDeviationMs
  const z = y * (A + B * y * y)
  // 1 − F(y) = 1 / (1 + e^z), so φ = log10(1 + e^z): a softplus, computed so e^z never overflows.
  const softplus = z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z))
  return softplus / Math.LN10
}

/** The silence at which {@link phi} reaches `threshold` (its inverse in the silence). */
export function silenceAtPhi (threshold: number, meanMs: number, stdDeviationMs: number): number {
  // Invert the softplus: z = ln(10^t − 1); then solve B·y³ + A·y − z = 0 (one real root, by Cardano).
  const z = threshold * Math.LN10 + Math.log1p(-Math.pow(10, -threshold))
  const p = A / B
  const q = -z / B
  const d = Math.sqrt(q * q / 4 + p * p * p / 27)
  const y = Math.cbrt(-q / 2 + d) + Math.cbrt(-q / 2 - d)
  return meanMs + y * stdDeviationMs
}

/** Checks the options and fills in the defaults; throws a `TypeError` naming the first bad option. */
export function resolvePhiAccrualInit (init: PhiAccrualInit = {}): Required<PhiAccrualInit> {
  const o = { ...phiAccrualDefaults, ...definedOnly(init) }
  positive('threshold', o.threshold)
  if (!Number.isSafeInteger(o.maxSampleSize) || o.maxSampleSize < 1) {
    throw new TypeError(`maxSampleSize must be a positive integer, got ${o.maxSampleSize}`)
  }
  positive('minStdDeviationMs', o.minStdDeviationMs)
  nonNegative('acceptableHeartbeatPauseMs', o.acceptableHeartbeatPauseMs)
  positive('firstHeartbeatEstimateMs', o.firstHeartbeatEstimateMs)
  return o
}

/** One peer's detector: its heartbeat history and the time of its last heartbeat. */
export class PhiAccrualDetector {
  readonly threshold: number
  readonly maxSampleSize: number
  readonly minStdDeviationMs: number
  readonly acceptableHeartbeatPauseMs: number
  readonly firstHeartbeatEstimateMs: number
  readonly #intervals: Float64Array
  #count = 0
  #next = 0
  #sum = 0
  #sumOfSquares = 0
  #last: number | undefined

  constructor (init: PhiAccrualInit = {}) {
    const o = resolvePhiAccrualInit(init)
    this.threshold = o.threshold
    this.maxSampleSize = o.maxSampleSize
    this.minStdDeviationMs = o.minStdDeviationMs
    this.acceptableHeartbeatPauseMs = o.acceptableHeartbeatPauseMs
    this.firstHeartbeatEstimateMs = o.firstHeartbeatEstimateMs
    this.#intervals = new Float64Array(o.maxSampleSize)
  }

  /** Time of the last heartbeat (or resynchronisation); `undefined` before the first. */
  get lastHeartbeatAt (): number | undefined {
    return this.#last
  }

  /** Intervals in the history. */
  get sampleCount (): number {
    return this.#count
  }

  /** Mean of the history, without the acceptable pause; `NaN` before the first heartbeat. */
  get meanMs (): number {
    return this.#sum / this.#count
  }

  /** Standard deviation of the history, without the floor; `NaN` before the first heartbeat. */
  get stdDeviationMs (): number {
    const mean = this.meanMs
    return Math.sqrt(Math.max(0, this.#sumOfSquares / this.#count - mean * mean))
  }

  /**
   * Records a heartbeat at `now`. The interval since the previous one joins the history, unless the
   * peer was already suspected: the gap that ends a suspicion would skew the history (Akka's rule).
   */
  heartbeat (now: number): void {
    if (this.#last === undefined) {
      const spread = this.firstHeartbeatEstimateMs / 4
      this.#add(this.firstHeartbeatEstimateMs - spread)
      this.#add(this.firstHeartbeatEstimateMs + spread)
    } else if (this.isAvailable(now)) {
      this.#add(Math.max(0, now - this.#last))
    }
    this.#last = this.#last === undefined ? now : Math.max(this.#last, now)
  }

  /** Counts the peer as heard from at `now` without learning from the interval (it was not the peer's). */
  resync (now: number): void {
    if (this.#last === undefined) this.heartbeat(now)
    else this.#last = Math.max(this.#last, now)
  }

  /** Removes `ms` from the current silence (never past `now`): time in which this node could not listen. */
  forgive (ms: number, now: number): void {
    if (this.#last !== undefined) this.#last = Math.max(this.#last, Math.min(now, this.#last + ms))
  }

  /** The suspicion level at `now`; 0 before the first heartbeat. */
  phi (now: number): number {
    if (this.#last === undefined) return 0
    return phi(now - this.#last, this.#effectiveMean(), this.#effectiveStdDeviation())
  }

  /** Whether φ at `now` is below the threshold. */
  isAvailable (now: number): boolean {
    return this.phi(now) < this.threshold
  }

  /** The silence after the last heartbeat at which φ reaches the threshold, given the history now. */
  suspicionTimeoutMs (): number {
    if (this.#last === undefined) return Infinity
    return silenceAtPhi(this.threshold, this.#effectiveMean(), this.#effectiveStdDeviation())
  }

  #effectiveMean (): number {
    return this.meanMs + this.acceptableHeartbeatPauseMs
  }

  #effectiveStdDeviation (): number {
    return Math.max(this.stdDeviationMs, this.minStdDeviationMs)
  }

  #add (interval: number): void {
    if (this.#count === this.maxSampleSize) {
      const old = this.#intervals[this.#next] ?? 0
      this.#sum -= old
      this.#sumOfSquares -= old * old
    } else {
      this.#count++
    }
    this.#intervals[this.#next] = interval
    this.#sum += interval
    this.#sumOfSquares += interval * interval
    this.#next = (this.#next + 1) % this.maxSampleSize
    // Running sums drift by rounding; recompute them exactly once per trip round the window.
    if (this.#next === 0) this.#resum()
  }

  #resum (): void {
    let sum = 0
    let squares = 0
    for (let i = 0; i < this.#count; i++) {
      const v = this.#intervals[i] ?? 0
      sum += v
      squares += v * v
    }
    this.#sum = sum
    this.#sumOfSquares = squares
  }
}

/** Throws a `TypeError` naming `option` unless `value` is a finite number above 0. */
export function positive (option: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(`${option} must be a finite number above 0, got ${String(value)}`)
  }
}

/** Throws a `TypeError` naming `option` unless `value` is a finite number of at least 0. */
export function nonNegative (option: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new TypeError(`${option} must be a finite number of at least 0, got ${String(value)}`)
  }
}

/** `init` without the keys whose value is `undefined`, so they do not hide the defaults in a spread. */
export function definedOnly<T extends object> (init: T): Partial<T> {
  return Object.fromEntries(Object.entries(init).filter(([, v]) => v !== undefined)) as Partial<T>
}
