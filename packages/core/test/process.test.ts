import { afterEach, describe, expect, it } from 'vitest'
import { exit, monitor, processInfo, self, send, spawn } from '../src/index.js'
import type { CoreNode, DownMessage, ExitReason, NodeInit, Pid, ProcessContext, Ref } from '../src/index.js'
import { probe, settle, VirtualClock, waitFor, testNodes } from '../src/testing/index.js'
import type { Probe } from '../src/testing/index.js'

const nodes = testNodes('process')
const fresh = (init: NodeInit = {}): CoreNode => nodes.fresh(init)
afterEach(() => { nodes.cleanup() })

function isDownOf (ref: Ref): (m: unknown) => boolean {
  return (m) => (m as DownMessage).type === 'DOWN' && (m as DownMessage).ref.equals(ref)
}

/** Monitors `pid` from `p` now; resolves with its exit reason. */
async function exitReason (p: Probe, pid: Pid): Promise<ExitReason> {
  const ref = p.run(() => monitor(pid))
  const down = await p.next<DownMessage>(isDownOf(ref))
  return down.reason
}

function gate (): { promise: Promise<void>, open: () => void } {
  const { promise, resolve } = Promise.withResolvers<void>()
  return { promise, open: () => { resolve() } }
}

describe('mailbox', () => {
  it('delivers messages in the order they were sent, while the process is busy and while it waits', async () => {
    const node = fresh()
    const first = gate()
    const second = gate()
    const received: unknown[] = []
    const pid = spawn(async ({ receive }) => {
      await first.promise
      for (let i = 0; i < 3; i++) received.push(await receive())
      await second.promise
      for (;;) received.push(await receive())
    }, { node })
    for (let i = 1; i <= 5; i++) send(pid, i)
    first.open()
    await waitFor(() => received.length === 3)
    for (let i = 6; i <= 20; i++) send(pid, i)
    second.open()
    await waitFor(() => received.length === 20)
    for (let i = 21; i <= 300; i++) send(pid, i)
    await waitFor(() => received.length === 300)
    expect(received).toEqual(Array.from({ length: 300 }, (_, i) => i + 1))
  })

  it('handles one message at a time: the next one waits in the mailbox until the current one is done', async () => {
    const node = fresh()
    const log: string[] = []
    const gates = new Map([['a', gate()], ['b', gate()]])
    const pid = spawn(async ({ receive }) => {
      for (;;) {
        const m = await receive<string>()
        log.push(`start ${m}`)
        await gates.get(m)?.promise
        log.push(`end ${m}`)
      }
    }, { node })
    send(pid, 'a')
    send(pid, 'b')
    await waitFor(() => log.length === 1)
    await settle()
    expect(log).toEqual(['start a'])
    expect(processInfo(pid)?.messageQueueLength).toBe(1)
    gates.get('a')?.open()
    await waitFor(() => log.length === 3)
    expect(log).toEqual(['start a', 'end a', 'start b'])
    expect(processInfo(pid)?.messageQueueLength).toBe(0)
    gates.get('b')?.open()
    await waitFor(() => log.length === 4)
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b'])
  })

  it('delivers null, false, 0 and the empty string as messages', async () => {
    const node = fresh()
    const received: unknown[] = []
    const pid = spawn(async ({ receive }) => { for (;;) received.push(await receive()) }, { node })
    for (const m of [null, false, 0, '']) send(pid, m)
    await waitFor(() => received.length === 4)
    expect(received).toEqual([null, false, 0, ''])
  })

  it('selective receive takes the first matching message and leaves the others in order', async () => {
    const node = fresh()
    const start = gate()
    const received: unknown[] = []
    const pid = spawn(async ({ receive }) => {
      await start.promise
      const isB = (m: unknown): boolean => (m as { k: string }).k === 'b'
      received.push(await receive({ match: isB }))
      received.push(await receive({ match: isB }))
      for (;;) received.push(await receive())
    }, { node })
    const messages = [{ k: 'a', n: 1 }, { k: 'b', n: 1 }, { k: 'a', n: 2 }, { k: 'b', n: 2 }, { k: 'c', n: 1 }]
    for (const m of messages) send(pid, m)
    start.open()
    await waitFor(() => received.length === 5)
    expect(received).toEqual([{ k: 'b', n: 1 }, { k: 'b', n: 2 }, { k: 'a', n: 1 }, { k: 'a', n: 2 }, { k: 'c', n: 1 }])
  })

  it('a waiting selective receive lets non-matching messages pass into the mailbox, for later receives', async () => {
    const node = fresh()
    const received: unknown[] = []
    const pid = spawn(async ({ receive }) => {
      received.push(await receive({ match: m => m === 'wanted' }))
      for (;;) received.push(await receive())
    }, { node })
    await settle()
    send(pid, 'other 1')
    send(pid, 'other 2')
    expect(processInfo(pid)?.messageQueueLength).toBe(2)
    expect(received).toEqual([])
    send(pid, 'wanted')
    await waitFor(() => received.length === 3)
    expect(received).toEqual(['wanted', 'other 1', 'other 2'])
  })

  it('a match function that throws fails the receive of the receiving process, never the send of the sender', async () => {
    const node = fresh()
    const outcome: unknown[] = []
    const queued = gate()
    const pickyMatch = (m: unknown): boolean => (m as { a: { b: number } }).a.b === 1
    const pid = spawn(async ({ receive }) => {
      // The message arrives while the receive waits.
      await receive({ match: pickyMatch }).catch((err: unknown) => { outcome.push((err as Error).name) })
      // The message is in the mailbox when the receive starts.
      await queued.promise
      await receive({ match: pickyMatch }).catch((err: unknown) => { outcome.push((err as Error).name) })
      // Neither message was taken.
      outcome.push(await receive(), await receive())
    }, { node })
    await settle()
    expect(() => { send(pid, 42) }).not.toThrow()
    await waitFor(() => outcome.length === 1)
    send(pid, 43)
    queued.open()
    await waitFor(() => outcome.length === 4)
    expect(outcome).toEqual(['TypeError', 'TypeError', 42, 43])
  })

  it('a second receive while one is waiting rejects with TypeError', async () => {
    const node = fresh()
    const outcome: unknown[] = []
    const pid = spawn(async ({ receive }) => {
      const first = receive()
      await receive().catch((err: unknown) => { outcome.push((err as Error).name) })
      outcome.push(await first)
    }, { node })
    await waitFor(() => outcome.length === 1)
    send(pid, 'm')
    await waitFor(() => outcome.length === 2)
    expect(outcome).toEqual(['TypeError', 'm'])
  })
})

