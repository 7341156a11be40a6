/**
 * How busy the whole machine was over the soak, from `/proc/stat` (Linux; elsewhere: unknown), so
 * the report can say whether the nodes had the cores to themselves or shared them.
 */
import { readFileSync } from 'node:fs'

export interface CpuTimes { busy: number, total: number }

/** The machine's CPU time so far, in clock ticks summed over cores; undefined without `/proc/stat`. */
export function machineCpu (): CpuTimes | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? ''
    const [, ...fields] = line.trim().split(/\s+/)
    const n = fields.map(Number)
    const idle = (n[3] ?? 0) + (n[4] ?? 0)
    const total = n.slice(0, 8).reduce((a, b) => a + b, 0)
    return { busy: total - idle, total }
  } catch {
    return undefined
  }
}

/** The share of the machine's CPU time that was busy between `a` and `b`, in percent. */
export function busyPercent (a: CpuTimes | undefined, b: CpuTimes | undefined): number | undefined {
  if (a === undefined || b === undefined || b.total <= a.total) return undefined
  return 100 * (b.busy - a.busy) / (b.total - a.total)
}
