/**
 * A link comes up on its two sides at different moments. While node b counts d connected and d does
 * not count b yet, a name d registers (through the coordinator, which commits it to b) and then
 * unregisters (d drops it on the nodes *it* counts) must not stay on b: d's complete SYNC, once its
 * side is up, settles it. Found by the soak (`pnpm soak`) when a killed node came back.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { spawn } from '@gen-cluster/core'
import { startGlobal } from '../src/index.js'
import { done } from './global-kit.js'
import { memCluster } from './helpers.js'
import type { MemCluster } from './helpers.js'

let cl: MemCluster | undefined
afterEach(async () => { await cl?.stopAll() })

describe('global registry over a link up on one side only', () => {
  it('drops everywhere a name registered and unregistered while the owner did not count one node connected yet', async () => {
    cl = memCluster()
    const c = cl
    const a = await c.add('a')
    const b = await c.add('b', ['a'])
    await c.until(() => a.nodes().length === 1 && b.nodes().length === 1)
    await startGlobal(a)
    const gb = await startGlobal(b)
    await c.clock.advance(10)
    // Hold the first frame b sends d (its HELLO) for 300 ms: b counts d connected, d does not count b.
    let held = false
    c.net.drop = (from, to) => {
      const hold = !held && from.startsWith('mem://b@') && to.startsWith('mem://d@')
      if (hold) held = true
      c.net.latencyMs = hold ? 300 : 0
      return false
    }
    const d = await c.add('d', ['a'])
    await c.until(() => b.nodes().includes(d.name) && d.nodes().includes(a.name), 1000, 1)
    const gd = await startGlobal(d)
    expect([b.nodes().includes(d.name), d.nodes().includes(b.name)]).toEqual([true, false])
    const pid = spawn(async ({ receive }) => { for (;;) await receive() }, { node: d.core })
    expect(await done(c, gd.registerName('x', pid))).toBe(true)
    expect(gb.whereisName('x')?.equals(pid)).toBe(true) // the coordinator's commit reached b
    await done(c, gd.unregisterName('x'))
    await c.until(() => d.nodes().includes(b.name), 2000, 1)
    await c.clock.advance(1000)
    expect([a.core.globalRegistry?.whereisName('x'), gb.whereisName('x'), gd.whereisName('x')]).toEqual([undefined, undefined, undefined])
    expect(gb.registeredNames()).toEqual([])
  })
})