describe('receive with a timeout', () => {
  it('rejects with ReceiveTimeoutError when no message comes in time', async () => {
    const clock = new VirtualClock()
    const node = fresh({ clock })
    const p = probe(node)
    const outcome: string[] = []
    const pid = spawn(async ({ receive }) => {
      await receive({ timeout: 100 }).catch((err: unknown) => { outcome.push((err as Error).name) })
      await receive({ timeout: 100 })
    }, { node })
    const reason = exitReason(p, pid)
    await waitFor(() => clock.pending === 1)
    await clock.advance(99)
    expect(outcome).toEqual([])
    await clock.advance(1)
    await waitFor(() => outcome.length === 1)
    expect(outcome).toEqual(['ReceiveTimeoutError'])
    // Not caught, the timeout crashes the process.
    await waitFor(() => clock.pending === 1)
    await clock.advance(100)
    expect(((await reason) as Error).name).toBe('ReceiveTimeoutError')
  })

  it('a message that comes in time is received and its timer is cancelled', async () => {
    const clock = new VirtualClock()
    const node = fresh({ clock })
    const received: unknown[] = []
    const pid = spawn(async ({ receive }) => {
      received.push(await receive({ timeout: 100 }))
      received.push(await receive())
    }, { node })
    await waitFor(() => clock.pending === 1)
    await clock.advance(50)
    send(pid, 'in time')
    await waitFor(() => received.length === 1)
    expect(received).toEqual(['in time'])
    expect(clock.pending).toBe(0)
    await clock.advance(1000)
    expect(processInfo(pid)).toBeDefined()
  })

  it('a message that does not match does not end a selective receive with a timeout', async () => {
    const clock = new VirtualClock()
    const node = fresh({ clock })
    const outcome: unknown[] = []
    const pid = spawn(async ({ receive }) => {
      await receive({ match: m => m === 'yes', timeout: 100 }).then(m => { outcome.push(m) }, (err: unknown) => { outcome.push((err as Error).name) })
      outcome.push(await receive())
    }, { node })
    await waitFor(() => clock.pending === 1)
    send(pid, 'no')
    await clock.advance(100)
    await waitFor(() => outcome.length === 2)
    expect(outcome).toEqual(['ReceiveTimeoutError', 'no'])
  })
})

