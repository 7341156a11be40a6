/**
 * The scheduler: one run queue for every process of every node in this JavaScript realm.
 *
 * A process with messages is queued once; a turn runs up to `SLICE` of its messages, then the next
 * process gets a turn, so one busy process cannot starve the others. Turns run in microtasks for low
 * latency; after `BUDGET` messages the scheduler yields to the event loop (`setImmediate`) so timers
 * and I/O (the network) are never starved by processes that keep each other busy, much as Erlang's
 * reductions bound a process's time slice.
 *
 * Exit signals are queued apart and delivered before any message, between two callbacks, so no
 * process ever runs inside another's callback.
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import { Queue } from './queue.js'

/** What the scheduler needs of a process. */
export interface Runnable {
  queued: boolean
  /** Runs up to `slice` messages; returns how many it ran. */
  runSlice(slice: number): number
}

const SLICE = 64
const BUDGET = 8192

const runQueue = new Queue<Runnable>(1024)
const signalQueue = new Queue<() => void>(64)
let kicked = false
let running = false
let used = 0

/** The process whose synchronous code is running now, if any. */
export let current: unknown = null

/** The process of an async callback after an `await` (set with {@link runAs}). */
export const processStorage = new AsyncLocalStorage<unknown>()

/** Sets the current process for the synchronous run of `fn`; returns the previous one. */
export function enter (proc: unknown): unknown {
  const prev = current
  current = proc
  return prev
}

/** Restores the current process saved by {@link enter}. */
export function leave (prev: unknown): void {
  current = prev
}

/** Runs `fn` as `proc`, including the continuations of the promises it makes (async code). */
export function runAs<R> (proc: unknown, fn: () => R): R {
  const prev = current
  current = proc
  try {
    return processStorage.run(proc, fn)
  } finally {
    current = prev
  }
}

/** The running process: the synchronous one, else the one whose async continuation this is. */
export function currentProcess (): unknown {
  return current ?? processStorage.getStore() ?? null
}

/** Queues `proc` for a turn (no-op if it is queued already). */
export function schedule (proc: Runnable): void {
  if (proc.queued) return
  proc.queued = true
  runQueue.push(proc)
  if (!running && !kicked) kick()
}

/** Queues a signal (exit signal, link break) to be performed between two callbacks. */
export function scheduleSignal (signal: () => void): void {
  signalQueue.push(signal)
  if (!running && !kicked) kick()
}

function kick (): void {
  kicked = true
  if (used < BUDGET) queueMicrotask(run)
  else setImmediate(runAfterYield)
}

function runAfterYield (): void {
  used = 0
  run()
}

function run (): void {
  kicked = false
  running = true
  const saved = current
  current = null
  try {
    for (;;) {
      while (signalQueue.length > 0) (signalQueue.shift() as () => void)()
      const proc = runQueue.shift()
      if (proc === undefined) break
      proc.queued = false
      used += proc.runSlice(SLICE) + 1
      if (used >= BUDGET) break
    }
  } finally {
    current = saved
    running = false
  }
  if (runQueue.length > 0 || signalQueue.length > 0) kick()
}

/** Resolves once the run queue and signal queue are empty (for tests and benchmarks). */
export async function idle (): Promise<void> {
  for (let i = 0; i < 1_000_000; i++) {
    if (runQueue.length === 0 && signalQueue.length === 0 && !running) return
    await new Promise<void>(resolve => setImmediate(resolve))
  }
}
