/**
 * The kitty service of the gen_microservice seed: ordering a cat is a synchronous call, returning one
 * is an asynchronous cast, `terminate` frees the cats that are left.
 */
import { defineServer } from '@gen-cluster/core'
import type { ServerTypes } from '@gen-cluster/core'

export interface Cat {
  readonly name: string
  readonly color: string
  readonly description: string
}

export interface Kitty extends ServerTypes {
  arg: { onFree?: (cats: Cat[]) => void }
  state: { cats: Cat[], onFree: ((cats: Cat[]) => void) | undefined }
  calls: {
    order: { request: { name: string, color: string, description: string }, reply: Cat }
    count: { reply: number }
  }
  casts: { return: { cat: Cat } }
  info: { type: 'audit' }
}

export const kitty = defineServer<Kitty>({
  name: 'kitty',
  version: '1',
  init: ({ onFree }) => ({ state: { cats: [], onFree } }),
  handleCall: {
    // A monolithic, synchronous callback.
    order: (req, _from, s) => {
      const i = s.cats.findIndex(c => c.color === req.color)
      if (i >= 0) {
        const cat = s.cats[i] as Cat
        return { reply: cat, state: { ...s, cats: s.cats.filter((_, j) => j !== i) } }
      }
      return { reply: { name: req.name, color: req.color, description: req.description }, state: s }
    },
    count: (_req, _from, s) => ({ reply: s.cats.length, state: s })
  },
  handleCast: {
    // A modern, asynchronous callback.
    return: async (m, s) => {
      await Promise.resolve()
      return { state: { ...s, cats: [...s.cats, m.cat] } }
    }
  },
  handleInfo: (_m, s) => ({ state: s }),
  terminate: (_reason, s) => {
    s.onFree?.(s.cats)
  }
})
