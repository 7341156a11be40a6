/**
 * The coordinator's handle on one soak node process (`node.ts`): it starts it, reads its JSON lines,
 * sends it commands, and ends it by its pid only. Every process started here is in {@link running}
 * until it exits, and {@link killAll} (run on every exit path of the coordinator) kills what is left.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { Command, Line, NodeConfig, NodeEvent, Stats } from './wire.js'

const NODE_MAIN = fileURLToPath(new URL('./node.js', import.meta.url))

type Ready = Extract<NodeEvent, { ev: 'ready' }>

/** The node processes not yet exited. */
export const running = new Set<NodeProc>()

export class NodeProc {
  readonly name: string
  readonly proc: ChildProcess
  readonly exited: Promise<void>
  readonly startedAt: number
  ready: Ready | undefined
  /** The incarnation's last statistics line. */
  stats: Stats | undefined
  /** When this coordinator sent it SIGKILL. */
  killedAt: number | undefined
  readonly #waiters = new Set<{ match: (l: Line) => boolean, resolve: (l: Line) => void }>()

  /** Starts the node; `onLine` sees each of its lines. */
  constructor (config: NodeConfig, onLine: (line: Line, from: NodeProc) => void, startedAt: number) {
    this.name = config.name
    this.startedAt = startedAt
    this.proc = spawn(process.execPath, ['--expose-gc', NODE_MAIN, JSON.stringify(config)], { stdio: ['pipe', 'pipe', 'inherit'] })
    running.add(this)
    this.exited = new Promise(resolve => { this.proc.once('exit', () => { running.delete(this); resolve() }) })
    this.proc.stdin?.on('error', () => {}) // EPIPE from a node killed on purpose
    createInterface({ input: this.proc.stdout! }).on('line', (text) => {
      let line: Line
      try { line = JSON.parse(text) as Line } catch { return }
      if (line.ev === 'ready') this.ready = line
      if (line.ev === 'stats') this.stats = line
      onLine(line, this)
      for (const w of this.#waiters) if (w.match(line)) { this.#waiters.delete(w); w.resolve(line) }
    })
  }

  get alive (): boolean { return this.proc.exitCode === null && this.proc.signalCode === null }
  get creation (): number | undefined { return this.ready?.creation }

  /** The next line `match` accepts; rejects after `timeoutMs`, or if the process exits first. */
  async next (match: (l: Line) => boolean, timeoutMs: number): Promise<Line> {
    return await new Promise((resolve, reject) => {
      const w = { match, resolve: (l: Line) => { clearTimeout(timer); resolve(l) } }
      const timer = setTimeout(() => { this.#waiters.delete(w); reject(new Error(`${this.name}: no matching line within ${timeoutMs} ms`)) }, timeoutMs)
      this.#waiters.add(w)
      void this.exited.then(() => {
        if (!this.#waiters.delete(w)) return
        clearTimeout(timer)
        reject(new Error(`${this.name} exited (${this.proc.signalCode ?? this.proc.exitCode ?? '?'})`))
      })
    })
  }

  send (c: Command): void {
    if (this.alive) this.proc.stdin?.write(JSON.stringify(c) + '\n')
  }

  /** `kill -9`, by pid. */
  kill9 (at: number): void {
    this.killedAt = at
    this.#signal('SIGKILL')
  }

  /** Closes its stdin (it exits); SIGKILL by pid if it has not exited within 2 s. */
  async end (): Promise<void> {
    if (!this.alive) return
    this.proc.stdin?.end()
    const timer = setTimeout(() => { this.#signal('SIGKILL') }, 2000)
    await this.exited
    clearTimeout(timer)
  }

  #signal (sig: NodeJS.Signals): void {
    if (this.proc.pid !== undefined && this.alive) process.kill(this.proc.pid, sig)
  }
}

/** SIGKILL, by pid, to every node process still running (synchronous: for `process.on('exit')`). */
export function killAll (): void {
  for (const p of running) if (p.proc.pid !== undefined && p.alive) process.kill(p.proc.pid, 'SIGKILL')
}
