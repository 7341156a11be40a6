/**
 * A cluster node (`netns-member.ts`, compiled) running as an OS process inside a network namespace:
 * `ip netns exec NS node …` execs the node, so the child's pid is the node's own, and it is ended by
 * that pid. Its JSON-line events are kept in order; requests on stdin are answered by id.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

const MAIN = fileURLToPath(new URL('../../dist/test/netns/netns-member.js', import.meta.url))

export type NodeEvent = Record<string, unknown>

export class NsNode {
  readonly name: string
  readonly proc: ChildProcess
  readonly events: NodeEvent[] = []
  readonly #waiters: Array<{ match: (e: NodeEvent) => boolean, resolve: (e: NodeEvent) => void }> = []
  readonly #exited: Promise<void>
  #id = 0

  constructor (ns: string, name: string, args: readonly string[]) {
    this.name = name
    this.proc = spawn('ip', ['netns', 'exec', ns, process.execPath, MAIN, '--name', name, ...args], { stdio: ['pipe', 'pipe', 'inherit'] })
    createInterface({ input: this.proc.stdout! }).on('line', (line) => {
      let e: NodeEvent
      try { e = JSON.parse(line) as NodeEvent } catch { return }
      this.events.push(e)
      for (const w of [...this.#waiters]) if (w.match(e)) { this.#waiters.splice(this.#waiters.indexOf(w), 1); w.resolve(e) }
    })
    this.#exited = new Promise(resolve => { this.proc.once('exit', () => { resolve() }) })
  }

  get running (): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null
  }

  /** The first event `match` accepts, seen or to come; rejects after `timeoutMs`. */
  async next (match: (e: NodeEvent) => boolean, timeoutMs: number): Promise<NodeEvent> {
    const seen = this.events.find(match)
    if (seen !== undefined) return seen
    return await new Promise((resolve, reject) => {
      const w = { match, resolve: (e: NodeEvent) => { clearTimeout(t); resolve(e) } }
      const t = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(w), 1)
        reject(new Error(`${this.name}: no matching event within ${timeoutMs} ms (last: ${JSON.stringify(this.events.slice(-3))})`))
      }, timeoutMs)
      this.#waiters.push(w)
    })
  }

  /** Sends a request (`cmd` and its fields) and resolves with the answer, or rejects after `timeoutMs`. */
  async request (req: Record<string, unknown>, timeoutMs: number): Promise<NodeEvent> {
    const id = ++this.#id
    this.proc.stdin?.write(JSON.stringify({ ...req, id }) + '\n')
    return await this.next(e => e.id === id && e.event !== undefined && e.event !== 'callback', timeoutMs)
  }

  /** Ends the node: SIGTERM (it leaves the cluster), SIGKILL if it has not exited 3 s later. */
  async end (): Promise<void> {
    if (!this.running) return
    this.signal('SIGTERM')
    const t = setTimeout(() => { this.signal('SIGKILL') }, 3000)
    await this.#exited
    clearTimeout(t)
  }

  signal (sig: NodeJS.Signals): void {
    if (this.proc.pid !== undefined && this.running) process.kill(this.proc.pid, sig)
  }
}
