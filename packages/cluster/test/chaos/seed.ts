/**
 * The seeded randomness of the process-faults suite: the seed comes from `CHAOS_SEED` (to replay a
 * run) or is drawn, and is printed, so every run can be replayed.
 */
import { randomInt } from 'node:crypto'
import { mulberry32 } from '../../sim/prng.js'

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

/** The simulation's seeded PRNG (mulberry32), as a function returning floats in [0, 1). */
export function prng (seed: number): () => number {
  const rng = mulberry32(seed)
  return () => rng.next()
}
