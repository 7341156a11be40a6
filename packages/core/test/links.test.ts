import { afterEach, describe, expect, it } from 'vitest'
import {
  exit, link, monitor, Pid, processInfo, self, spawn, trapExit, unlink, send
} from '../src/index.js'
import type { CoreNode, DownMessage, ExitMessage, ExitReason, Ref } from '../src/index.js'
import { probe, settle, waitFor, testNodes } from '../src/testing/index.js'
import type { Probe } from '../src/testing/index.js'

const nodes = testNodes('links')
const fresh = (): CoreNode => nodes.fresh()
afterEach(() => { nodes.cleanup() })

type Command = { crash: Error } | { stop: true } | { unlink: Pid }

/**
 * A process that links itself to `links`, then waits: `{ crash }` makes it throw, `{ stop }` makes it
 * return (exit `normal`), `{ unlink }` unlinks it. Resolves once its links are in place.
 */
async function worker (node: CoreNode, links: Pid[] = [], opts: { trapExit?: boolean } = {}): Promise<Pid> {
  const pid = spawn(async ({ receive }) => {
    for (const other of links) link(other)
    for (;;) {
      const m = await receive<Command>({ match: m => typeof m === 'object' && m !== null && !('type' in m) })
      if ('crash' in m) throw m.crash
      if ('stop' in m) return
      unlink(m.unlink)
    }
  }, { node, ...opts })
  await waitFor(() => processInfo(pid)?.links.length === links.length)
  return pid
}

function isDownOf (ref: Ref): (m: unknown) => boolean {
  return (m) => (m as DownMessage).type === 'DOWN' && (m as DownMessage).ref.equals(ref)
}

function isExitFrom (pid: Pid): (m: unknown) => boolean {
  return (m) => (m as ExitMessage).type === 'EXIT' && (m as ExitMessage).from.equals(pid)
}

/** Monitors `pid` from `p` now; resolves with its exit reason. */
async function exitReason (p: Probe, pid: Pid): Promise<ExitReason> {
  const ref = p.run(() => monitor(pid))
  const down = await p.next<DownMessage>(isDownOf(ref))
  return down.reason
}

function linksOf (pid: Pid): string[] {
  return (processInfo(pid)?.links ?? []).map(l => l.key)
}

