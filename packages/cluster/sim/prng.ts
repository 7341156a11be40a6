/**
 * A seeded pseudo-random number generator (mulberry32): every choice of a simulation comes from one,
 * so a seed replays exactly.
 */
export interface Rng {
  /** A float in [0, 1). */
  next(): number
  /** An integer in [min, max]. */
  int(min: number, max: number): number
  /** True with probability `p`. */
  chance(p: number): boolean
  /** One element of `items` (non-empty). */
  pick<T>(items: readonly T[]): T
  /** A shuffled copy of `items`. */
  shuffle<T>(items: readonly T[]): T[]
}

/** A mulberry32 generator seeded with `seed` (any 32-bit integer). */
export function mulberry32 (seed: number): Rng {
  let a = seed >>> 0
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (min: number, max: number): number => min + Math.floor(next() * (max - min + 1))
  return {
    next,
    int,
    chance: (p) => next() < p,
    pick: (items) => items[int(0, items.length - 1)] as (typeof items)[number],
    shuffle (items) {
      const out = [...items]
      for (let i = out.length - 1; i > 0; i--) {
        const j = int(0, i)
        const x = out[i] as (typeof out)[number]
        out[i] = out[j] as (typeof out)[number]
        out[j] = x
      }
      return out
    }
  }
}
