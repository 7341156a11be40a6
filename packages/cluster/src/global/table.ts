/**
 * The replica table of global names on one node, and the order of registrations that settles clashes.
 */
import type { Registration, WireEntry } from './protocol.js'

/** One registration in the table. */
export type Entry = Registration

/**
 * The order of two registrations, the same on every node: the earlier stamp first; on a tie, the
 * pid's node name, then its creation, then its number. Negative when `a` comes first.
 */
export function compareEntries (a: Entry, b: Entry): number {
  if (a.at !== b.at) return a.at < b.at ? -1 : 1
  if (a.pid.node !== b.pid.node) return a.pid.node < b.pid.node ? -1 : 1
  if (a.pid.creation !== b.pid.creation) return a.pid.creation - b.pid.creation
  return a.pid.id - b.pid.id
}

export function toWire (e: Entry): WireEntry {
  return [e.name, e.pid, e.at]
}

export function fromWire (w: WireEntry): Entry {
  return { name: w[0], pid: w[1], at: w[2] }
}

/** Name → registration. Plain data: who may change it, and what follows, is the replica's business. */
export class Table {
  readonly #byName = new Map<string, Entry>()

  get size (): number {
    return this.#byName.size
  }

  get (name: string): Entry | undefined {
    return this.#byName.get(name)
  }

  set (e: Entry): void {
    this.#byName.set(e.name, e)
  }

  delete (name: string): void {
    this.#byName.delete(name)
  }

  /** Every entry for which `pred` holds. */
  filter (pred: (e: Entry) => boolean): Entry[] {
    const out: Entry[] = []
    for (const e of this.#byName.values()) if (pred(e)) out.push(e)
    return out
  }
}