describe('links', () => {
  it('an abnormal exit kills a linked process that does not trap exits, with the same reason', async () => {
    const node = fresh()
    const p = probe(node)
    const a = await worker(node)
    const b = await worker(node, [a])
    expect(linksOf(a)).toEqual([b.key])
    expect(linksOf(b)).toEqual([a.key])
    const bReason = exitReason(p, b)
    const boom = new Error('boom')
    send(a, { crash: boom })
    expect(await bReason).toBe(boom)
  })

  it('an abnormal exit travels along a chain of links', async () => {
    const node = fresh()
    const p = probe(node)
    const a = await worker(node)
    const b = await worker(node, [a])
    const c = await worker(node, [b])
    const aReason = exitReason(p, a)
    const bReason = exitReason(p, b)
    const boom = new Error('boom')
    send(c, { crash: boom })
    expect(await bReason).toBe(boom)
    expect(await aReason).toBe(boom)
  })

  it('a process that traps exits stops the chain: it gets an EXIT message and its other partners live', async () => {
    const node = fresh()
    const a = await worker(node)
    const trapper = probe(node, { trapExit: true })
    trapper.run(() => { link(a) })
    const c = await worker(node, [trapper.pid])
    const boom = new Error('boom')
    send(c, { crash: boom })
    const message = await trapper.next<ExitMessage>(isExitFrom(c))
    expect(message).toEqual({ type: 'EXIT', from: c, reason: boom })
    expect(message.reason).toBe(boom)
    await settle()
    expect(trapper.alive).toBe(true)
    expect(processInfo(a)).toBeDefined()
    expect(linksOf(trapper.pid)).toEqual([a.key])
  })

  it('a normal exit does not kill linked processes, but a trapping partner hears of it', async () => {
    const node = fresh()
    const a = await worker(node)
    const witness = probe(node, { trapExit: true })
    witness.run(() => { link(a) })
    const b = await worker(node, [a])
    send(a, { stop: true })
    const message = await witness.next<ExitMessage>(isExitFrom(a))
    expect(message.reason).toBe('normal')
    await settle()
    expect(processInfo(b)).toBeDefined()
    expect(linksOf(b)).toEqual([])
  })

  it('trapExit turns exit signals into EXIT messages and returns the previous setting', async () => {
    const node = fresh()
    const previous: boolean[] = []
    const received: unknown[] = []
    const a = await worker(node)
    const trapper = spawn(async ({ receive }) => {
      previous.push(trapExit(true))
      previous.push(trapExit(true))
      link(a)
      received.push(await receive())
      await receive()
    }, { node })
    await waitFor(() => linksOf(a).length === 1)
    const boom = new Error('boom')
    send(a, { crash: boom })
    await waitFor(() => received.length === 1)
    expect(previous).toEqual([false, true])
    expect(received).toEqual([{ type: 'EXIT', from: a, reason: boom }])
    expect((received[0] as ExitMessage).from.equals(a)).toBe(true)
    expect(processInfo(trapper)?.trapExit).toBe(true)
  })

  it('trapExit(false) makes a trapping process die of exit signals again', async () => {
    const node = fresh()
    const p = probe(node)
    const target = spawn(async ({ receive }) => {
      trapExit(false)
      await receive()
    }, { node, trapExit: true })
    expect(processInfo(target)?.trapExit).toBe(true)
    await waitFor(() => processInfo(target)?.trapExit === false)
    const reason = exitReason(p, target)
    exit(target, 'shutdown')
    expect(await reason).toBe('shutdown')
  })

  it('trapExit outside a process throws NotInProcessError', () => {
    expect(() => trapExit(true)).toThrow(expect.objectContaining({ name: 'NotInProcessError' }))
  })

  it('spawn with link links the new process to the caller', async () => {
    const node = fresh()
    const parent = probe(node, { trapExit: true })
    const boom = new Error('boom')
    const child = parent.run(() => spawn(() => { throw boom }, { link: true }))
    const message = await parent.next<ExitMessage>(isExitFrom(child))
    expect(message.reason).toBe(boom)
    expect(parent.alive).toBe(true)
  })

  it('unlink stops propagation, on both sides of the link', async () => {
    const node = fresh()
    const p = probe(node)
    const a = await worker(node)
    const b = await worker(node, [a])
    const c = await worker(node)
    const d = await worker(node, [c])
    send(b, { unlink: a })
    send(c, { unlink: d })
    await waitFor(() => linksOf(b).length === 0 && linksOf(c).length === 0)
    expect(linksOf(a)).toEqual([])
    expect(linksOf(d)).toEqual([])
    const aReason = exitReason(p, a)
    const cReason = exitReason(p, c)
    const aCrash = new Error('a')
    const cCrash = new Error('c')
    send(a, { crash: aCrash })
    send(c, { crash: cCrash })
    expect(await aReason).toBe(aCrash)
    expect(await cReason).toBe(cCrash)
    await settle()
    expect(processInfo(b)).toBeDefined()
    expect(processInfo(d)).toBeDefined()
  })

  it('an exit signal already on its way is dropped when the link is removed before it arrives', async () => {
    const node = fresh()
    const p = probe(node)
    const b = await worker(node)
    p.run(() => { link(b) })
    node.terminate(node.lookup(b)!, new Error('b crashed'))
    p.run(() => { unlink(b) })
    await settle()
    expect(p.alive).toBe(true)
  })

  it('linking twice makes one link, which one unlink removes', async () => {
    const node = fresh()
    const a = await worker(node)
    const p = probe(node)
    p.run(() => {
      link(a)
      link(a)
    })
    expect(linksOf(p.pid)).toEqual([a.key])
    expect(linksOf(a)).toEqual([p.pid.key])
    p.run(() => { unlink(a) })
    expect(linksOf(p.pid)).toEqual([])
    expect(linksOf(a)).toEqual([])
    send(a, { crash: new Error('boom') })
    await waitFor(() => processInfo(a) === undefined)
    await settle()
    expect(p.alive).toBe(true)
  })

  it('linking to a dead pid delivers noproc: an EXIT message when trapping, death otherwise', async () => {
    const node = fresh()
    const dead = await worker(node)
    send(dead, { stop: true })
    await waitFor(() => processInfo(dead) === undefined)

    const trapper = probe(node, { trapExit: true })
    trapper.run(() => { link(dead) })
    expect(await trapper.next(isExitFrom(dead))).toEqual({ type: 'EXIT', from: dead, reason: 'noproc' })
    expect(linksOf(trapper.pid)).toEqual([])

    const p = probe(node)
    const victim = spawn(async ({ receive }) => {
      link(dead)
      await receive()
    }, { node })
    expect(await exitReason(p, victim)).toBe('noproc')
  })

  it('linking to a pid of an earlier creation of this node delivers noproc', async () => {
    const node = fresh()
    const trapper = probe(node, { trapExit: true })
    const stale = new Pid(node.name, trapper.pid.id, node.creation + 1)
    trapper.run(() => { link(stale) })
    expect(await trapper.next(isExitFrom(stale))).toEqual({ type: 'EXIT', from: stale, reason: 'noproc' })
  })

  it('linking to a pid of another node, with no connection to it, delivers noconnection', async () => {
    const node = fresh()
    const remote = new Pid('elsewhere@test', 1, 1)
    const trapper = probe(node, { trapExit: true })
    trapper.run(() => { link(remote) })
    expect(await trapper.next(isExitFrom(remote))).toEqual({ type: 'EXIT', from: remote, reason: 'noconnection' })
    expect(linksOf(trapper.pid)).toEqual([])

    const p = probe(node)
    const victim = spawn(async ({ receive }) => {
      link(remote)
      await receive()
    }, { node })
    expect(await exitReason(p, victim)).toBe('noconnection')
  })

  it('link and unlink outside a process throw NotInProcessError; with a non-pid, TypeError', () => {
    const pid = new Pid('a@test', 1, 1)
    expect(() => { link(pid) }).toThrow(expect.objectContaining({ name: 'NotInProcessError' }))
    expect(() => { unlink(pid) }).toThrow(expect.objectContaining({ name: 'NotInProcessError' }))
    const node = fresh()
    const p = probe(node)
    expect(() => { p.run(() => { link('name' as unknown as Pid) }) }).toThrow(expect.objectContaining({ name: 'TypeError' }))
    expect(() => { p.run(() => { unlink(pid.toJSON() as unknown as Pid) }) }).toThrow(expect.objectContaining({ name: 'TypeError' }))
  })
})

