/**
 * Process faults, rolling restart: every node of a 5-node cluster (each an OS process with one
 * GenCluster member), one at a time, the holder's node first, is stopped cleanly (SIGTERM: it says
 * goodbye, its member leaves, the name goes to the successor) and started again with the same
 * identity. After each stop and each start: membership converged, one holder named by all and first
 * of the pidlist, identical pidlists equal to the live members, every callback exactly once, every
 * call ended with a reply or a typed error, per-pair order kept.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { endChildren } from '../child.js'
import { check, ReliabilityReport } from '../report.js'
import { ChaosCluster } from './cluster.js'
import { dumpOnFailure, during, joinedThroughHolder, failures, sameIdentity, settle, Tally, trafficChecks } from './checkpoint.js'
import { figure, spread } from './figures.js'

const CALLS = [800, 2000] as const
const STREAM_REPORT_MS = CALLS[0] + 2 * CALLS[1] + 5000 + 10_000
const report = new ReliabilityReport('process faults: rolling restart (SIGTERM, start with the same identity)')
let home: string

beforeAll(() => { home = mkdtempSync(join(tmpdir(), 'gen-cluster-chaos-rolling-')) })
afterAll(async () => {
  await endChildren()
  rmSync(home, { recursive: true, force: true })
  report.print()
})

it('keeps one holder, identical pidlists, exactly-once callbacks and ended calls while every node in turn stops cleanly and starts again', async () => {
  const c = new ChaosCluster(home, 5)
  const tally = new Tally()
  const gone: number[] = []
  const back: number[] = []
  await c.startAll()
  let settled = await settle(c)
  report.add({ scenario: 'start 5 nodes', faults: 0, checks: settled.checks, note: `converged ${settled.ms.toFixed(0)} ms after the last start` })
  expect(failures(settled.checks)).toEqual([])
  const holderFirst = [...c.names].sort((a, b) => Number(c.current(b).member === settled.views[0]?.leader) - Number(c.current(a).member === settled.views[0]?.leader))

  for (const name of holderFirst) {
    const wasHolder = c.current(name).member === settled.views[0]?.leader
    const duringStop = c.post(c.live(), 'calls', CALLS)
    await c.ask(c.live(), 'view') // stdin is read in order: every stream is running now
    const stoppedAt = performance.now()
    const clean = await c.stop(name)
    const afterStop = await settle(c)
    gone.push(performance.now() - stoppedAt)
    const stopChecks = [
      check('stopped cleanly on SIGTERM', clean ? [] : [`${name} did not print 'stopped' (killed after 3 s)`]),
      ...afterStop.checks,
      ...await trafficChecks(c, duringStop, c.live(), STREAM_REPORT_MS, tally)
    ]

    const duringStart = c.post(c.live(), 'calls', CALLS)
    const startedAt = performance.now()
    await c.start(name)
    settled = await settle(c)
    back.push(performance.now() - startedAt)
    const tookName = settled.views[0]?.leader === c.current(name).member
    const startChecks = [sameIdentity(c, name), joinedThroughHolder(tookName), ...settled.checks, ...await trafficChecks(c, duringStart, c.live().filter(n => n !== name), STREAM_REPORT_MS, tally)]

    const row = report.add({
      scenario: `restart ${name}${wasHolder ? ' (holder)' : ''}`,
      faults: 1,
      checks: [...during('after stop', stopChecks), ...during('after start', startChecks)],
      note: `converged ${gone[gone.length - 1]?.toFixed(0) ?? '?'} ms after SIGTERM, ${back[back.length - 1]?.toFixed(0) ?? '?'} ms after start`
    })
    dumpOnFailure(c, row.checks)
    expect(failures(row.checks)).toEqual([])
  }
  figure('SIGTERM → the other 4 converged', spread(gone))
  figure('start again → all 5 converged (incl. process start)', spread(back))
  figure('traffic', tally.summary())
}, 40_000)
