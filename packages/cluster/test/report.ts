/**
 * The reliability report: every fault-injection run (simulation, process faults, real partitions,
 * fuzzing, soak) adds one row per scenario (how many faults it injected, how many invariant checks
 * passed and failed) and prints the table at the end, so each run says in one place what it proved.
 *
 *   const report = new ReliabilityReport('process faults')
 *   report.add({ scenario: 'kill -9 round 3', faults: 1, checks: [{ name: 'one holder', problems: [] }] })
 *   report.print()
 *
 * A check is a named invariant with the problems found (none: it passed).
 */
export interface InvariantCheck {
  readonly name: string
  readonly problems: readonly string[]
}

export interface ScenarioRow {
  readonly scenario: string
  /** How many scenarios the row stands for (a run of seeds, say). @default 1 */
  readonly count?: number
  /** Faults injected in the scenario (kills, pauses, cuts, frames…). */
  readonly faults: number
  readonly checks: readonly InvariantCheck[]
  /** Anything worth printing beside the counts (a measured time, say). */
  readonly note?: string
}

export class ReliabilityReport {
  readonly title: string
  readonly rows: ScenarioRow[] = []

  constructor (title: string) {
    this.title = title
  }

  add (row: ScenarioRow): ScenarioRow {
    this.rows.push(row)
    return row
  }

  /** Checks passed and failed over every row. */
  totals (): { scenarios: number, faults: number, passed: number, failed: number } {
    let scenarios = 0
    let faults = 0
    let passed = 0
    let failed = 0
    for (const r of this.rows) {
      scenarios += r.count ?? 1
      faults += r.faults
      for (const c of r.checks) c.problems.length === 0 ? passed++ : failed++
    }
    return { scenarios, faults, passed, failed }
  }

  /** The table, with the failed checks' first problems under their row. */
  format (): string {
    const head = ['scenario', 'faults', 'checks passed', 'failed', 'note']
    const body = this.rows.map(r => {
      const failed = r.checks.filter(c => c.problems.length > 0).length
      return [r.scenario, String(r.faults), String(r.checks.length - failed), String(failed), r.note ?? '']
    })
    const t = this.totals()
    body.push(['total', String(t.faults), String(t.passed), String(t.failed), `${t.scenarios} scenarios`])
    const widths = head.map((h, i) => Math.max(h.length, ...body.map(row => (row[i] ?? '').length)))
    const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd()
    const out = [`== ${this.title} ==`, line(head), line(widths.map(w => '-'.repeat(w)))]
    body.forEach((row, i) => {
      if (i === body.length - 1) out.push(line(widths.map(w => '-'.repeat(w))))
      out.push(line(row))
      const r = this.rows[i]
      if (r === undefined) return
      for (const c of r.checks) for (const p of c.problems.slice(0, 3)) out.push(`    ${c.name}: ${p}`)
    })
    return out.join('\n')
  }

  print (write: (s: string) => void = s => { process.stdout.write(s) }): void {
    write(this.format() + '\n')
  }
}

/** A check from a list of problems. */
export function check (name: string, problems: readonly string[]): InvariantCheck {
  return { name, problems }
}
