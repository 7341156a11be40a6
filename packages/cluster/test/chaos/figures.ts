/** Printing the figures the process-faults suite measures (times in ms; noisy on a shared machine, so printed, never asserted). */

/** `n, min, median, max` of a list of times. */
export function spread (ms: readonly number[]): string {
  if (ms.length === 0) return 'none measured'
  const s = [...ms].sort((a, b) => a - b)
  const at = (q: number): string => (s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0).toFixed(0)
  return `n=${s.length}, min ${at(0)} ms, median ${at(0.5)} ms, max ${at(1)} ms`
}

/** Prints one figure on a line of its own. */
export function figure (label: string, value: string): void {
  process.stdout.write(`figure: ${label}: ${value}\n`)
}
