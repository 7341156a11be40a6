import { afterEach, describe, expect, it } from 'vitest'
import { createNode, forgetNode, makeRef, Pid, Ref, send, silentLogger, spawn } from '../src/index.js'
import type { CoreNode, IdentityTuple } from '../src/index.js'
import { probe, waitFor } from '../src/testing/index.js'

const nodes: CoreNode[] = []

function fresh (name: string, creation?: number): CoreNode {
  const node = createNode({ name, logger: silentLogger, ...(creation === undefined ? {} : { creation }) })
  nodes.push(node)
  return node
}

afterEach(() => {
  for (const node of nodes.splice(0)) {
    for (const proc of [...node.procs.values()]) node.terminate(proc, 'killed')
    forgetNode(node)
  }
})

describe('Pid', () => {
  it('equals another pid with the same node, id and creation, and has the same key', () => {
    const a = new Pid('a@host', 42, 7)
    const b = new Pid('a@host', 42, 7)
    expect(a).not.toBe(b)
    expect(a.equals(b)).toBe(true)
    expect(b.equals(a)).toBe(true)
    expect(a.key).toBe(b.key)
    const byKey = new Map([[a.key, 'found']])
    expect(byKey.get(b.key)).toBe('found')
  })

  it('differs from a pid that differs in node, id or creation', () => {
    const a = new Pid('a@host', 42, 7)
    for (const other of [new Pid('b@host', 42, 7), new Pid('a@host', 43, 7), new Pid('a@host', 42, 8)]) {
      expect(a.equals(other)).toBe(false)
      expect(a.key).not.toBe(other.key)
    }
  })

  it('never equals a value that is not a pid, even a ref with the same parts', () => {
    const a = new Pid('a@host', 42, 7)
    expect(a.equals(new Ref('a@host', 42, 7))).toBe(false)
    expect(a.equals({ node: 'a@host', id: 42, creation: 7 })).toBe(false)
    expect(a.equals(a.toJSON())).toBe(false)
    expect(a.equals(undefined)).toBe(false)
    expect(Pid.isPid(a)).toBe(true)
    expect(Pid.isPid(a.toJSON())).toBe(false)
  })

  it('prints as <node.id.creation>', () => {
    expect(new Pid('a@host', 42, 7).toString()).toBe('<a@host.42.7>')
    expect(`${new Pid('n@h', 0, 0)}`).toBe('<n@h.0.0>')
  })

  it('survives a JSON round trip as an equal pid', () => {
    const pid = new Pid('a@host', 42, 7)
    const wire: unknown = JSON.parse(JSON.stringify({ to: pid }))
    expect(wire).toEqual({ to: { pid: ['a@host', 42, 7] } })
    const back = Pid.from((wire as { to: { pid: IdentityTuple } }).to)
    expect(back).toBeInstanceOf(Pid)
    expect(back.equals(pid)).toBe(true)
    expect(Pid.from(['a@host', 42, 7]).equals(pid)).toBe(true)
  })

  it('throws TypeError for a bad node, id or creation', () => {
    const bad: Array<() => unknown> = [
      () => new Pid('', 1, 1),
      () => new Pid(7 as unknown as string, 1, 1),
      () => new Pid('a@host', -1, 1),
      () => new Pid('a@host', 1.5, 1),
      () => new Pid('a@host', Number.NaN, 1),
      () => new Pid('a@host', 2 ** 53, 1),
      () => new Pid('a@host', 1, -1),
      () => new Pid('a@host', 1, Infinity),
      () => new Pid('a@host', '1' as unknown as number, 1)
    ]
    for (const make of bad) expect(make).toThrow(expect.objectContaining({ name: 'TypeError' }))
  })

  it('Pid.from throws TypeError for something that is not a pid tuple', () => {
    const bad: unknown[] = [
      ['a@host', 1],
      ['a@host', 1, 1, 1],
      { pid: ['a@host', 1] },
      { ref: ['a@host', 1, 1] },
      { pid: ['', 1, 1] },
      { pid: ['a@host', -1, 1] },
      {}
    ]
    for (const value of bad) {
      expect(() => Pid.from(value as IdentityTuple)).toThrow(expect.objectContaining({ name: 'TypeError' }))
    }
  })

  it('a pid from another creation of the same node name is a different process', async () => {
    const first = fresh('x@test', 1)
    const old = spawn(async ({ receive }) => { await receive() }, { node: first })
    for (const proc of [...first.procs.values()]) first.terminate(proc, 'killed')
    forgetNode(first)

    const second = fresh('x@test', 2)
    const received: unknown[] = []
    const current = spawn(async ({ receive }) => { for (;;) received.push(await receive()) }, { node: second })
    expect(current.node).toBe(old.node)
    expect(current.id).toBe(old.id)
    expect(current.equals(old)).toBe(false)
    expect(current.key).not.toBe(old.key)

    // A message to the old pid must not reach the process that took its number in the new creation.
    const p = probe(second)
    p.run(() => { send(old, 'for the old one') })
    send(old, 'for the old one, from outside')
    send(current, 'for the current one')
    // Messages reach a mailbox in the order they were sent, so a misdelivered one would come first.
    await waitFor(() => received.length > 0)
    expect(received).toEqual(['for the current one'])
  })
})

describe('Ref', () => {
  it('equals a ref with the same parts, never a pid', () => {
    const a = new Ref('a@host', 9, 7)
    expect(a.equals(new Ref('a@host', 9, 7))).toBe(true)
    expect(a.key).toBe(new Ref('a@host', 9, 7).key)
    expect(a.equals(new Ref('a@host', 9, 8))).toBe(false)
    expect(a.equals(new Ref('b@host', 9, 7))).toBe(false)
    expect(a.equals(new Ref('a@host', 10, 7))).toBe(false)
    expect(a.equals(new Pid('a@host', 9, 7))).toBe(false)
  })

  it('prints as #Ref<node.id.creation>', () => {
    expect(new Ref('a@host', 9, 7).toString()).toBe('#Ref<a@host.9.7>')
  })

  it('survives a JSON round trip as an equal ref', () => {
    const ref = new Ref('a@host', 9, 7)
    const wire = JSON.parse(JSON.stringify(ref)) as { ref: IdentityTuple }
    expect(wire).toEqual({ ref: ['a@host', 9, 7] })
    const back = Ref.from(wire)
    expect(back).toBeInstanceOf(Ref)
    expect(back.equals(ref)).toBe(true)
    expect(Ref.from(['a@host', 9, 7]).equals(ref)).toBe(true)
  })

  it('throws TypeError for bad parts, or a pid given to Ref.from', () => {
    expect(() => new Ref('', 1, 1)).toThrow(expect.objectContaining({ name: 'TypeError' }))
    expect(() => new Ref('a@host', -1, 1)).toThrow(expect.objectContaining({ name: 'TypeError' }))
    expect(() => new Ref('a@host', 1, 0.5)).toThrow(expect.objectContaining({ name: 'TypeError' }))
    expect(() => Ref.from({ pid: ['a@host', 1, 1] } as unknown as IdentityTuple)).toThrow(expect.objectContaining({ name: 'TypeError' }))
    expect(() => Ref.from(['a@host', 1] as unknown as IdentityTuple)).toThrow(expect.objectContaining({ name: 'TypeError' }))
  })

  it('makeRef returns a new ref each time', () => {
    const refs = Array.from({ length: 100 }, () => makeRef())
    expect(new Set(refs.map(r => r.key)).size).toBe(100)
    expect(refs[0]?.equals(refs[1])).toBe(false)
  })
})
