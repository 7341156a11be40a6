import { describe, expect, it } from 'vitest'
import { silentLogger } from '@gen-cluster/core'
import { VirtualClock } from '@gen-cluster/core/testing'
import { FailureDetector, failureDetectorDefaults } from '../src/failure-detector.js'
import type { FailureDetectorInit } from '../src/failure-detector.js'
import { phi, PhiAccrualDetector } from '../src/phi-accrual.js'
import { LocalNode, RemotePeer, seededRandom } from './failure-detector-fixtures.js'

/** A detector on a `LocalNode`, recording suspicions and every heartbeat that reached it. */
function setup (init: Partial<FailureDetectorInit> = {}, { start = true } = {}) {
  const virtual = new VirtualClock()
  const local = new LocalNode(virtual)
  const suspicions: Array<{ peer: string, at: number }> = []
  const detector = new FailureDetector({
    clock: local.clock,
    onSuspect: peer => { suspicions.push({ peer, at: virtual.now() }) },
    logger: silentLogger,
    ...init
  })
  const arrivals = new Map<string, number[]>()
  const lastHeard = (peer: string): number => arrivals.get(peer)?.at(-1) ?? Number.NaN

  /** Starts `peer` sending heartbeats to this node; `connect` also has the detector watch it. */
  function sender (peer: string, delayMs?: () => number): RemotePeer {
    return new RemotePeer({
      clock: virtual,
      intervalMs: detector.heartbeatIntervalMs,
      ...(delayMs === undefined ? {} : { delayMs }),
      arrive: () => {
        local.receive(() => {
          detector.heartbeat(peer)
          arrivals.set(peer, [...(arrivals.get(peer) ?? []), virtual.now()])
        })
      }
    })
  }
  function connect (peer: string, delayMs?: () => number): RemotePeer {
    detector.add(peer)
    arrivals.set(peer, [virtual.now()])
    return sender(peer, delayMs)
  }
  if (start) detector.start()
  return { virtual, local, detector, suspicions, arrivals, lastHeard, sender, connect }
}

/** Network delays of 0–120 ms: each arrival within ±30 % of a 200 ms interval around its slot. */
function jitter (seed: number): () => number {
  const random = seededRandom(seed)
  return () => random() * 0.6 * failureDetectorDefaults.heartbeatIntervalMs
}

function maxGap (times: number[]): number {
  let max = 0
  for (let i = 1; i < times.length; i++) max = Math.max(max, (times[i] ?? 0) - (times[i - 1] ?? 0))
  return max
}

/** A detector with `count` heartbeats every `intervalMs`, the last at the returned time. */
function steady (count: number, intervalMs = 200, init = {}): { d: PhiAccrualDetector, last: number } {
  const d = new PhiAccrualDetector(init)
  for (let i = 0; i < count; i++) d.heartbeat(i * intervalMs)
  return { d, last: (count - 1) * intervalMs }
}

function thrown (fn: () => unknown): Error {
  try {
    fn()
  } catch (err) {
    return err as Error
  }
  throw new Error('expected a throw')
}

