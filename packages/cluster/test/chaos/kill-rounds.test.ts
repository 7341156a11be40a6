/**
 * Process faults, kill -9: a 5-node cluster, each node an OS process with one GenCluster member, goes
 * through 20 rounds of: kill -9 of a node drawn by a seeded PRNG (`CHAOS_SEED` replays a run; the
 * holder's node is forced every third round), the survivors converge, restart of the node with the
 * same identity, the cluster converges again. Calls stream from every node through each fault and
 * each restart, and sequenced casts flow between every pair all along. After each step: membership
 * converged, one holder named by all and first of the pidlist, identical pidlists equal to the live
 * members, every callback exactly once (replayed from each member's initial list), every call ended
 * with a reply or a typed error, per-pair order kept; after round 20, the heap of the nodes that
 * lived through rounds 2 to 20 is bounded. `n4` is never killed, so at least one node does.
 * And a restarted member joins through the holder: it never wins the cluster name from it (it did,
 * before the fix in `global-newcomer.test.ts`).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { endChildren } from '../child.js'
import type { CallbackEvent } from '../gen-cluster-recorder.js'
import { check, ReliabilityReport } from '../report.js'
import { ChaosCluster } from './cluster.js'
import { dumpOnFailure, during, joinedThroughHolder, failures, sameIdentity, settle, Tally, trafficChecks } from './checkpoint.js'
import { heapBounded, mb } from './invariants.js'
import { chaosSeed, prng } from './seed.js'
import { figure, spread } from './figures.js'

const ROUNDS = 20
const WITNESS = 'n4@test'
const CALLS = [1000, 2000] as const
/** A call stream reports after its duration, plus at most two call timeouts and a 5 s grace for a hung call. */
const STREAM_REPORT_MS = CALLS[0] + 2 * CALLS[1] + 5000 + 10_000
const seed = chaosSeed()
const report = new ReliabilityReport(`process faults: ${ROUNDS} rounds of kill -9 and restart (seed ${seed}, CHAOS_SEED=${seed} replays)`)
let home: string

beforeAll(() => { home = mkdtempSync(join(tmpdir(), 'gen-cluster-chaos-kill-')) })
afterAll(async () => {
  await endChildren()
  rmSync(home, { recursive: true, force: true })
  report.print()
})

it('keeps one holder, identical pidlists, exactly-once callbacks, ended calls and per-pair order through 20 rounds of kill -9 and restart with the same identity', async () => {
  process.stdout.write(`chaos seed ${seed}\n`)
  const rand = prng(seed)
  const c = new ChaosCluster(home, 5)
  const tally = new Tally()
  const detection: number[] = []
  const takeover: number[] = []
  const back: number[] = []
  const heap = new Map<number, Map<string, { heapUsed: number, rss: number }>>()
  await c.startAll()
  let settled = await settle(c)
  report.add({ scenario: 'start 5 nodes', faults: 0, checks: settled.checks, note: `converged ${settled.ms.toFixed(0)} ms after the last start` })
  expect(failures(settled.checks)).toEqual([])

  for (let round = 1; round <= ROUNDS; round++) {
    const holder = c.live().find(n => c.current(n).member === settled.views[0]?.leader) as string
    const drawn = c.names.filter(n => n !== WITNESS)[Math.floor(rand() * (c.names.length - 1))] as string
    const victim = round % 3 === 1 && holder !== WITNESS ? holder : drawn
    const victimMember = c.current(victim).member

    const duringKill = c.post(c.live(), 'calls', CALLS)
    await c.ask(c.live(), 'view') // stdin is read in order: every stream is running now
    const killedAt = Date.now()
    await c.kill(victim)
    const afterKill = await settle(c)
    const events = c.live().flatMap(n => c.current(n).child.events)
    const downs = events.filter(e => e.event === 'node:down' && e.node === victim && (e.at as number) >= killedAt)
    if (downs.length > 0) detection.push(Math.max(...downs.map(e => e.at as number)) - killedAt)
    const took = (events as unknown as CallbackEvent[]).find(e => e.cb === 'handleTakeover' && e.pid === victimMember)
    if (took !== undefined) takeover.push(took.at - killedAt)
    const killChecks = [...afterKill.checks, ...await trafficChecks(c, duringKill, c.live(), STREAM_REPORT_MS, tally)]

    const duringRestart = c.post(c.live(), 'calls', CALLS)
    const restartedAt = performance.now()
    await c.start(victim)
    settled = await settle(c)
    back.push(performance.now() - restartedAt)
    const tookOnRejoin = settled.views[0]?.leader === c.current(victim).member
    const restartChecks = [sameIdentity(c, victim), joinedThroughHolder(tookOnRejoin), ...settled.checks, ...await trafficChecks(c, duringRestart, c.live().filter(n => n !== victim), STREAM_REPORT_MS, tally)]
    if (round === 2 || round === ROUNDS) {
      heap.set(round, new Map([...await c.ask(c.live(), 'mem')].map(([n, a]) => [c.current(n).member, { heapUsed: a.heapUsed as number, rss: a.rss as number }])))
    }

    const row = report.add({
      scenario: `round ${round}: kill -9 ${victim}${victim === holder ? ' (holder)' : ''}`,
      faults: 1,
      checks: [...during('after kill', killChecks), ...during('after restart', restartChecks)],
      note: `down ${downs.length > 0 ? `${detection[detection.length - 1] ?? 0} ms` : 'unseen'}${took === undefined ? '' : `, new holder ${took.at - killedAt} ms`}, back ${back[back.length - 1]?.toFixed(0) ?? '?'} ms`
    })
    dumpOnFailure(c, row.checks)
    expect(failures(row.checks)).toEqual([])
  }

  const [before, after] = [heap.get(2) ?? new Map(), heap.get(ROUNDS) ?? new Map()]
  const lived = [...after.keys()].filter(k => before.has(k))
  const heapOf = (m: typeof before): Map<string, number> => new Map([...m].map(([k, v]) => [k, v.heapUsed]))
  const heapChecks = [check('heap bounded (same incarnation, round 2 → 20)', [
    ...(lived.length === 0 ? ['no node lived through rounds 2 to 20'] : []),
    ...heapBounded(heapOf(before), heapOf(after))
  ])]
  const growth = lived.map(k => `${k.split('.')[0] ?? k}: heap ${mb(before.get(k)?.heapUsed ?? 0)} → ${mb(after.get(k)?.heapUsed ?? 0)}, rss ${mb(before.get(k)?.rss ?? 0)} → ${mb(after.get(k)?.rss ?? 0)}`).join('; ')
  report.add({ scenario: 'memory, rounds 2 → 20', faults: 0, checks: heapChecks, note: growth })
  figure('memory of the nodes that lived through rounds 2 to 20 (after a GC)', growth)
  figure('kill -9 → every survivor saw node-down', spread(detection))
  figure('kill -9 of the holder → handleTakeover on the successor', spread(takeover))
  figure('restart → whole cluster converged (incl. process start)', spread(back))
  figure('traffic', tally.summary())
  expect(failures(heapChecks)).toEqual([])
}, 100_000)
