/**
 * Hot code upgrade, live: a tally server runs version 1 while votes keep flowing; the running node
 * then loads version 2 from its module file (no restart) and upgrades every tally server at once.
 * No vote is lost or reordered: the counts add up, and version 2 checks the order of what follows.
 *
 * Run: `pnpm --filter @gen-cluster/examples hot-upgrade` (after `pnpm build`).
 */
import { fileURLToPath } from 'node:url'
import { call, cast, loadBehaviour, processInfo, start, upgradeAll } from '@gen-cluster/core'
import type { Pid } from '@gen-cluster/core'
import tallyV1 from './upgrade/tally-v1.js'
import type { TallyV2 } from './upgrade/tally-v2.js'

export interface HotUpgradeReport {
  readonly votes: number
  readonly counted: number
  readonly upgradedAt: number
  readonly versions: Array<string | undefined>
  readonly outOfOrder: number
  readonly sinceUpgrade: number
}

/** Runs the scenario with `votes` votes per server on `servers` servers; `log` narrates. */
export async function runHotUpgrade (opts: { votes?: number, servers?: number, log?: (line: string) => void } = {}): Promise<HotUpgradeReport> {
  const votes = opts.votes ?? 20_000
  const log = opts.log ?? (() => {})
  const options = ['cats', 'dogs', 'otters']
  const servers: Pid[] = []
  for (let i = 0; i < (opts.servers ?? 3); i++) servers.push(await start(tallyV1, undefined))
  log(`${servers.length} tally servers on version ${processInfo(servers[0] as Pid)?.version}`)
  const half = Math.floor(votes / 2)
  let seq = 0
  const vote = (): void => {
    seq++
    for (const pid of servers) cast(pid, { type: 'vote', option: options[seq % 3] as string, seq })
  }
  for (let i = 0; i < half; i++) vote()
  const v2File = fileURLToPath(new URL('./upgrade/tally-v2.js', import.meta.url))
  log(`${half} votes sent; loading version 2 from ${v2File}`)
  const next = await loadBehaviour<TallyV2>(v2File)
  const upgrading = upgradeAll('tally', next, { extra: { lastSeq: half } })
  const upgradedAt = seq
  for (let i = half; i < votes; i++) vote()
  const results = await upgrading
  log(`upgraded ${results.filter(r => r.result !== undefined).length} servers (${results.map(r => `${r.result?.from}→${r.result?.to}`).join(', ')}) while votes kept flowing`)
  let counted = 0
  let outOfOrder = 0
  let sinceUpgrade = 0
  for (const pid of servers) {
    const counts = await call(pid as Pid, { type: 'results' }, Infinity) as Record<string, number>
    const audit = await call(pid as Pid, { type: 'audit' }) as { outOfOrder: number, sinceUpgrade: number }
    counted += Object.values(counts).reduce((a, b) => a + b, 0)
    outOfOrder += audit.outOfOrder
    sinceUpgrade += audit.sinceUpgrade
    log(`${pid.toString()} v${processInfo(pid)?.version}: ${JSON.stringify(counts)}, out of order since upgrade: ${audit.outOfOrder}`)
  }
  return { votes: votes * servers.length, counted, upgradedAt, versions: servers.map(p => processInfo(p)?.version), outOfOrder, sinceUpgrade }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const report = await runHotUpgrade({ log: line => { process.stdout.write(`${line}\n`) } })
  process.stdout.write(`${report.counted} of ${report.votes} votes counted, ${report.outOfOrder} out of order\n`)
  process.exit(report.counted === report.votes && report.outOfOrder === 0 ? 0 : 1)
}
