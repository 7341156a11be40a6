/**
 * The coordinator's record of the soak over time: every node incarnation's statistics lines, turned
 * into throughput per second, figures per time window, and memory over time with its growth.
 *
 * An incarnation is one start of a node (`name#creation`). Its counters are cumulative, so the
 * increase between two of its lines is spread over the seconds between them.
 */
import type { Stats } from './wire.js'

export interface Sample {
  t: number
  calls: number
  casts: number
  reg: number
  violations: number
  overdue: number
  rss: number
  heap: number
  external: number
  /** heapUsed just after a full GC, on every 5th line. */
  live: number | undefined
  cpu: number
}

const sum = (r: Record<string, number>): number => Object.values(r).reduce((a, b) => a + b, 0)
const MB = 1024 * 1024
/** Memory growth flagged: more than this fraction and more than {@link GROWTH_BYTES} (rss). */
const GROWTH = 0.5
const GROWTH_BYTES = 32 * MB

export class Tally {
  /** When the load started (0 s of every figure). */
  t0 = 0
  readonly samples = new Map<string, Sample[]>()
  /** Incarnation keys in the order they first reported, per node name. */
  readonly incarnations = new Map<string, string[]>()

  add (s: Stats): void {
    const key = `${s.node}#${s.creation}`
    let list = this.samples.get(key)
    if (list === undefined) {
      list = []
      this.samples.set(key, list)
      this.incarnations.set(s.node, [...(this.incarnations.get(s.node) ?? []), key])
    }
    list.push({
      t: s.t,
      calls: s.calls.replies + s.calls.wrong + sum(s.calls.errors),
      casts: s.casts.sent,
      reg: s.reg.registered + s.reg.refused + s.reg.unregistered + s.reg.lookups + sum(s.reg.errors),
      violations: s.casts.violations,
      overdue: s.calls.overdue,
      rss: s.mem.rss,
      heap: s.mem.heapUsed,
      external: s.mem.external,
      live: s.mem.live,
      cpu: s.cpu
    })
  }

  /** Operations per second of load (calls ended, casts sent, registry operations), `seconds` bins from t0. */
  perSecond (seconds: number): Array<{ calls: number, casts: number, reg: number }> {
    const bins = Array.from({ length: seconds }, () => ({ calls: 0, casts: 0, reg: 0 }))
    for (const list of this.samples.values()) {
      let prev: Sample | undefined
      for (const s of list) {
        const from = prev?.t ?? s.t - 1000
        for (const k of ['calls', 'casts', 'reg'] as const) {
          const delta = s[k] - (prev?.[k] ?? 0)
          if (delta > 0) spread(bins, k, delta, (from - this.t0) / 1000, (s.t - this.t0) / 1000)
        }
        prev = s
      }
    }
    return bins
  }

  /** In [a, b) seconds: violations first seen, the most calls overdue at once, on any incarnation. */
  window (a: number, b: number): { violations: number, overdue: number } {
    let violations = 0
    let overdue = 0
    for (const list of this.samples.values()) {
      let before = 0
      for (const s of list) {
        const sec = (s.t - this.t0) / 1000
        if (sec >= a && sec < b) {
          violations += s.violations - before
          overdue = Math.max(overdue, s.overdue)
        }
        before = s.violations
      }
    }
    return { violations, overdue }
  }

  /** CPU seconds the node processes used from t0 to `until` (a restarted one's start included). */
  cpuSeconds (until: number): number {
    let us = 0
    for (const list of this.samples.values()) {
      const before = list.filter(s => s.t <= this.t0).at(-1)?.cpu ?? 0
      const last = list.filter(s => s.t <= until).at(-1)?.cpu ?? before
      us += last - before
    }
    return us / 1e6
  }

  /** Every node's rss / live heap / external (MB) each `step` seconds; `*` marks a restarted incarnation. */
  memoryTable (nodes: string[], seconds: number, step = 5): string {
    const rows = [['t (s)', ...nodes.map(n => `${n.split('@')[0] ?? n} rss/live/ext`)]]
    for (let sec = 0; sec <= seconds; sec += step) {
      const at = this.t0 + sec * 1000
      rows.push([String(sec), ...nodes.map((n) => {
        let best: { s: Sample, restarted: boolean } | undefined
        for (const [i, k] of (this.incarnations.get(n) ?? []).entries()) {
          for (const s of this.samples.get(k) ?? []) {
            if (s.live !== undefined && Math.abs(s.t - at) <= 3000 && (best === undefined || Math.abs(s.t - at) < Math.abs(best.s.t - at))) best = { s, restarted: i > 0 }
          }
        }
        if (best === undefined) return '-'
        const { rss, live = 0, external } = best.s
        return `${mb(rss)}/${mb(live)}/${mb(external)}${best.restarted ? '*' : ''}`
      })])
    }
    return table(rows)
  }

  /**
   * Per incarnation with 3 or more live-heap samples after its first 10 s: the first of them against
   * the last, for the live heap (after a full GC) and rss. Problems: live heap up by over 50 % and
   * over 16 MB. Rss is printed and marked, not judged: V8 and malloc keep what they once took.
   */
  memoryGrowth (): { lines: string[], problems: string[] } {
    const lines: string[] = []
    const problems: string[] = []
    for (const [key, list] of this.samples) {
      const born = list[0]?.t ?? 0
      const settled = list.filter(s => s.live !== undefined && s.t - born >= 10_000)
      const first = settled[0]
      const last = settled.at(-1)
      if (settled.length < 3 || first === undefined || last === undefined) continue
      const over = `${((last.t - first.t) / 1000).toFixed(0)} s`
      const live = `${key} live heap ${mb(first.live ?? 0)} → ${mb(last.live ?? 0)} MB over ${over}`
      const grew = (a: number, b: number, bytes: number): boolean => b - a > bytes && b > a * (1 + GROWTH)
      if (grew(first.live ?? 0, last.live ?? 0, 16 * MB)) problems.push(live)
      lines.push(`${live}; rss ${mb(first.rss)} → ${mb(last.rss)} MB${grew(first.rss, last.rss, GROWTH_BYTES) ? ' (grew: flagged)' : ''}`)
    }
    return { lines, problems }
  }
}

const mb = (bytes: number): string => (bytes / MB).toFixed(0)

/** Adds `delta` to `bins[*][k]` spread evenly over the seconds [from, to). */
function spread (bins: Array<Record<'calls' | 'casts' | 'reg', number>>, k: 'calls' | 'casts' | 'reg', delta: number, from: number, to: number): void {
  const span = Math.max(to - from, 1e-3)
  for (let i = Math.max(0, Math.floor(from)); i < Math.min(bins.length, Math.ceil(to)); i++) {
    const overlap = Math.min(to, i + 1) - Math.max(from, i)
    const bin = bins[i]
    if (bin !== undefined && overlap > 0) bin[k] += delta * overlap / span
  }
}

/** Rows as a table, columns padded, the first row the head. */
export function table (rows: string[][]): string {
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map(r => (r[i] ?? '').length)))
  const line = (r: string[]): string => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd()
  return [line(rows[0] ?? []), line(widths.map(w => '-'.repeat(w))), ...rows.slice(1).map(line)].join('\n')
}