describe('exits of a process function', () => {
  it('a function that returns exits normal, whether sync or async', async () => {
    const node = fresh()
    const p = probe(node)
    const sync = spawn(() => 42, { node })
    const async = spawn(async ({ receive }) => { await receive() }, { node })
    const syncReason = exitReason(p, sync)
    const asyncReason = exitReason(p, async)
    send(async, 'go')
    expect(await syncReason).toBe('normal')
    expect(await asyncReason).toBe('normal')
    expect(processInfo(sync)).toBeUndefined()
    expect(processInfo(async)).toBeUndefined()
  })

  it('a throw or a rejection crashes only that process; the node and other processes carry on', async () => {
    const node = fresh()
    const p = probe(node)
    const echoed: unknown[] = []
    const bystander = spawn(async ({ receive }) => { for (;;) echoed.push(await receive()) }, { node })
    const thrown = new RangeError('thrown')
    const rejected = new SyntaxError('rejected')
    const thrower = spawn(() => { throw thrown }, { node })
    const rejecter = spawn(async ({ receive }) => {
      await receive()
      throw rejected
    }, { node })
    const throwerReason = exitReason(p, thrower)
    const rejecterReason = exitReason(p, rejecter)
    send(rejecter, 'go')
    expect(await throwerReason).toBe(thrown)
    expect(((await rejecterReason) as Error).name).toBe('SyntaxError')
    expect(await rejecterReason).toBe(rejected)

    send(bystander, 'still here')
    const later = spawn(async ({ receive }) => { echoed.push(await receive()) }, { node })
    send(later, 'new process')
    await waitFor(() => echoed.length === 2)
    expect(echoed).toEqual(['still here', 'new process'])
    expect(processInfo(bystander)).toBeDefined()
    expect(p.alive).toBe(true)
  })

  it('a thrown value that is not an Error becomes an Error reason that keeps the value as cause', async () => {
    const node = fresh()
    const p = probe(node)
    const pid = spawn(() => { throw 'oops' as unknown as Error }, { node })
    const reason = await exitReason(p, pid)
    expect(reason).toBeInstanceOf(Error)
    expect((reason as Error).cause).toBe('oops')
  })

  it('spawn throws TypeError for something that is not a function', () => {
    const node = fresh()
    expect(() => spawn('not a function' as unknown as () => void, { node })).toThrow(expect.objectContaining({ name: 'TypeError' }))
  })

  it('spawn with link outside any process throws NotInProcessError', () => {
    const node = fresh()
    expect(() => spawn(() => {}, { node, link: true })).toThrow(expect.objectContaining({ name: 'NotInProcessError' }))
    expect(node.procs.size).toBe(0)
  })
})

