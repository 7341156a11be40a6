/**
 * @packageDocumentation
 * @module @gen-cluster/core/testing
 *
 * `@gen-cluster/core/testing`: a kit for testing behaviours and processes.
 *
 * - `startIsolated(behaviour, arg)`: the behaviour alone on its own node with a virtual clock; drive it
 *   with `call`, `cast`, `send`, read its `state()`, and assert on what it `sent`.
 * - `probe(node)`: a process the test owns, that records what it receives and runs test code as
 *   itself (to `link`, `monitor`, `trapExit`, `startLink`).
 * - `VirtualClock`: time that moves only with `advance(ms)`.
 * - `waitFor(condition)` and `settle()`: await a condition with a deadline, never sleep.
 */
import '../node-check.js'
export { VirtualClock } from './virtual-clock.js'
export { probe } from './probe.js'
export type { Probe } from './probe.js'
export { waitFor, settle, WaitTimeoutError } from './wait.js'
export { startIsolated } from './harness.js'
export type { Harness, SentMessage } from './harness.js'
export { testNodes } from './nodes.js'
export type { TestNodes } from './nodes.js'
