/** Version 1 of the tally server: counts votes per option. */
import { defineServer } from '@gen-cluster/core'
import type { ServerTypes } from '@gen-cluster/core'

export interface TallyV1 extends ServerTypes {
  state: Record<string, number>
  calls: { results: { reply: Record<string, number> } }
  casts: { vote: { option: string, seq: number } }
}

export default defineServer<TallyV1>({
  name: 'tally',
  version: '1',
  init: () => ({ state: {} }),
  handleCall: { results: (_r, _f, s) => ({ reply: s, state: s }) },
  handleCast: { vote: (m, s) => ({ state: { ...s, [m.option]: (s[m.option] ?? 0) + 1 } }) }
})
