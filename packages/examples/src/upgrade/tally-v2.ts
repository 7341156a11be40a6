/**
 * Version 2 of the tally server: also remembers the last vote's sequence number and counts any vote
 * that arrives out of order. `codeChange` moves the version 1 counts into the new state.
 */
import { defineServer } from '@gen-cluster/core'
import type { ServerTypes } from '@gen-cluster/core'

export interface TallyV2 extends ServerTypes {
  state: { counts: Record<string, number>, lastSeq: number, outOfOrder: number, sinceUpgrade: number }
  calls: { results: { reply: Record<string, number> }, audit: { reply: { lastSeq: number, outOfOrder: number, sinceUpgrade: number } } }
  casts: { vote: { option: string, seq: number } }
}

export default defineServer<TallyV2>({
  name: 'tally',
  version: '2',
  init: () => ({ state: { counts: {}, lastSeq: 0, outOfOrder: 0, sinceUpgrade: 0 } }),
  codeChange: (_from, old, extra) => ({
    counts: old as Record<string, number>,
    lastSeq: (extra as { lastSeq?: number } | undefined)?.lastSeq ?? 0,
    outOfOrder: 0,
    sinceUpgrade: 0
  }),
  handleCall: {
    results: (_r, _f, s) => ({ reply: s.counts, state: s }),
    audit: (_r, _f, s) => ({ reply: { lastSeq: s.lastSeq, outOfOrder: s.outOfOrder, sinceUpgrade: s.sinceUpgrade }, state: s })
  },
  handleCast: {
    vote: (m, s) => ({
      state: {
        counts: { ...s.counts, [m.option]: (s.counts[m.option] ?? 0) + 1 },
        lastSeq: m.seq,
        outOfOrder: s.outOfOrder + (s.lastSeq === 0 || m.seq === s.lastSeq + 1 ? 0 : 1),
        sinceUpgrade: s.sinceUpgrade + 1
      }
    })
  }
})
