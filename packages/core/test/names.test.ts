import { afterEach, describe, expect, it } from 'vitest'
import {
  exit, monitor, Pid, processInfo, register, registered, self, send, spawn, unregister, whereis
} from '../src/index.js'
import type { CoreNode, DownMessage, Ref } from '../src/index.js'
import { probe, waitFor, testNodes } from '../src/testing/index.js'
import type { Probe } from '../src/testing/index.js'

const nodes = testNodes('names')
const fresh = (): CoreNode => nodes.fresh()
afterEach(() => { nodes.cleanup() })

/** A process that records what it receives, and returns (exits `normal`) on `'stop'`. */
function recorder (node: CoreNode, into: unknown[] = []): Pid {
  return spawn(async ({ receive }) => {
    for (;;) {
      const m = await receive()
      if (m === 'stop') return
      into.push(m)
    }
  }, { node })
}

function isDownOf (ref: Ref): (m: unknown) => boolean {
  return (m) => (m as DownMessage).type === 'DOWN' && (m as DownMessage).ref.equals(ref)
}

async function awaitExit (p: Probe, pid: Pid, cause: () => void): Promise<void> {
  const ref = p.run(() => monitor(pid))
  cause()
  await p.next(isDownOf(ref))
}

describe('local names', () => {
  it('register makes a name that whereis, registered and send by name resolve; unregister removes it', async () => {
    const node = fresh()
    const p = probe(node)
    const got: unknown[] = []
    const pid = recorder(node, got)
    p.run(() => { register('svc', pid) })
    expect(p.run(() => whereis('svc'))?.equals(pid)).toBe(true)
    expect(p.run(() => registered())).toEqual(['svc'])
    expect(processInfo(pid)?.registeredName).toBe('svc')
    p.run(() => {
      send('svc', 'by name')
      send({ name: 'svc', node: node.name }, 'by name and node')
    })
    await waitFor(() => got.length === 2)
    expect(got).toEqual(['by name', 'by name and node'])

    expect(p.run(() => unregister('svc'))).toBe(true)
    expect(p.run(() => whereis('svc'))).toBeUndefined()
    expect(p.run(() => registered())).toEqual([])
    expect(processInfo(pid)?.registeredName).toBeUndefined()
    expect(() => { p.run(() => { send('svc', 'gone') }) }).toThrow(expect.objectContaining({ name: 'NoProcError' }))
    expect(processInfo(pid)).toBeDefined()
  })

  it('unregister of a name that is not registered returns false', () => {
    const node = fresh()
    const p = probe(node)
    expect(p.run(() => unregister('nobody'))).toBe(false)
    expect(p.run(() => whereis('nobody'))).toBeUndefined()
  })

  it('a process can register itself, and take another name after unregistering', async () => {
    const node = fresh()
    const names: Array<string | undefined> = []
    const pid = spawn(async ({ receive }) => {
      register('first', self())
      names.push(processInfo(self())?.registeredName)
      unregister('first')
      register('second', self())
      names.push(processInfo(self())?.registeredName)
      await receive()
    }, { node })
    await waitFor(() => names.length === 2)
    expect(names).toEqual(['first', 'second'])
    const p = probe(node)
    expect(p.run(() => whereis('second'))?.equals(pid)).toBe(true)
    expect(p.run(() => whereis('first'))).toBeUndefined()
  })

  it('registering a name that is taken throws AlreadyRegisteredError and keeps the holder', () => {
    const node = fresh()
    const p = probe(node)
    const holder = recorder(node)
    const other = recorder(node)
    p.run(() => { register('svc', holder) })
    let thrown: unknown
    try {
      p.run(() => { register('svc', other) })
    } catch (err) {
      thrown = err
    }
    expect((thrown as Error).name).toBe('AlreadyRegisteredError')
    expect(p.run(() => whereis('svc'))?.equals(holder)).toBe(true)
    expect(processInfo(other)?.registeredName).toBeUndefined()
  })

  it('registering a second name for a process throws AlreadyRegisteredError and keeps the first', () => {
    const node = fresh()
    const p = probe(node)
    const pid = recorder(node)
    p.run(() => { register('first', pid) })
    expect(() => { p.run(() => { register('second', pid) }) }).toThrow(expect.objectContaining({ name: 'AlreadyRegisteredError' }))
    expect(() => { p.run(() => { register('first', pid) }) }).toThrow(expect.objectContaining({ name: 'AlreadyRegisteredError' }))
    expect(p.run(() => registered())).toEqual(['first'])
    expect(p.run(() => whereis('second'))).toBeUndefined()
  })

  it('a name disappears when its process exits, and can then be taken by another process', async () => {
    const node = fresh()
    const p = probe(node)
    const normal = recorder(node)
    const killed = recorder(node)
    const crashed = spawn(async ({ receive }) => {
      await receive()
      throw new Error('crash')
    }, { node })
    p.run(() => {
      register('normal', normal)
      register('killed', killed)
      register('crashed', crashed)
    })
    expect(p.run(() => registered()).sort()).toEqual(['crashed', 'killed', 'normal'])

    await awaitExit(p, normal, () => { send(normal, 'stop') })
    await awaitExit(p, killed, () => { exit(killed, 'kill') })
    await awaitExit(p, crashed, () => { send(crashed, 'go') })
    expect(p.run(() => registered())).toEqual([])
    for (const name of ['normal', 'killed', 'crashed']) {
      expect(p.run(() => whereis(name))).toBeUndefined()
      expect(() => { p.run(() => { send(name, 'hello') }) }).toThrow(expect.objectContaining({ name: 'NoProcError' }))
    }

    const successor = recorder(node)
    p.run(() => { register('normal', successor) })
    expect(p.run(() => whereis('normal'))?.equals(successor)).toBe(true)
  })

  it('register throws NoProcError for a dead pid or a pid of another node', async () => {
    const node = fresh()
    const p = probe(node)
    const dead = recorder(node)
    await awaitExit(p, dead, () => { send(dead, 'stop') })
    expect(() => { p.run(() => { register('svc', dead) }) }).toThrow(expect.objectContaining({ name: 'NoProcError' }))
    expect(() => { p.run(() => { register('svc', new Pid('elsewhere@test', 1, 1)) }) }).toThrow(expect.objectContaining({ name: 'NoProcError' }))
    expect(p.run(() => registered())).toEqual([])
  })

  it('register throws TypeError for a name that is not a non-empty string, or a pid that is not a Pid', () => {
    const node = fresh()
    const p = probe(node)
    const pid = recorder(node)
    for (const name of ['', 42, null, undefined, { local: 'x' }]) {
      expect(() => { p.run(() => { register(name as string, pid) }) }).toThrow(expect.objectContaining({ name: 'TypeError' }))
    }
    expect(() => { p.run(() => { register('svc', pid.toJSON() as unknown as Pid) }) }).toThrow(expect.objectContaining({ name: 'TypeError' }))
    expect(p.run(() => registered())).toEqual([])
  })

  it('names belong to a node: the same name on two nodes names two processes', () => {
    const a = fresh()
    const b = fresh()
    const pa = probe(a)
    const pb = probe(b)
    const onA = recorder(a)
    const onB = recorder(b)
    pa.run(() => { register('svc', onA) })
    pb.run(() => { register('svc', onB) })
    expect(pa.run(() => whereis('svc'))?.equals(onA)).toBe(true)
    expect(pb.run(() => whereis('svc'))?.equals(onB)).toBe(true)
  })
})
