/**
 * The seeded randomness of the process-faults suite: the seed comes from `CHAOS_SEED` (to replay a
 * run) or is drawn, and is printed, so every run can be replayed.
 */
import { randomInt } from 'node:crypto'

/** The seed of this run: `CHAOS_SEED` if set, else a random one. */
export function chaosSeed (): number {
  const env = process.env.CHAOS_SEED
  if (env !== undefined && env !== '') {
    const n = Number(env)
    if (!Number.isInteger(n) || n < 0 || n >= 2 ** 32) throw new RangeError(`CHAOS_SEED must be an integer in [0, 2^32), got ${JSON.stringify(env)}`)
    return n
  }
  return randomInt(2 ** 32 - 1)
}

/** mulberry32: a small, fast PRNG; returns floats in [0, 1). */
export function prng (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
