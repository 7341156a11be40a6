/**
 * A cluster of nodes for the process-faults suite, each node an OS process of its own running the
 * member fixture with its probe (`fixtures/member-main.ts --chaos`): start, kill -9, SIGSTOP and
 * SIGCONT, SIGTERM, restart with the same identity (same name and home: same peer id, next
 * creation), and ask every running node a question on stdin. Every incarnation of every node is kept,
 * with all it printed, so the invariants can replay a dead member's callbacks too.
 */
import { writeFileSync } from 'node:fs'
import type { ChildNode } from '../child.js'
import { MEMBER_MAIN, startChild } from '../child.js'

/** One run of a node (its process, from start to exit). */
export interface Incarnation {
  readonly name: string
  readonly child: ChildNode
  readonly member: string
  readonly peerId: string
  readonly creation: number
  readonly address: string
  readonly readyAt: number
}

/** How long a node may take to start and join on a loaded machine. */
const READY_MS = 30_000
/** How long a node may take to answer a question on stdin. */
const ANSWER_MS = 10_000

export class ChaosCluster {
  readonly names: string[]
  /** Every incarnation of each node, oldest first. */
  readonly runs = new Map<string, Incarnation[]>()
  /** Nodes whose current process was killed or stopped (not started again yet). */
  readonly dead = new Set<string>()
  readonly paused = new Set<string>()
  readonly #home: string
  readonly #secret: string
  #query = 0

  constructor (home: string, size: number, secret = 'c4'.repeat(32)) {
    this.#home = home
    this.#secret = secret
    this.names = Array.from({ length: size }, (_, i) => `n${i}@test`)
  }

  /** Starts every node, one after another, each seeded with those already up. */
  async startAll (): Promise<void> {
    for (const name of this.names) await this.start(name)
  }

  /** The current incarnation of `name`. */
  current (name: string): Incarnation {
    const runs = this.runs.get(name)
    const run = runs?.[runs.length - 1]
    if (run === undefined) throw new Error(`${name} was never started`)
    return run
  }

  /** Nodes running (paused ones included). */
  running (): string[] {
    return this.names.filter(n => this.runs.has(n) && !this.dead.has(n))
  }

  /** Nodes running and not paused: the ones that answer. */
  live (): string[] {
    return this.running().filter(n => !this.paused.has(n))
  }

  /** Starts `name` (again, with the same identity) seeded with every live node; resolves once its member is in. */
  async start (name: string): Promise<Incarnation> {
    const seeds = this.live().filter(n => n !== name).flatMap(n => ['--seed', this.current(n).address])
    const child = startChild(['--chaos', '--name', name, '--home', this.#home, '--secret', this.#secret, ...seeds], MEMBER_MAIN)
    const list = this.runs.get(name) ?? []
    this.runs.set(name, list)
    const ready = await child.next(e => e.event === 'ready', READY_MS)
    const member = ready.member as { pid: [string, number, number] }
    const run: Incarnation = {
      name,
      child,
      member: member.pid.join('.'),
      peerId: ready.peerId as string,
      creation: ready.creation as number,
      address: (ready.addresses as string[])[0] as string,
      readyAt: Date.now()
    }
    list.push(run)
    this.dead.delete(name)
    return run
  }

  /** kill -9 of `name`'s process; resolves once it has exited. */
  async kill (name: string): Promise<void> {
    const { child } = this.current(name)
    this.dead.add(name)
    this.paused.delete(name)
    child.signal('SIGKILL')
    await exited(child)
  }

  /** SIGTERM (a clean stop: the node says goodbye, SIGKILL after 3 s); true if it stopped cleanly. */
  async stop (name: string): Promise<boolean> {
    const { child } = this.current(name)
    this.dead.add(name)
    await child.end()
    return child.events.some(e => e.event === 'stopped')
  }

  pause (name: string): void {
    this.paused.add(name)
    this.current(name).child.signal('SIGSTOP')
  }

  resume (name: string): void {
    this.paused.delete(name)
    this.current(name).child.signal('SIGCONT')
  }

  /** Sends `command ID ...params` to each of `names` and resolves with their answers, by node. */
  async ask (names: readonly string[], command: string, params: readonly number[] = [], timeoutMs = ANSWER_MS): Promise<Map<string, Record<string, unknown>>> {
    return await this.post(names, command, params).collect(names, timeoutMs)
  }

  /**
   * Sends `command ID ...params` to each of `names` now; `collect(from, timeoutMs)` then awaits the
   * answers of those of them still expected to answer (a node killed meanwhile never will).
   */
  post (names: readonly string[], command: string, params: readonly number[] = []): { collect: (from: readonly string[], timeoutMs: number) => Promise<Map<string, Record<string, unknown>>> } {
    const id = ++this.#query
    const runs = new Map(names.map(n => [n, this.current(n)]))
    for (const r of runs.values()) r.child.proc.stdin?.write(`${[command, id, ...params].join(' ')}\n`)
    return {
      collect: async (from, timeoutMs) => new Map(await Promise.all(from.flatMap(n => {
        const r = runs.get(n)
        return r === undefined ? [] : [r.child.next(e => e.event === command && e.id === id, timeoutMs).then(e => [n, e] as const)]
      })))
    }
  }

  /** Writes everything every incarnation printed to `path`, one JSON line each tagged `run: name/creation`, for a post-mortem. */
  dump (path: string): void {
    const lines = [...this.runs.values()].flat().flatMap(r => r.child.events.map(e => JSON.stringify({ run: `${r.name}/${r.creation}`, ...e })))
    writeFileSync(path, lines.join('\n') + '\n')
  }

  /** Everything every incarnation printed, of one kind of event. */
  events (kind: string): Array<Record<string, unknown>> {
    return [...this.runs.values()].flat().flatMap(r => r.child.events.filter(e => e.event === kind))
  }
}

/** Resolves once `child`'s process has exited. */
async function exited (child: ChildNode): Promise<void> {
  if (child.proc.exitCode !== null || child.proc.signalCode !== null) return
  await new Promise<void>(resolve => { child.proc.once('exit', () => { resolve() }) })
}
