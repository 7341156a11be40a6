/**
 * Which node acts for code outside any process: `{ node }`, the destination's node when it runs
 * here, the only node of this OS process, else a typed error that says what to do.
 */
import { afterEach, describe, expect, it } from 'vitest'
import {
  call, cast, createNode, defaultNode, exit, forgetNode, getState, isAlive, makeRef, Pid, processes, registered, send,
  spawn, start, stop, whereis
} from '../src/index.js'
import type { CoreNode } from '../src/index.js'
import { probe, settle } from '../src/testing/index.js'
import { counter } from './fixtures.js'

const made: CoreNode[] = []
function node (name: string): CoreNode {
  const n = createNode({ name: `${name}@acting`, logger: () => ({ error () {}, warn () {}, info () {}, debug () {} }) })
  made.push(n)
  return n
}
afterEach(() => {
  for (const n of made.splice(0)) {
    for (const proc of [...n.procs.values()]) n.terminate(proc, 'killed')
    forgetNode(n)
  }
})

/** A pid of a node that does not run in this OS process. */
const elsewhere = new Pid('far@away', 7, 1)

describe('the acting node outside any process', () => {
  it('is the only node of this OS process when exactly one runs', async () => {
    const a = node('a')
    const pid = await start(counter(), 1, { node: a, name: 'c' })
    expect(whereis('c')).toEqual(pid)
    expect(registered()).toEqual(['c'])
    expect(processes()).toEqual([pid])
    expect(makeRef().node).toBe(a.name)
    expect(defaultNode()).toBe(a)
    const sink = probe(a)
    send(sink.pid, 'hi')
    await sink.next(m => m === 'hi')
  })

  it('is the node of a destination pid that runs here, whatever else runs', async () => {
    const a = node('a')
    node('b')
    const pid = await start(counter(), 5, { node: a })
    expect(await call(pid, { type: 'get' })).toBe(5)
    cast(pid, { type: 'inc', by: 1 })
    expect(await getState(pid)).toBe(6)
    expect(isAlive(pid)).toBe(true)
    await stop(pid)
    expect(isAlive(pid)).toBe(false)
  })

  it('fails at once with AmbiguousNodeError, saying what to do, when several nodes run and nothing names one', async () => {
    node('a')
    node('b')
    const err = await call(elsewhere, { type: 'get' }).catch((e: unknown) => e) as Error & { nodes: string[] }
    expect(err.name).toBe('AmbiguousNodeError')
    expect(err.nodes).toEqual(['a@acting', 'b@acting'])
    expect(err.message).toMatch(/\{ node \}/)
    expect(() => { cast(elsewhere, { type: 'x' }) }).toThrow(expect.objectContaining({ name: 'AmbiguousNodeError' }))
    expect(() => { send(elsewhere, 'x') }).toThrow(expect.objectContaining({ name: 'AmbiguousNodeError' }))
    expect(() => { exit(elsewhere, 'kill') }).toThrow(expect.objectContaining({ name: 'AmbiguousNodeError' }))
    expect(() => whereis('x')).toThrow(expect.objectContaining({ name: 'AmbiguousNodeError' }))
    await expect(stop(elsewhere)).rejects.toMatchObject({ name: 'AmbiguousNodeError' })
    await expect(start(counter(), 0)).rejects.toMatchObject({ name: 'AmbiguousNodeError' })
  })

  it('is the node given as { node }, to every API; a node not connected to the target gives NodeDownError', async () => {
    const a = node('a')
    const b = node('b')
    const pid = await start(counter(), 0, { node: b, name: 'c' })
    expect(whereis('c', { node: b })).toEqual(pid)
    expect(whereis('c', { node: a })).toBeUndefined()
    expect(registered({ node: b })).toEqual(['c'])
    await expect(call(elsewhere, { type: 'get' }, { node: a })).rejects.toMatchObject({ name: 'NodeDownError', node: 'far@away' })
    // A holder of a core node (what a ClusterNode is) is accepted as well.
    const holder = { core: a }
    const sink = probe(a)
    send(sink.pid, 'via holder', { node: holder })
    await sink.next(m => m === 'via holder')
    const spawned = spawn(async () => {}, { node: holder })
    expect(spawned.node).toBe(a.name)
    await settle()
  })

  it('rejects a node option that is not a node with InvalidNodeError, sending nothing', async () => {
    const a = node('a')
    const sink = probe(a)
    for (const bad of [{}, 'a@acting', 42, { core: {} }]) {
      expect(() => { send(sink.pid, 'x', { node: bad as never }) }).toThrow(expect.objectContaining({ name: 'InvalidNodeError' }))
      await expect(call(sink.pid, 'x', { node: bad as never })).rejects.toMatchObject({ name: 'InvalidNodeError' })
    }
    await settle()
    expect(sink.messages).toEqual([])
  })
})

describe('node names in one OS process', () => {
  it('refuses a second node with a name in use with NodeNameInUseError; the name is free once forgotten', () => {
    const a = node('dup')
    expect(() => createNode({ name: 'dup@acting' })).toThrow(expect.objectContaining({ name: 'NodeNameInUseError', nodeName: 'dup@acting' }))
    forgetNode(a)
    made.splice(made.indexOf(a), 1)
    node('dup')
  })
})
