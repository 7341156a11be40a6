/**
 * A FIFO queue on a growable ring buffer: O(1) push and shift, no array shifting, and small when idle.
 * Mailboxes and the run queue use it.
 */
export class Queue<T> {
  #items: Array<T | undefined>
  #head = 0
  #length = 0

  constructor (capacity = 4) {
    this.#items = new Array<T | undefined>(capacity)
  }

  get length (): number {
    return this.#length
  }

  push (item: T): void {
    const items = this.#items
    if (this.#length === items.length) {
      this.#grow()
      this.#items[this.#length++] = item
      return
    }
    items[(this.#head + this.#length) & (items.length - 1)] = item
    this.#length++
  }

  shift (): T | undefined {
    if (this.#length === 0) return undefined
    const items = this.#items
    const item = items[this.#head]
    items[this.#head] = undefined
    this.#head = (this.#head + 1) & (items.length - 1)
    this.#length--
    return item
  }

  peek (): T | undefined {
    return this.#length === 0 ? undefined : this.#items[this.#head]
  }

  /** Removes and returns the first item for which `match` is true (selective receive). */
  take (match: (item: T) => boolean): T | undefined {
    const items = this.#items
    const mask = items.length - 1
    for (let i = 0; i < this.#length; i++) {
      const item = items[(this.#head + i) & mask] as T
      if (match(item)) {
        this.#removeAt(i)
        return item
      }
    }
    return undefined
  }

  /** Removes every item for which `match` is true; returns how many. */
  removeAll (match: (item: T) => boolean): number {
    const n = this.#length
    let removed = 0
    for (let i = 0; i < n; i++) {
      const item = this.shift() as T
      if (match(item)) removed++
      else this.push(item)
    }
    return removed
  }

  toArray (): T[] {
    const out: T[] = []
    const mask = this.#items.length - 1
    for (let i = 0; i < this.#length; i++) out.push(this.#items[(this.#head + i) & mask] as T)
    return out
  }

  clear (): void {
    this.#items = new Array<T | undefined>(4)
    this.#head = 0
    this.#length = 0
  }

  #removeAt (index: number): void {
    const items = this.#items
    const mask = items.length - 1
    for (let i = index; i < this.#length - 1; i++) {
      items[(this.#head + i) & mask] = items[(this.#head + i + 1) & mask]
    }
    items[(this.#head + this.#length - 1) & mask] = undefined
    this.#length--
  }

  #grow (): void {
    const old = this.#items
    const next = new Array<T | undefined>(old.length * 2)
    for (let i = 0; i < this.#length; i++) next[i] = old[(this.#head + i) & (old.length - 1)]
    this.#items = next
    this.#head = 0
  }
}
