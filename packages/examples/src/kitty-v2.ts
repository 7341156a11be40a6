/**
 * Version 2 of the kitty server, for a live upgrade: the same messages, plus a tally of the orders
 * it served and the audits it heard, and a `stats` call to read them. `codeChange` carries the
 * version 1 state (the cats in stock) over and starts both tallies at zero.
 */
import { defineServer } from '@gen-cluster/core'
import type { ServerTypes } from '@gen-cluster/core'
import type { Cat, Kitty } from './kitty.js'

export interface KittyV2 extends ServerTypes {
  arg: Kitty['arg']
  state: Kitty['state'] & { served: number, audits: number }
  calls: Kitty['calls'] & { stats: { reply: { served: number, audits: number } } }
  casts: Kitty['casts']
  info: Kitty['info']
}

export const kittyV2 = defineServer<KittyV2>({
  name: 'kitty',
  version: '2',
  init: ({ onFree }) => ({ state: { cats: [], onFree, served: 0, audits: 0 } }),
  codeChange: (_from, old) => ({ ...(old as Kitty['state']), served: 0, audits: 0 }),
  handleCall: {
    order: (req, _from, s) => {
      const i = s.cats.findIndex(c => c.color === req.color)
      const served = s.served + 1
      if (i >= 0) return { reply: s.cats[i] as Cat, state: { ...s, served, cats: s.cats.filter((_, j) => j !== i) } }
      return { reply: { name: req.name, color: req.color, description: req.description }, state: { ...s, served } }
    },
    count: (_req, _from, s) => ({ reply: s.cats.length, state: s }),
    stats: (_req, _from, s) => ({ reply: { served: s.served, audits: s.audits }, state: s })
  },
  handleCast: {
    return: (m, s) => ({ state: { ...s, cats: [...s.cats, m.cat] } })
  },
  handleInfo: (m, s) => ({ state: m.type === 'audit' ? { ...s, audits: s.audits + 1 } : s }),
  terminate: (_reason, s) => {
    s.onFree?.(s.cats)
  }
})
