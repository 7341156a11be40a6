import { afterEach, describe, expect, it } from 'vitest'
import {
  demonitor, exit, monitor, Pid, processInfo, register, self, send, spawn
} from '../src/index.js'
import type { CoreNode, DownMessage, Ref } from '../src/index.js'
import { probe, settle, waitFor, testNodes } from '../src/testing/index.js'
import type { Probe } from '../src/testing/index.js'

const nodes = testNodes('monitors')
const fresh = (): CoreNode => nodes.fresh()
afterEach(() => { nodes.cleanup() })

/** A process that waits; `{ crash }` makes it throw. */
function worker (node: CoreNode): Pid {
  return spawn(async ({ receive }) => {
    const m = await receive<{ crash: Error }>()
    throw m.crash
  }, { node })
}

function isDownOf (ref: Ref): (m: unknown) => boolean {
  return (m) => (m as DownMessage).type === 'DOWN' && (m as DownMessage).ref.equals(ref)
}

function downsOf (p: Probe, ref: Ref): unknown[] {
  return p.messages.filter(isDownOf(ref))
}

function gate (): { promise: Promise<void>, open: () => void } {
  const { promise, resolve } = Promise.withResolvers<void>()
  return { promise, open: () => { resolve() } }
}

describe('monitors', () => {
  it('deliver exactly one DOWN, with the exit reason, when the target exits', async () => {
    const node = fresh()
    const p = probe(node)
    const target = worker(node)
    const ref = p.run(() => monitor(target))
    expect(processInfo(p.pid)?.monitors).toEqual([{ ref, pid: target }])
    expect(processInfo(target)?.monitoredBy).toEqual([p.pid])
    const boom = new Error('boom')
    send(target, { crash: boom })
    const down = await p.next<DownMessage>(isDownOf(ref))
    expect(down).toEqual({ type: 'DOWN', ref, pid: target, reason: boom })
    expect(down.reason).toBe(boom)
    await settle()
    expect(downsOf(p, ref)).toHaveLength(1)
    expect(processInfo(p.pid)?.monitors).toEqual([])
  })

  it('deliver one DOWN per monitor when a process is monitored twice', async () => {
    const node = fresh()
    const p = probe(node)
    const target = worker(node)
    const first = p.run(() => monitor(target))
    const second = p.run(() => monitor(target))
    expect(first.equals(second)).toBe(false)
    exit(target, 'shutdown')
    expect((await p.next<DownMessage>(isDownOf(first))).reason).toBe('shutdown')
    expect((await p.next<DownMessage>(isDownOf(second))).reason).toBe('shutdown')
    await settle()
    expect(p.messages).toHaveLength(2)
  })

  it('deliver DOWN noproc at once for a target that is already dead', async () => {
    const node = fresh()
    const p = probe(node)
    const target = worker(node)
    exit(target, 'kill')
    await waitFor(() => processInfo(target) === undefined)
    const ref = p.run(() => monitor(target))
    expect(await p.next(isDownOf(ref))).toEqual({ type: 'DOWN', ref, pid: target, reason: 'noproc' })
    expect(processInfo(p.pid)?.monitors).toEqual([])
  })

  it('deliver DOWN noproc for a pid of an earlier creation of this node', async () => {
    const node = fresh()
    const p = probe(node)
    const stale = new Pid(node.name, p.pid.id, node.creation + 1)
    const ref = p.run(() => monitor(stale))
    expect(await p.next(isDownOf(ref))).toEqual({ type: 'DOWN', ref, pid: stale, reason: 'noproc' })
  })

  it('can watch a process by its registered name; the DOWN names it as { name, node }', async () => {
    const node = fresh()
    const p = probe(node)
    const target = worker(node)
    p.run(() => { register('svc', target) })
    const byName = p.run(() => monitor('svc'))
    const byRemoteName = p.run(() => monitor({ name: 'svc', node: node.name }))
    expect(processInfo(target)?.monitoredBy).toEqual([p.pid, p.pid])
    const boom = new Error('boom')
    send(target, { crash: boom })
    expect(await p.next(isDownOf(byName))).toEqual({ type: 'DOWN', ref: byName, pid: { name: 'svc', node: node.name }, reason: boom })
    expect(await p.next(isDownOf(byRemoteName))).toEqual({ type: 'DOWN', ref: byRemoteName, pid: { name: 'svc', node: node.name }, reason: boom })
  })

  it('deliver DOWN noproc at once for a name that is not registered', async () => {
    const node = fresh()
    const p = probe(node)
    const ref = p.run(() => monitor('nobody'))
    expect(await p.next(isDownOf(ref))).toEqual({ type: 'DOWN', ref, pid: { name: 'nobody', node: node.name }, reason: 'noproc' })
  })

  it('deliver DOWN noconnection for a process of another node that cannot be reached', async () => {
    const node = fresh()
    const p = probe(node)
    const remote = new Pid('far@test', 1, 1)
    const byPid = p.run(() => monitor(remote))
    expect(await p.next(isDownOf(byPid))).toEqual({ type: 'DOWN', ref: byPid, pid: remote, reason: 'noconnection' })
    const byName = p.run(() => monitor({ name: 'svc', node: 'far@test' }))
    expect(await p.next(isDownOf(byName))).toEqual({ type: 'DOWN', ref: byName, pid: { name: 'svc', node: 'far@test' }, reason: 'noconnection' })
    expect(processInfo(p.pid)?.monitors).toEqual([])
  })

  it('demonitor prevents the DOWN', async () => {
    const node = fresh()
    const p = probe(node)
    const target = worker(node)
    const removed = p.run(() => monitor(target))
    const kept = p.run(() => monitor(target))
    expect(p.run(() => demonitor(removed))).toBe(true)
    expect(processInfo(target)?.monitoredBy).toEqual([p.pid])
    expect(processInfo(p.pid)?.monitors).toEqual([{ ref: kept, pid: target }])
    send(target, { crash: new Error('boom') })
    // Both DOWNs would be sent by the same exit, so once the kept one is here the removed one would be too.
    await p.next(isDownOf(kept))
    await settle()
    expect(downsOf(p, removed)).toEqual([])
  })

  it('demonitor returns true for an active monitor and false for one that has fired or is unknown', async () => {
    const node = fresh()
    const p = probe(node)
    const target = worker(node)
    const ref = p.run(() => monitor(target))
    exit(target, 'shutdown')
    await p.next(isDownOf(ref))
    expect(p.run(() => demonitor(ref))).toBe(false)
    expect(p.run(() => demonitor(node.makeRef()))).toBe(false)
    const other = worker(node)
    const active = p.run(() => monitor(other))
    expect(p.run(() => demonitor(active))).toBe(true)
    expect(p.run(() => demonitor(active))).toBe(false)
  })

  it('demonitor with flush removes a DOWN already in the mailbox', async () => {
    const node = fresh()
    const target = worker(node)
    const proceed = gate()
    const refs: Ref[] = []
    const received: unknown[] = []
    const watcher = spawn(async ({ receive }) => {
      const ref = monitor(target)
      refs.push(ref)
      await proceed.promise
      demonitor(ref, { flush: true })
      send(self(), 'marker')
      received.push(await receive())
    }, { node })
    await waitFor(() => refs.length === 1)
    exit(target, 'shutdown')
    await waitFor(() => processInfo(watcher)?.messageQueueLength === 1)
    proceed.open()
    await waitFor(() => received.length === 1)
    expect(received).toEqual(['marker'])
  })

  it('demonitor without flush leaves a DOWN already in the mailbox', async () => {
    const node = fresh()
    const target = worker(node)
    const proceed = gate()
    const refs: Ref[] = []
    const received: unknown[] = []
    const watcher = spawn(async ({ receive }) => {
      const ref = monitor(target)
      refs.push(ref)
      await proceed.promise
      demonitor(ref)
      send(self(), 'marker')
      received.push(await receive())
    }, { node })
    await waitFor(() => refs.length === 1)
    exit(target, 'shutdown')
    await waitFor(() => processInfo(watcher)?.messageQueueLength === 1)
    proceed.open()
    await waitFor(() => received.length === 1)
    expect(received).toEqual([{ type: 'DOWN', ref: refs[0], pid: target, reason: 'shutdown' }])
  })

  it('are one-way: the exit of the watcher does not affect the target, and removes its monitor', async () => {
    const node = fresh()
    const p = probe(node)
    const target = worker(node)
    const watcher = spawn(async ({ receive }) => {
      monitor(target)
      const m = await receive<{ crash: Error }>()
      throw m.crash
    }, { node })
    await waitFor(() => processInfo(target)?.monitoredBy.length === 1)
    const ref = p.run(() => monitor(watcher))
    send(watcher, { crash: new Error('watcher crashed') })
    await p.next(isDownOf(ref))
    await settle()
    expect(processInfo(target)).toBeDefined()
    expect(processInfo(target)?.monitoredBy).toEqual([])
  })

  it('monitor and demonitor outside a process throw NotInProcessError; a bad target throws TypeError', () => {
    const node = fresh()
    const target = worker(node)
    expect(() => monitor(target)).toThrow(expect.objectContaining({ name: 'NotInProcessError' }))
    expect(() => demonitor(node.makeRef())).toThrow(expect.objectContaining({ name: 'NotInProcessError' }))
    const p = probe(node)
    for (const bad of [42, null, undefined, { name: 'x' }, { node: node.name }, target.toJSON()]) {
      expect(() => p.run(() => monitor(bad as unknown as Pid))).toThrow(expect.objectContaining({ name: 'TypeError' }))
    }
  })
})
