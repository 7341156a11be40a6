/**
 * Process faults, SIGSTOP: in a 5-node cluster (each node an OS process with one GenCluster member),
 * the holder's node is paused; the survivors must detect it (failure detector: no FIN, just silence),
 * take the cluster name over and agree; after SIGCONT the cluster must end with one holder named by
 * every node (the survivors' one), the stale holder's member merged back, identical pidlists, every
 * callback exactly once. Twice in a row (the second pause hits the holder the first one made). Calls
 * stream from every node through the pause and the resume (the paused node's own calls included:
 * they must end too), and sequenced casts flow between every pair.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { endChildren } from '../child.js'
import type { CallbackEvent } from '../gen-cluster-recorder.js'
import { check, ReliabilityReport } from '../report.js'
import { ChaosCluster } from './cluster.js'
import { dumpOnFailure, during, failures, settle, Tally, trafficChecks } from './checkpoint.js'
import { figure, spread } from './figures.js'

const PAUSES = 2
const CALLS = [1500, 2000] as const
const STREAM_REPORT_MS = CALLS[0] + 2 * CALLS[1] + 5000 + 10_000
const report = new ReliabilityReport('process faults: SIGSTOP of the holder\'s node, then SIGCONT')
let home: string

beforeAll(() => { home = mkdtempSync(join(tmpdir(), 'gen-cluster-chaos-pause-')) })
afterAll(async () => {
  await endChildren()
  rmSync(home, { recursive: true, force: true })
  report.print()
})

it('takes the name over while the holder\'s node is paused, and after SIGCONT ends with one holder, the stale holder merged and identical pidlists', async () => {
  const c = new ChaosCluster(home, 5)
  const tally = new Tally()
  const detection: number[] = []
  const takeover: number[] = []
  const merged: number[] = []
  await c.startAll()
  let settled = await settle(c)
  report.add({ scenario: 'start 5 nodes', faults: 0, checks: settled.checks, note: `converged ${settled.ms.toFixed(0)} ms after the last start` })
  expect(failures(settled.checks)).toEqual([])

  for (let round = 1; round <= PAUSES; round++) {
    const stale = settled.views[0]?.leader as string
    const paused = c.live().find(n => c.current(n).member === stale) as string
    const survivors = c.live().filter(n => n !== paused)

    const duringPause = c.post(c.live(), 'calls', CALLS)
    await c.ask(c.live(), 'view') // stdin is read in order: every stream is running now
    const stoppedAt = Date.now()
    c.pause(paused)
    const afterPause = await settle(c)
    const events = survivors.flatMap(n => c.current(n).child.events)
    const downs = events.filter(e => e.event === 'node:down' && e.node === paused && (e.at as number) >= stoppedAt)
    const seenDown = downs.length === survivors.length ? Math.max(...downs.map(e => e.at as number)) - stoppedAt : undefined
    if (seenDown !== undefined) detection.push(seenDown)
    const took = (events as unknown as CallbackEvent[]).find(e => e.cb === 'handleTakeover' && e.pid === stale && e.at >= stoppedAt)
    if (took !== undefined) takeover.push(took.at - stoppedAt)
    const pauseChecks = [
      ...afterPause.checks,
      check('a survivor took the name over', took === undefined ? ['no handleTakeover on a survivor'] : []),
      ...await trafficChecks(c, duringPause, survivors, STREAM_REPORT_MS, tally)
    ]

    const duringResume = c.post(survivors, 'calls', CALLS)
    const resumedAt = performance.now()
    c.resume(paused)
    settled = await settle(c)
    merged.push(performance.now() - resumedAt)
    const holder = settled.views[0]?.leader
    const resumeChecks = [
      ...settled.checks,
      check('the survivors\' holder kept, the stale one merged', [
        ...(holder === took?.member ? [] : [`holder ${holder ?? '-'}, expected the survivors' ${took?.member ?? '-'}`]),
        ...(settled.views.every(v => v.pidlist.includes(stale)) ? [] : [`${stale} is not in every pidlist`])
      ]),
      // The paused node's own stream (posted before the pause) must end too, now that it runs again.
      ...await trafficChecks(c, duringPause, [paused], STREAM_REPORT_MS, tally).then(k => k.slice(0, 1)),
      ...await trafficChecks(c, duringResume, survivors, STREAM_REPORT_MS, tally)
    ]

    const row = report.add({
      scenario: `pause ${round}: SIGSTOP ${paused} (holder), SIGCONT`,
      faults: 1,
      checks: [...during('paused', pauseChecks), ...during('resumed', resumeChecks)],
      note: `down ${seenDown ?? '?'} ms and new holder ${took === undefined ? '?' : took.at - stoppedAt} ms after SIGSTOP; one holder ${merged[merged.length - 1]?.toFixed(0) ?? '?'} ms after SIGCONT`
    })
    dumpOnFailure(c, row.checks)
    expect(failures(row.checks)).toEqual([])
  }
  figure('SIGSTOP of the holder → every survivor saw node-down', spread(detection))
  figure('SIGSTOP of the holder → handleTakeover on the successor', spread(takeover))
  figure('SIGCONT → one holder, identical pidlists on all 5', spread(merged))
  figure('traffic', tally.summary())
}, 40_000)
