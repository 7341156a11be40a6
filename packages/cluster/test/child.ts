/** Starting cluster nodes as OS processes of their own, and reading their JSON events. */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { createInterface } from 'node:readline'

const MAIN = fileURLToPath(new URL('../dist/test/fixtures/node-main.js', import.meta.url))
/** A node running one GenCluster member (`fixtures/member-main.ts`), for `startChild(args, MEMBER_MAIN)`. */
export const MEMBER_MAIN = fileURLToPath(new URL('../dist/test/fixtures/member-main.js', import.meta.url))

export interface ChildNode {
  readonly proc: ChildProcess
  readonly events: Array<Record<string, unknown>>
  /** Resolves with the first event (already seen or to come) that `match` accepts. */
  next(match: (e: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>
  /** Sends a signal to this child, by its pid. */
  signal(sig: NodeJS.Signals): void
  /** Ends the child (SIGKILL if it does not exit after SIGTERM). */
  end(): Promise<void>
}

const started = new Set<ChildNode>()

/** Starts `main` (default: `fixtures/node-main.ts`, compiled) with `args` in a child process. */
export function startChild (args: string[], main: string = MAIN): ChildNode {
  const proc = spawn(process.execPath, [main, ...args], { stdio: ['pipe', 'pipe', 'inherit'] })
  const events: Array<Record<string, unknown>> = []
  const waiters: Array<{ match: (e: Record<string, unknown>) => boolean, resolve: (e: Record<string, unknown>) => void }> = []
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    let e: Record<string, unknown>
    try { e = JSON.parse(line) as Record<string, unknown> } catch { return }
    events.push(e)
    for (const w of [...waiters]) if (w.match(e)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(e) }
  })
  const exited = new Promise<void>(resolve => { proc.once('exit', () => { resolve() }) })
  const child: ChildNode = {
    proc,
    events,
    async next (match, timeoutMs = 15_000) {
      const seen = events.find(match)
      if (seen !== undefined) return seen
      return await new Promise((resolve, reject) => {
        const w = { match, resolve: (e: Record<string, unknown>) => { clearTimeout(t); resolve(e) } }
        const t = setTimeout(() => { waiters.splice(waiters.indexOf(w), 1); reject(new Error(`no matching event within ${timeoutMs} ms; saw ${JSON.stringify(events)}`)) }, timeoutMs)
        waiters.push(w)
      })
    },
    signal (sig) {
      if (proc.pid !== undefined && proc.exitCode === null && proc.signalCode === null) process.kill(proc.pid, sig)
    },
    async end () {
      started.delete(child)
      if (proc.exitCode !== null || proc.signalCode !== null) return
      child.signal('SIGCONT')
      child.signal('SIGTERM')
      const t = setTimeout(() => { child.signal('SIGKILL') }, 3000)
      await exited
      clearTimeout(t)
    }
  }
  started.add(child)
  return child
}

/** Ends every child still running (for afterEach). */
export async function endChildren (): Promise<void> {
  await Promise.all([...started].map(async c => { await c.end() }))
}