describe('phi accrual', () => {
  it('grows phi strictly with silence, and stays a number far past the threshold', () => {
    const { d, last } = steady(100)
    let previous = -1
    for (let silence = 0; silence <= 5000; silence += 1) {
      const p = d.phi(last + silence)
      expect(p).toBeGreaterThan(previous)
      previous = p
    }
    for (const silence of [1e4, 1e6, 1e9, 1e12]) {
      const p = d.phi(last + silence)
      expect(Number.isFinite(p)).toBe(true)
      expect(p).toBeGreaterThan(previous)
      previous = p
    }
    expect(d.phi(Infinity)).toBe(Infinity)
  })

  it('is 0 before the first heartbeat, and log10(2) at the mean', () => {
    expect(new PhiAccrualDetector().phi(12_345)).toBe(0)
    expect(phi(1200, 1200, 100)).toBeCloseTo(Math.log10(2), 12)
  })

  it('approximates -log10 of the normal tail', () => {
    const exact = [0.30103, 0.79955, 1.64302, 2.86967] // −log10(1 − Φ(k)), k = 0…3
    exact.forEach((value, k) => { expect(Math.abs(phi(k * 100, 0, 100) - value)).toBeLessThan(0.05) })
  })

  it('crosses the threshold at mean + acceptable pause + 5.23 × the deviation floor', () => {
    const { d, last } = steady(300)
    const timeout = d.suspicionTimeoutMs()
    expect(timeout).toBeCloseTo(200 + 1000 + 5.226 * 100, 0)
    expect(d.phi(last + timeout - 0.5)).toBeLessThan(8)
    expect(d.phi(last + timeout + 0.5)).toBeGreaterThanOrEqual(8)
  })

  it('keeps only the last maxSampleSize intervals', () => {
    const d = new PhiAccrualDetector({ maxSampleSize: 4 })
    // The first heartbeat seeds 150 and 250 (the 200 ms estimate ± a quarter); then 100, 100, 1000.
    for (const t of [0, 100, 200, 1200]) d.heartbeat(t)
    expect(d.sampleCount).toBe(4)
    expect(d.meanMs).toBe((250 + 100 + 100 + 1000) / 4)
    for (const t of [1300, 1400, 1500, 1600]) d.heartbeat(t)
    expect(d.meanMs).toBe(100)
    expect(d.stdDeviationMs).toBe(0)
  })

  it('does not learn the gap that ends a suspicion', () => {
    const { d, last } = steady(50)
    const before = { count: d.sampleCount, mean: d.meanMs }
    d.heartbeat(last + 10_000)
    expect({ count: d.sampleCount, mean: d.meanMs }).toEqual(before)
    expect(d.phi(last + 10_000)).toBeLessThan(1)
  })

  it('forgives a stall without going past now, and resyncs without learning', () => {
    const { d, last } = steady(50)
    d.forgive(500, last + 3000)
    expect(d.lastHeartbeatAt).toBe(last + 500)
    d.forgive(10_000, last + 3000)
    expect(d.lastHeartbeatAt).toBe(last + 3000)
    const count = d.sampleCount
    d.resync(last + 3001)
    expect(d.sampleCount).toBe(count)
    expect(d.lastHeartbeatAt).toBe(last + 3001)
  })
})

