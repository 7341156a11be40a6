/**
 * The in-memory transport keeps the links' promise, frames once and in order, also when the
 * network's latency changes while frames are on the way (the simulation's `delay` fault ends so).
 */
import { describe, expect, it } from 'vitest'
import { VirtualClock } from '@gen-cluster/core/testing'
import { MemoryNetwork } from '../src/index.js'
import type { Link } from '../src/index.js'

async function pair (net: MemoryNetwork, clock: VirtualClock): Promise<{ out: Link, received: number[] }> {
  const received: number[] = []
  const b = net.transport('b')
  await b.start((inb) => { inb.onFrame = (f) => { received.push(f[0] as number) } })
  const a = net.transport('a')
  await a.start(() => {})
  const dialled = a.dial('mem://b')
  await clock.advance(0)
  return { out: await dialled, received }
}

describe('MemoryNetwork', () => {
  it('delivers the frames of one link in order when the latency drops while some are on the way', async () => {
    // Seed 450 of the simulation: frames sent after a delay ended overtook those sent during it, so
    // a registry saw a DROP before the SYNC it follows, and two nodes named different holders.
    const clock = new VirtualClock()
    const net = new MemoryNetwork({ clock })
    const { out, received } = await pair(net, clock)
    net.latencyMs = 90
    out.send(Uint8Array.of(1))
    await clock.advance(30)
    out.send(Uint8Array.of(2))
    net.latencyMs = 0
    out.send(Uint8Array.of(3))
    await clock.advance(0)
    expect(received).toEqual([])
    await clock.advance(100)
    expect(received).toEqual([1, 2, 3])
    out.send(Uint8Array.of(4))
    await clock.advance(0)
    expect(received).toEqual([1, 2, 3, 4])
  })
})