describe('exit signals', () => {
  it("exit(pid, 'kill') cannot be trapped: the target dies with killed", async () => {
    const node = fresh()
    const p = probe(node)
    const target = await worker(node, [], { trapExit: true })
    expect(processInfo(target)?.trapExit).toBe(true)
    const reason = exitReason(p, target)
    exit(target, 'kill')
    expect(await reason).toBe('killed')
  })

  it('processes linked to a killed process get killed, not kill', async () => {
    const node = fresh()
    const p = probe(node)
    const target = await worker(node)
    const partner = await worker(node, [target])
    const witness = probe(node, { trapExit: true })
    witness.run(() => { link(target) })
    const partnerReason = exitReason(p, partner)
    p.run(() => { exit(target, 'kill') })
    expect((await witness.next<ExitMessage>(isExitFrom(target))).reason).toBe('killed')
    expect(await partnerReason).toBe('killed')
    expect(witness.alive).toBe(true)
  })

  it('an abnormal exit signal kills a process that does not trap exits, with that reason', async () => {
    const node = fresh()
    const p = probe(node)
    const reasons: ExitReason[] = ['shutdown', { shutdown: 'maintenance' }, new Error('told to'), 'noconnection']
    for (const sent of reasons) {
      const target = await worker(node)
      const reason = exitReason(p, target)
      exit(target, sent)
      expect(await reason).toBe(sent)
    }
  })

  it('a trapping process gets an exit signal as an EXIT message from its sender', async () => {
    const node = fresh()
    const trapper = probe(node, { trapExit: true })
    const sender = probe(node)
    sender.run(() => { exit(trapper.pid, 'shutdown') })
    expect(await trapper.next(isExitFrom(sender.pid))).toEqual({ type: 'EXIT', from: sender.pid, reason: 'shutdown' })
    exit(trapper.pid, { shutdown: 1 })
    expect(await trapper.next(isExitFrom(node.rootPid))).toEqual({ type: 'EXIT', from: node.rootPid, reason: { shutdown: 1 } })
    expect(trapper.alive).toBe(true)
  })

  it("exit(pid, 'normal') is ignored by a process that does not trap exits, and delivered to one that does", async () => {
    const node = fresh()
    const target = await worker(node)
    const trapper = probe(node, { trapExit: true })
    const sender = probe(node)
    sender.run(() => {
      exit(target, 'normal')
      exit(trapper.pid, 'normal')
    })
    exit(target, 'normal')
    expect(await trapper.next(isExitFrom(sender.pid))).toEqual({ type: 'EXIT', from: sender.pid, reason: 'normal' })
    await settle()
    expect(processInfo(target)).toBeDefined()
  })

  it("exit(self(), 'normal') ends the calling process with normal", async () => {
    const node = fresh()
    const p = probe(node)
    const after = Promise.withResolvers<void>()
    const pid = spawn(async ({ receive }) => {
      exit(self(), 'normal')
      await after.promise
      await receive()
    }, { node })
    const reason = exitReason(p, pid)
    after.resolve()
    expect(await reason).toBe('normal')
  })

  it('exit with an invalid reason or a non-pid throws TypeError and sends nothing', async () => {
    const node = fresh()
    const trapper = probe(node, { trapExit: true })
    const bad: unknown[] = ['bogus', 'Normal', undefined, null, 42, {}, { shutdown: 1, extra: 2 }, { reason: 'x' }]
    for (const reason of bad) {
      expect(() => { exit(trapper.pid, reason as ExitReason) }).toThrow(expect.objectContaining({ name: 'TypeError' }))
    }
    expect(() => { exit('name' as unknown as Pid, 'kill') }).toThrow(expect.objectContaining({ name: 'TypeError' }))
    exit(trapper.pid, 'shutdown')
    await trapper.next(m => (m as ExitMessage).type === 'EXIT')
    expect(trapper.messages).toEqual([{ type: 'EXIT', from: node.rootPid, reason: 'shutdown' }])
  })

  it('a message sent after an exit signal arrives after the EXIT it becomes, never before (one sender, one receiver)', async () => {
    const node = fresh()
    const trapper = probe(node, { trapExit: true })
    const sender = probe(node)
    sender.run(() => {
      send(trapper.pid, 'before')
      exit(trapper.pid, 'shutdown')
      send(trapper.pid, 'after')
      exit(trapper.pid, { shutdown: 2 })
      send(trapper.pid, 'last')
    })
    await trapper.next(m => m === 'last')
    expect(trapper.messages).toEqual([
      'before',
      { type: 'EXIT', from: sender.pid, reason: 'shutdown' },
      'after',
      { type: 'EXIT', from: sender.pid, reason: { shutdown: 2 } },
      'last'
    ])
  })

  it('outside a process too, a message sent after exit(pid, reason) follows the EXIT', async () => {
    const node = fresh()
    const trapper = probe(node, { trapExit: true })
    exit(trapper.pid, 'shutdown')
    send(trapper.pid, 'after')
    await trapper.next(m => m === 'after')
    expect(trapper.messages).toEqual([{ type: 'EXIT', from: node.rootPid, reason: 'shutdown' }, 'after'])
  })
})