describe('FailureDetector', () => {
  it('has defaults that suspect a silent peer within 2 s yet tolerate a 1 s pause plus an interval and jitter', () => {
    const { d } = steady(300, failureDetectorDefaults.heartbeatIntervalMs)
    const timeout = d.suspicionTimeoutMs()
    expect(timeout + failureDetectorDefaults.checkIntervalMs).toBeLessThanOrEqual(2000)
    expect(timeout).toBeGreaterThan(1000 + 1.3 * failureDetectorDefaults.heartbeatIntervalMs)
    expect(new FailureDetector({ clock: new VirtualClock(), onSuspect: () => {} }).heartbeatIntervalMs).toBe(200)
  })

  it('suspects a peer that stops sending within 2 s of its last heartbeat, whatever the check phase', async () => {
    for (let phase = 0; phase < 100; phase += 7) {
      const t = setup({}, { start: false })
      const peer = t.connect('b')
      await t.virtual.advance(phase)
      t.detector.start()
      await t.virtual.advance(20_000)
      peer.crash()
      const last = t.lastHeard('b')
      await t.virtual.advance(5000)
      expect(t.suspicions.map(s => s.peer)).toEqual(['b'])
      const detectedAfter = (t.suspicions[0]?.at ?? Infinity) - last
      expect(detectedAfter).toBeGreaterThan(1700)
      expect(detectedAfter).toBeLessThanOrEqual(2000)
    }
  })

  it('suspects a stopped peer within 2 s after a history of ±30 % jitter', async () => {
    const t = setup()
    const peer = t.connect('b', jitter(1))
    await t.virtual.advance(60_000)
    peer.crash()
    await t.virtual.advance(200) // the last heartbeat in flight lands
    const last = t.lastHeard('b')
    await t.virtual.advance(5000)
    expect(t.suspicions).toHaveLength(1)
    expect((t.suspicions[0]?.at ?? Infinity) - last).toBeLessThanOrEqual(2000)
  })

  it('does not suspect a peer whose event loop blocks for 1 s just before a send, its next heartbeat 60 ms late', async () => {
    let lateNext = false
    const delayMs = (): number => {
      const delay = lateNext ? 60 : 0
      lateNext = false
      return delay
    }
    const t = setup()
    const peer = t.connect('b', delayMs)
    await t.virtual.advance(20_000)
    await t.virtual.advance(peer.nextSendAt - t.virtual.now() - 1)
    peer.block(1000)
    lateNext = true
    await t.virtual.advance(5000)
    expect(maxGap(t.arrivals.get('b') ?? [])).toBe(1000 + 200 - 1 + 60)
    expect(t.suspicions).toEqual([])
  })

  it('does not suspect a peer that blocks for 1 s five times in a row', async () => {
    const t = setup()
    const peer = t.connect('b')
    await t.virtual.advance(20_000)
    for (let i = 0; i < 5; i++) {
      await t.virtual.advance(peer.nextSendAt - t.virtual.now() - 1)
      peer.block(1000)
      await t.virtual.advance(1001)
    }
    await t.virtual.advance(5000)
    const gaps = (t.arrivals.get('b') ?? []).map((at, i, all) => at - (all[i - 1] ?? at))
    expect(gaps.filter(gap => gap > 1000)).toEqual([1199, 1199, 1199, 1199, 1199])
    expect(t.suspicions).toEqual([])
  })

  for (const order of ['timersFirst', 'framesFirst'] as const) {
    it(`accuses nobody after this node's own 1 s stall (${order === 'timersFirst' ? 'overdue check first' : 'buffered frames first'})`, async () => {
      const t = setup()
      for (const [i, name] of ['b', 'c', 'd'].entries()) t.connect(name, jitter(i + 10))
      await t.virtual.advance(20_000)
      t.local.stall(1000, order)
      await t.virtual.advance(5000)
      const burst = (t.arrivals.get('b') ?? []).filter(at => at === 21_000)
      expect(burst.length).toBeGreaterThanOrEqual(4) // the heartbeats sent during the stall, read at once
      expect(t.suspicions).toEqual([])
    })
  }

  it("accuses nobody after this node's own 5 s stall, which without the compensation accuses everyone", async () => {
    for (const stallThresholdMs of [failureDetectorDefaults.stallThresholdMs, 1e9]) {
      const t = setup({ stallThresholdMs })
      for (const name of ['b', 'c', 'd']) t.connect(name)
      await t.virtual.advance(20_000)
      t.local.stall(5000)
      await t.virtual.advance(10_000)
      expect(t.suspicions.map(s => s.peer).sort()).toEqual(stallThresholdMs === 1e9 ? ['b', 'c', 'd'] : [])
    }
  })

  it("suspects a peer that died before this node's stall within 2 s of time awake", async () => {
    const t = setup()
    const peer = t.connect('b')
    await t.virtual.advance(20_000)
    peer.crash()
    const last = t.lastHeard('b')
    await t.virtual.advance(500)
    t.local.stall(3000)
    await t.virtual.advance(5000)
    expect(t.suspicions).toHaveLength(1)
    const awake = (t.suspicions[0]?.at ?? Infinity) - last - 3000
    expect(awake).toBeGreaterThan(1000)
    expect(awake).toBeLessThanOrEqual(2000)
  })

  it('raises no suspicion over 10 virtual minutes of ±30 % arrival jitter', async () => {
    const t = setup()
    for (const [i, name] of ['b', 'c', 'd'].entries()) t.connect(name, jitter(100 + i))
    let maxPhi = 0
    const sample = (): void => {
      for (const name of ['b', 'c', 'd']) maxPhi = Math.max(maxPhi, t.detector.phi(name) ?? 0)
      t.virtual.setTimeout(sample, 50)
    }
    sample()
    await t.virtual.advance(600_000)
    expect(t.arrivals.get('d')?.length).toBeGreaterThanOrEqual(600_000 / 200)
    expect(t.suspicions).toEqual([])
    expect(maxPhi).toBeLessThan(0.01)
  })

  it('calls onSuspect once per suspicion, and again after the peer came back and fell silent', async () => {
    const t = setup()
    const first = t.connect('b')
    await t.virtual.advance(10_000)
    first.crash()
    await t.virtual.advance(10_000)
    expect(t.suspicions.map(s => s.peer)).toEqual(['b'])
    expect(t.detector.isSuspected('b')).toBe(true)
    const second = t.sender('b')
    await t.virtual.advance(10_000)
    expect(t.detector.isSuspected('b')).toBe(false)
    expect(t.suspicions).toHaveLength(1)
    second.crash()
    await t.virtual.advance(10_000)
    expect(t.suspicions.map(s => s.peer)).toEqual(['b', 'b'])
  })

  it('forgets a removed peer: no suspicion, and its later frames are ignored', async () => {
    const t = setup()
    const b = t.connect('b')
    t.connect('c')
    await t.virtual.advance(10_000)
    t.detector.remove('b')
    await t.virtual.advance(1000)
    b.crash()
    await t.virtual.advance(10_000)
    expect(t.suspicions).toEqual([])
    expect(t.detector.peers).toEqual(['c'])
    expect(t.detector.phi('b')).toBeUndefined()
  })

  it('checks nothing while stopped, and suspects on the first check after start()', async () => {
    const t = setup()
    const peer = t.connect('b')
    await t.virtual.advance(10_000)
    t.detector.stop()
    peer.crash()
    await t.virtual.advance(10_000)
    expect(t.suspicions).toEqual([])
    t.detector.start()
    await t.virtual.advance(failureDetectorDefaults.checkIntervalMs)
    expect(t.suspicions.map(s => s.peer)).toEqual(['b'])
  })

  it('keeps checking when onSuspect throws', async () => {
    const suspected: string[] = []
    const t = setup({ onSuspect: peer => { suspected.push(peer); throw new Error('boom') } })
    const b = t.connect('b')
    const c = t.connect('c')
    await t.virtual.advance(10_000)
    b.crash()
    await t.virtual.advance(5000)
    c.crash()
    await t.virtual.advance(5000)
    expect(suspected).toEqual(['b', 'c'])
  })

  it('rejects a negative, NaN or zero option with a TypeError naming it', () => {
    const bad: Array<[Exclude<keyof FailureDetectorInit, 'clock' | 'onSuspect' | 'logger'>, number]> = [
      ['heartbeatIntervalMs', 0], ['heartbeatIntervalMs', Number.NaN], ['checkIntervalMs', -5],
      ['checkIntervalMs', Number.NaN], ['stallThresholdMs', -1], ['stallThresholdMs', Number.NaN],
      ['threshold', 0], ['threshold', Number.NaN], ['maxSampleSize', 0], ['maxSampleSize', 1.5],
      ['maxSampleSize', Number.NaN], ['minStdDeviationMs', 0], ['minStdDeviationMs', -1],
      ['acceptableHeartbeatPauseMs', -1], ['acceptableHeartbeatPauseMs', Number.NaN],
      ['firstHeartbeatEstimateMs', -1], ['firstHeartbeatEstimateMs', Infinity]
    ]
    for (const [option, value] of bad) {
      const err = thrown(() => new FailureDetector({ clock: new VirtualClock(), onSuspect: () => {}, [option]: value }))
      expect(err.name).toBe('TypeError')
      expect(err.message).toContain(option)
      if (option !== 'heartbeatIntervalMs' && option !== 'checkIntervalMs' && option !== 'stallThresholdMs') {
        expect(thrown(() => new PhiAccrualDetector({ [option]: value })).message).toContain(option)
      }
    }
    expect(new FailureDetector({ clock: new VirtualClock(), onSuspect: () => {}, threshold: undefined }).checkIntervalMs).toBe(100)
  })
})
