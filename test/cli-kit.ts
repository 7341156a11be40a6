/**
 * OS processes of the `gen-cluster` command for tests: every process started here is stopped by pid
 * after each test (SIGTERM, then SIGKILL after 3 s), also when the test failed, and every temporary
 * home is removed.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { afterEach } from 'vitest'

export const MAIN = fileURLToPath(new URL('../packages/cli/dist/src/main.js', import.meta.url))
export const DEMO = fileURLToPath(new URL('../packages/cli/dist/src/demo.js', import.meta.url))

const running = new Set<ChildProcess>()
const homes: string[] = []

function alive (p: ChildProcess): boolean { return p.exitCode === null && p.signalCode === null }

afterEach(async () => {
  await Promise.all([...running].map(async (p) => {
    if (alive(p) && p.pid !== undefined) process.kill(p.pid, 'SIGTERM')
    const t = setTimeout(() => { if (alive(p) && p.pid !== undefined) process.kill(p.pid, 'SIGKILL') }, 3000)
    if (alive(p)) await new Promise(resolve => p.once('exit', resolve))
    clearTimeout(t)
  }))
  running.clear()
  for (const h of homes.splice(0)) rmSync(h, { recursive: true, force: true })
})

/** A temporary directory, removed after the test. */
export function tempHome (): string {
  const h = mkdtempSync(join(tmpdir(), 'gen-cluster-cli-test-'))
  homes.push(h)
  return h
}

/** Starts `command` with `args` (extra `env` over this one's, logs silent), stopped after the test. */
export function spawnTracked (command: string, args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  const p = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, GEN_CLUSTER_LOG: 'silent', ...env } })
  running.add(p)
  return p
}

/** Starts `file` with `args` under `node` (default: this Node), stopped after the test. */
export function launch (file: string, args: string[], node = process.execPath): ChildProcess {
  return spawnTracked(node, [file, ...args])
}

/** Runs to the end; resolves with exit code and output. */
export async function runToEnd (file: string, args: string[], node?: string): Promise<{ code: number | null, stdout: string, stderr: string }> {
  const p = launch(file, args, node)
  let stdout = ''
  let stderr = ''
  p.stdout!.on('data', (d: Buffer) => { stdout += d.toString() })
  p.stderr!.on('data', (d: Buffer) => { stderr += d.toString() })
  const code = await new Promise<number | null>(resolve => p.once('exit', resolve))
  return { code, stdout, stderr }
}

export type CliEvent = Record<string, unknown>

/** A `gen-cluster start --json` process: its JSON events (every stdout line must be one), its stdout lines and its stderr. */
export interface JsonNode {
  readonly proc: ChildProcess
  /** Resolves with the first event, past or future, that `match`es. */
  next(match: (e: CliEvent) => boolean): Promise<CliEvent>
  /** Every line written to stdout so far. */
  readonly lines: readonly string[]
  /** Every event so far. */
  readonly events: readonly CliEvent[]
  /** Everything written to stderr so far. */
  stderr(): string
}

export function startJson (args: string[]): JsonNode {
  return watchJson(launch(MAIN, ['start', '--json', ...args]))
}

/** Reads `proc`'s stdout as JSON events, one per line (a line that is not JSON fails the test). */
export function watchJson (proc: ChildProcess): JsonNode {
  const events: CliEvent[] = []
  const lines: string[] = []
  let stderr = ''
  proc.stderr!.on('data', (d: Buffer) => { stderr += d.toString() })
  const waiters: Array<{ match: (e: CliEvent) => boolean, resolve: (e: CliEvent) => void }> = []
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    lines.push(line)
    const e = JSON.parse(line) as CliEvent
    events.push(e)
    for (const w of [...waiters]) if (w.match(e)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(e) }
  })
  return {
    proc,
    lines,
    events,
    stderr: () => stderr,
    next: async (match) => events.find(match) ?? await new Promise(resolve => { waiters.push({ match, resolve }) })
  }
}