describe('self', () => {
  it('throws NotInProcessError outside any process', () => {
    expect(() => self()).toThrow(expect.objectContaining({ name: 'NotInProcessError' }))
  })

  it('is the pid spawn returned, also after an await and while other processes run', async () => {
    const node = fresh()
    const seen = new Map<string, Pid[]>()
    const body = (label: string) => async ({ self: own, receive }: ProcessContext): Promise<void> => {
      const before = self()
      await receive()
      seen.set(label, [own, before, self()])
    }
    const a = spawn(body('a'), { node })
    const b = spawn(body('b'), { node })
    await settle()
    send(b, 'go')
    send(a, 'go')
    await waitFor(() => seen.size === 2)
    for (const [label, pid] of [['a', a], ['b', b]] as const) {
      const pids = seen.get(label) ?? []
      expect(pids).toHaveLength(3)
      for (const p of pids) expect(p.equals(pid)).toBe(true)
    }
    expect(a.equals(b)).toBe(false)
  })

  it('throws NotInProcessError in the code of a process that has been killed', async () => {
    const node = fresh()
    const p = probe(node)
    const resume = gate()
    const outcome: string[] = []
    const pid = spawn(async () => {
      await resume.promise
      try {
        self()
        outcome.push('self() worked')
      } catch (err) {
        outcome.push((err as Error).name)
      }
    }, { node })
    const reason = exitReason(p, pid)
    exit(pid, 'kill')
    expect(await reason).toBe('killed')
    resume.open()
    await waitFor(() => outcome.length === 1)
    expect(outcome).toEqual(['NotInProcessError'])
  })

  it('sends nothing from the code of a process that has been killed', async () => {
    const node = fresh()
    const p = probe(node)
    const resume = gate()
    let sent = false
    const pid = spawn(async () => {
      await resume.promise
      send(p.pid, 'from beyond')
      sent = true
    }, { node })
    const reason = exitReason(p, pid)
    exit(pid, 'kill')
    expect(await reason).toBe('killed')
    resume.open()
    await waitFor(() => sent)
    await settle()
    expect(p.messages.filter(m => m === 'from beyond')).toEqual([])
  })
})

describe('send', () => {
  it('drops a message to a dead pid silently', async () => {
    const node = fresh()
    const p = probe(node)
    const pid = spawn(() => {}, { node })
    expect(await exitReason(p, pid)).toBe('normal')
    expect(() => { send(pid, 'too late') }).not.toThrow()
    expect(() => { p.run(() => { send(pid, 'too late') }) }).not.toThrow()
  })

  it('throws NoProcError for a name that is not registered', () => {
    const node = fresh()
    const p = probe(node)
    expect(() => { p.run(() => { send('nobody', 'hello') }) }).toThrow(expect.objectContaining({ name: 'NoProcError' }))
    expect(() => { p.run(() => { send({ name: 'nobody', node: node.name }, 'hello') }) }).toThrow(expect.objectContaining({ name: 'NoProcError' }))
    expect(() => { send('nobody-outside-any-process', 'hello') }).toThrow(expect.objectContaining({ name: 'NoProcError' }))
  })

  it('throws TypeError for a destination that is neither a pid nor a name', () => {
    const node = fresh()
    const p = probe(node)
    const bad: unknown[] = [42, null, {}, '', { name: 'x' }, { node: node.name }, { pid: [node.name, 1, node.creation] }, [node.name, 1, node.creation]]
    for (const dest of bad) {
      expect(() => { send(dest as Pid, 'hello') }).toThrow(expect.objectContaining({ name: 'TypeError' }))
      expect(() => { p.run(() => { send(dest as Pid, 'hello') }) }).toThrow(expect.objectContaining({ name: 'TypeError' }))
    }
  })

  it('throws TypeError for an undefined message, and delivers nothing', async () => {
    const node = fresh()
    const received: unknown[] = []
    const pid = spawn(async ({ receive }) => { for (;;) received.push(await receive()) }, { node })
    expect(() => { send(pid, undefined) }).toThrow(expect.objectContaining({ name: 'TypeError' }))
    send(pid, 'after')
    await waitFor(() => received.length === 1)
    expect(received).toEqual(['after'])
  })
})
