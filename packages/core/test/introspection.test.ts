import { afterEach, describe, expect, it } from 'vitest'
import {
  exit, isAlive, link, monitor, processes, processInfo, register, self, send, spawn
} from '../src/index.js'
import type { CoreNode, DownMessage, Pid, ProcessInfo, Ref } from '../src/index.js'
import { probe, waitFor, testNodes } from '../src/testing/index.js'

const nodes = testNodes('introspection')
const fresh = (): CoreNode => nodes.fresh()
afterEach(() => { nodes.cleanup() })

function waiter (node: CoreNode): Pid {
  return spawn(async ({ receive }) => { for (;;) await receive() }, { node })
}

function gate (): { promise: Promise<void>, open: () => void } {
  const { promise, resolve } = Promise.withResolvers<void>()
  return { promise, open: () => { resolve() } }
}

function isDownOf (ref: Ref): (m: unknown) => boolean {
  return (m) => (m as DownMessage).type === 'DOWN' && (m as DownMessage).ref.equals(ref)
}

describe('processInfo', () => {
  it('reports the registered name, links, monitors both ways and trapExit of a process', async () => {
    const node = fresh()
    const partner = waiter(node)
    const watched = waiter(node)
    const refs: Ref[] = []
    const target = spawn(async ({ receive }) => {
      register('svc', self())
      link(partner)
      refs.push(monitor(watched))
      for (;;) await receive()
    }, { node, trapExit: true })
    await waitFor(() => refs.length === 1)
    const watcher = probe(node)
    watcher.run(() => monitor(target))

    const info = processInfo(target) as ProcessInfo
    expect(info.pid.equals(target)).toBe(true)
    expect(info.registeredName).toBe('svc')
    expect(info.links).toEqual([partner])
    expect(info.monitors).toEqual([{ ref: refs[0], pid: watched }])
    expect(info.monitoredBy).toEqual([watcher.pid])
    expect(info.trapExit).toBe(true)
    expect(info.behaviour).toBeUndefined()
    expect(info.version).toBeUndefined()

    const plain = processInfo(partner) as ProcessInfo
    expect(plain.registeredName).toBeUndefined()
    expect(plain.links).toEqual([target])
    expect(plain.monitors).toEqual([])
    expect(plain.monitoredBy).toEqual([])
    expect(plain.trapExit).toBe(false)
    expect(processInfo(watched)?.monitoredBy).toEqual([target])
  })

  it('counts the messages waiting in the mailbox and the messages handled', async () => {
    const node = fresh()
    const start = gate()
    const taken: unknown[] = []
    const pid = spawn(async ({ receive }) => {
      await start.promise
      taken.push(await receive())
      taken.push(await receive())
      for (;;) taken.push(await receive())
    }, { node })
    expect(processInfo(pid)).toMatchObject({ messageQueueLength: 0, messagesHandled: 0 })
    send(pid, 1)
    send(pid, 2)
    send(pid, 3)
    expect(processInfo(pid)).toMatchObject({ messageQueueLength: 3, messagesHandled: 0 })
    start.open()
    await waitFor(() => taken.length === 3)
    expect(processInfo(pid)).toMatchObject({ messageQueueLength: 0, messagesHandled: 3 })
    // A message handed straight to a waiting receive counts too.
    send(pid, 4)
    expect(processInfo(pid)).toMatchObject({ messageQueueLength: 0, messagesHandled: 4 })
  })

  it('reports waiting for a process blocked in receive, and running for a process running its own code', async () => {
    const node = fresh()
    const idle = waiter(node)
    await waitFor(() => processInfo(idle)?.status === 'waiting')
    const seen: string[] = []
    const busy = gate()
    const pid = spawn(async ({ receive }) => {
      seen.push(processInfo(self())?.status ?? 'dead')
      await busy.promise
      await receive()
    }, { node })
    await waitFor(() => seen.length === 1)
    expect(seen).toEqual(['running'])
    // Awaiting something other than a message is still the process's own work.
    expect(processInfo(pid)?.status).toBe('running')
    busy.open()
    await waitFor(() => processInfo(pid)?.status === 'waiting')
    expect(processInfo(idle)?.status).toBe('waiting')
  })

  it('is undefined for a dead pid', async () => {
    const node = fresh()
    const p = probe(node)
    const pid = waiter(node)
    expect(processInfo(pid)).toBeDefined()
    const ref = p.run(() => monitor(pid))
    exit(pid, 'kill')
    await p.next(isDownOf(ref))
    expect(processInfo(pid)).toBeUndefined()
  })
})

describe('processes', () => {
  it('lists the live processes of the node, and no dead ones', async () => {
    const node = fresh()
    const p = probe(node)
    const a = waiter(node)
    const b = waiter(node)
    const c = waiter(node)
    const keys = (): string[] => p.run(() => processes()).map(pid => pid.key).sort()
    expect(keys()).toEqual([p.pid, a, b, c].map(pid => pid.key).sort())
    expect(p.run(() => isAlive(b))).toBe(true)

    const ref = p.run(() => monitor(b))
    exit(b, 'kill')
    await p.next(isDownOf(ref))
    expect(keys()).toEqual([p.pid, a, c].map(pid => pid.key).sort())
    expect(p.run(() => isAlive(b))).toBe(false)

    const other = fresh()
    const elsewhere = waiter(other)
    expect(keys()).not.toContain(elsewhere.key)
  })
})
