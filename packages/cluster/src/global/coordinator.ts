/**
 * The coordinator's side of REGISTER (protocol: `protocol.ts`). Registrations of one name are handled
 * one after the other: each is checked against this node's replica, committed to every node of its
 * view, and answered once each of them has acked, gone down, or timed out. Nodes that connect while
 * a commit is under way get it too, so when the answer is true every connected node holds the name.
 */
import type { Pid } from '@gen-cluster/core'
import type { Answers, Effects } from './effects.js'
import type { RegisterAnswer, Registration } from './protocol.js'
import { isCommitAck } from './protocol.js'
import type { Replica } from './replica.js'
import type { Entry } from './table.js'

/** A registration waiting at the coordinator, and where its answer goes. */
export interface CoordinatorOp extends Registration {
  /** `reRegisterName`: the registration replaces the one of another pid, on every node at once. */
  readonly replace?: boolean
  readonly done: (answer: RegisterAnswer) => void
}

/** A commit under way: the registration and the nodes it went to. */
interface Commit {
  readonly op: CoordinatorOp
  readonly entry: Entry
  /** The name was free (not a registration of the pid again). */
  readonly fresh: boolean
  /** It replaces another pid's registration (COMMIT with `replace`). */
  readonly replace: boolean
  readonly reached: Set<string>
  readonly rounds: number
}

/** Registrations of one name that may wait behind the one under way; more are answered 'retry'. */
const MAX_WAITING = 1000
/** Commit rounds for one registration (the first, then one for each wave of nodes that joined meanwhile). */
const MAX_ROUNDS = 3

export class Coordinator {
  readonly #replica: Replica
  readonly #fx: Effects
  readonly #queues = new Map<string, CoordinatorOp[]>()

  constructor (replica: Replica, fx: Effects) {
    this.#replica = replica
    this.#fx = fx
  }

  /** True if this node has the smallest name of its view. */
  isCoordinator (): boolean {
    const first = this.#fx.view()[0]
    return first === undefined || this.#fx.name < first
  }

  submit (op: CoordinatorOp): void {
    const queue = this.#queues.get(op.name)
    if (queue === undefined) {
      this.#queues.set(op.name, [op])
      this.#drain(op.name)
    } else if (queue.length > MAX_WAITING) {
      op.done('retry')
    } else {
      queue.push(op)
    }
  }

  /** Starts the registrations of `name` in turn, until one needs a commit round (or none is left). */
  #drain (name: string): void {
    const queue = this.#queues.get(name)
    while (queue !== undefined && queue.length > 0) {
      const op = queue[0] as CoordinatorOp
      const answer = this.#begin(op)
      if (answer === undefined) return
      queue.shift()
      op.done(answer)
    }
    this.#queues.delete(name)
  }

  /** Answers at once, or returns undefined once a commit round is under way. */
  #begin (op: CoordinatorOp): RegisterAnswer | undefined {
    if (!this.isCoordinator()) return 'retry'
    const place = this.#fx.placeOf(op.pid)
    if (place === 'stale') return false
    if (place === 'disconnected') return 'retry' // views differ: the caller sees the pid's node, this node does not
    const found = this.#replica.lookup(op.name)
    const replaces = found !== undefined && !found.pid.equals(op.pid)
    if (replaces && op.replace !== true) return false
    const held = replaces ? undefined : found
    // Registering a pid again under its own name is true, and keeps the first stamp.
    const entry = held ?? { name: op.name, pid: op.pid, at: op.at }
    if (this.#replica.commit(entry, replaces) !== 'ok') return false
    if (held === undefined && !replaces) this.#replica.beginCommit(op.name, op.pid)
    this.#round({ op, entry, fresh: held === undefined, replace: replaces, reached: new Set(), rounds: 0 })
    return undefined
  }

  #round (c: Commit): void {
    const targets = this.#fx.view().filter(n => !c.reached.has(n))
    if (targets.length === 0 || c.rounds === MAX_ROUNDS) {
      const held = this.#replica.lookup(c.op.name)?.pid.equals(c.op.pid) === true
      // Views differ while links come and go: a node this commit did not reach (not in this node's
      // view, or its link reset meanwhile) may be connected to the owner all along, and no node-up
      // would ever SYNC it the entry. So the owner announces it once more to its own view (CHECK).
      if (held) this.#check(c.entry.name, c.entry.pid)
      this.#end(c.op, held)
      return
    }
    for (const n of targets) c.reached.add(n)
    const { entry } = c
    const commit = { type: 'commit', name: entry.name, pid: entry.pid, at: entry.at, ...(c.replace ? { replace: true } : {}) }
    void this.#fx.callAll(targets, commit).then((answers) => {
      this.#fx.post(() => { this.#acked({ ...c, rounds: c.rounds + 1 }, answers) })
    })
  }

  #acked (c: Commit, answers: Answers): void {
    let verdict: RegisterAnswer | undefined
    for (const [node, answer] of answers) {
      if (answer === 'noproc') verdict = false
      else if (isCommitAck(answer) && typeof answer === 'object') {
        verdict ??= 'retry'
        this.#check(c.entry.name, answer.held)
      } else if (answer !== 'ok') {
        // Down, timed out, no registry there, or an answer of unknown shape: left out of the wait.
        this.#fx.log.debug('a node did not ack a commit', { node, name: c.entry.name, answer: String(answer) })
      }
    }
    // The pid may have ended, or lost a clash, while its commit was under way.
    if (verdict === undefined && this.#replica.lookup(c.op.name)?.pid.equals(c.op.pid) !== true) verdict = false
    if (verdict === undefined) {
      this.#round(c)
      return
    }
    if (c.fresh) this.#abort(c.entry)
    this.#end(c.op, verdict)
  }

  #end (op: CoordinatorOp, answer: RegisterAnswer): void {
    this.#replica.endCommit(op.name, op.pid)
    this.#queues.get(op.name)?.shift()
    op.done(answer)
    this.#drain(op.name)
  }

  #abort (entry: Entry): void {
    this.#replica.abort(entry.name, entry.pid)
    for (const node of this.#fx.view()) this.#fx.cast(node, { type: 'abort', name: entry.name, pid: entry.pid })
  }

  /** Asks the owner of `pid`, which a commit found holding `name`, to confirm it everywhere or drop it. */
  #check (name: string, pid: Pid): void {
    if (this.#fx.isLocal(pid)) this.#replica.check(name, pid)
    else this.#fx.cast(pid.node, { type: 'check', name, pid })
  }
}
