import { describe, expect, it } from 'vitest'
import { call, cast, start, stop } from '@gen-cluster/core'
import { kitty } from '@gen-cluster/examples'
import type { Cat } from '@gen-cluster/examples'

describe('kitty example through the published packages', () => {
  it('sells from stock after a return and frees the rest on terminate', async () => {
    let freed: Cat[] = []
    const shop = await start(kitty, { onFree: (cats) => { freed = cats } })
    const carl = await call(shop, { type: 'order', name: 'Carl', color: 'brown', description: 'x' })
    cast(shop, { type: 'return', cat: carl })
    cast(shop, { type: 'return', cat: { name: 'Jimmy', color: 'orange', description: 'y' } })
    expect(await call(shop, { type: 'count' })).toBe(2)
    expect((await call(shop, { type: 'order', name: 'Other', color: 'orange', description: '' })).name).toBe('Jimmy')
    await stop(shop, 'shutdown')
    expect(freed.map(c => c.name)).toEqual(['Carl'])
  })
})
