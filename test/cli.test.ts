import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { DEMO, MAIN, runToEnd, startJson, tempHome } from './cli-kit.js'

describe('gen-cluster start with bad input', () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['an unknown flag', ['start', '--name', 'a', '--bogus'], /Unknown option '--bogus'/],
    ['a bad address', ['start', '--name', 'a', '--listen', 'localhost:notaport'], /bad address for --listen/],
    ['a missing secret file', ['start', '--name', 'a', '--secret-file', '/nonexistent/secret'], /secret file .* does not exist/]
  ]
  for (const [what, args, message] of cases) {
    it(`exits non-zero with one line and no stack trace on ${what}`, async () => {
      const r = await runToEnd(MAIN, args)
      expect(r.code).not.toBe(0)
      expect(r.stdout).toBe('')
      const lines = r.stderr.trim().split('\n')
      expect(lines).toHaveLength(1)
      expect(lines[0]).toMatch(message)
      expect(r.stderr).not.toMatch(/\n\s+at /)
    })
  }

  it('exits non-zero with one line when its --listen port is in use', async () => {
    const home = tempHome()
    const a = startJson(['--name', 'a', '--home', home])
    const ready = await a.next(e => e.event === 'node:ready')
    const port = ((ready.addresses as string[])[0] as string).split('/')[4] as string
    const r = await runToEnd(MAIN, ['start', '--name', 'b', '--home', home, '--listen', `127.0.0.1:${port}`])
    expect(r.code).not.toBe(0)
    const lines = r.stderr.trim().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/in use/)
    expect(r.stderr).not.toMatch(/\n\s+at /)
  })

  it('gives up with one line when its seed never answers', async () => {
    const r = await runToEnd(MAIN, ['start', '--name', 'a', '--home', tempHome(), '--seed', '127.0.0.1:1', '--join-timeout', '1'])
    expect(r.code).toBe(1)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(/no seed answered within 1 s/)
  })
})

describe('gen-cluster start --json', () => {
  it('forms a cluster of two processes, reports member:join on the holder and a normal leave', async () => {
    const home = tempHome()
    const a = startJson(['--name', 'a', '--home', home])
    const readyA = await a.next(e => e.event === 'node:ready')
    await a.next(e => e.event === 'name:registered')
    const b = startJson(['--name', 'b', '--home', home, '--seed', (readyA.addresses as string[])[0]!])
    const readyB = await b.next(e => e.event === 'node:ready')
    const join = await a.next(e => e.event === 'member:join')
    expect(join).toMatchObject({ callback: 'handleJoin', pid: readyB.member, pidlist: [readyA.member, readyB.member] })
    b.proc.stdin!.write('q\n')
    const leave = await a.next(e => e.event === 'member:leave')
    expect(leave).toMatchObject({ callback: 'handleLeave', pid: readyB.member, pidlist: [readyA.member] })
    expect(await new Promise(resolve => b.proc.once('exit', resolve))).toBe(0)
  })
})

describe('gen-cluster start --json across a pause of the name holder', () => {
  it('reports name:takeover on the survivor and name:conflict on the stale holder once it resumes', async () => {
    const home = tempHome()
    const a = startJson(['--name', 'a', '--home', home])
    const readyA = await a.next(e => e.event === 'node:ready')
    await a.next(e => e.event === 'name:registered')
    const b = startJson(['--name', 'b', '--home', home, '--seed', (readyA.addresses as string[])[0]!])
    const readyB = await b.next(e => e.event === 'node:ready')
    await a.next(e => e.event === 'member:join')
    process.kill(a.proc.pid!, 'SIGSTOP')
    try {
      const takeover = await b.next(e => e.event === 'name:takeover')
      expect(takeover).toMatchObject({ holder: readyB.member, previous: readyA.member })
    } finally {
      process.kill(a.proc.pid!, 'SIGCONT')
    }
    const conflict = await a.next(e => e.event === 'name:conflict')
    expect(conflict).toMatchObject({ member: readyA.member, kept: readyB.member })
    const rejoined = await b.next(e => e.event === 'member:join' && e.pid === readyA.member)
    expect(rejoined).toMatchObject({ callback: 'handleNodeJoined' })
  })
})

/** A line on stderr, alone, with no stack trace. */
function expectOneLine (stderr: string, message: RegExp): void {
  const lines = stderr.trim().split('\n')
  expect(lines, stderr).toHaveLength(1)
  expect(lines[0]).toMatch(message)
  expect(stderr).not.toMatch(/\n\s+at /)
}

describe('gen-cluster ctl', () => {
  it('reads nodes, members, names and another node\'s processes of a two-process cluster through one seed', async () => {
    const home = tempHome()
    const a = startJson(['--name', 'a', '--home', home])
    const readyA = await a.next(e => e.event === 'node:ready')
    const seed = (readyA.addresses as string[])[0]!
    const b = startJson(['--name', 'b', '--home', home, '--seed', seed])
    const readyB = await b.next(e => e.event === 'node:ready')
    await a.next(e => e.event === 'member:join')
    const ctl = async (...args: string[]): Promise<unknown> => {
      const r = await runToEnd(MAIN, ['ctl', '--seed', seed, '--home', home, '--timeout', '5', '--json', ...args])
      expect(r.stderr).toBe('')
      expect(r.code).toBe(0)
      return JSON.parse(r.stdout)
    }
    expect(await ctl('nodes')).toEqual({ node: readyA.name, nodes: [readyA.name, readyB.name].sort() })
    expect(await ctl('members')).toEqual({ cluster: 'demo', holder: readyA.member, members: [readyA.member, readyB.member] })
    const none = await runToEnd(MAIN, ['ctl', '--seed', seed, '--home', home, '--timeout', '5', 'members', 'nosuch'])
    expect(none.code).toBe(1)
    expectOneLine(none.stderr, /members: no cluster named "nosuch"/)
    expect(await ctl('names')).toEqual({ node: readyA.name, names: [{ name: 'gen_cluster:demo', holder: readyA.member }] })
    const ps = await ctl('ps', readyB.name as string) as { node: string, processes: Array<{ pid: string, name: string | null, behaviour: string | null }> }
    expect(ps.node).toBe(readyB.name)
    expect(ps.processes.map(p => p.name)).toEqual(expect.arrayContaining(['gen_cluster.global', 'gen_cluster.inspector']))
    expect(ps.processes).toContainEqual(expect.objectContaining({ pid: readyB.member, behaviour: 'gen_cluster' }))
    // The hidden ctl node is no member: the cluster's view is unchanged, and ctl left no key behind.
    expect(await ctl('nodes')).toEqual({ node: readyA.name, nodes: [readyA.name, readyB.name].sort() })
    expect(readdirSync(join(home, 'nodes')).filter(n => n.startsWith('ctl-'))).toEqual([])
    expect(await a.next(e => e.event === 'node:up' && e.hidden === true)).toMatchObject({ node: expect.stringMatching(/^ctl-\d+@/) })
  }, 40_000)

  it('prints readable lines without --json', async () => {
    const home = tempHome()
    const a = startJson(['--name', 'a', '--home', home])
    const readyA = await a.next(e => e.event === 'node:ready')
    const r = await runToEnd(MAIN, ['ctl', '--seed', (readyA.addresses as string[])[0]!, '--home', home, '--timeout', '5', 'members'])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toBe(`cluster demo: 1 member\n* ${String(readyA.member)}\n`)
  })

  it('exits 1 with one line when its seed does not answer within --timeout', async () => {
    const r = await runToEnd(MAIN, ['ctl', '--seed', '127.0.0.1:1', '--home', tempHome(), '--timeout', '1', 'nodes'])
    expect(r.code).toBe(1)
    expect(r.stdout).toBe('')
    expectOneLine(r.stderr, /no seed answered within 1 s \(127\.0\.0\.1:1\).*--timeout/)
  })

  it('exits 2 with one line on an unknown command', async () => {
    const r = await runToEnd(MAIN, ['ctl', '--seed', '127.0.0.1:1', 'bogus'])
    expect(r.code).toBe(2)
    expectOneLine(r.stderr, /unknown command "bogus"; usage: gen-cluster ctl/)
  })

  it('says it was refused when the cluster holds another secret', async () => {
    const a = startJson(['--name', 'a', '--home', tempHome()])
    const readyA = await a.next(e => e.event === 'node:ready')
    const r = await runToEnd(MAIN, ['ctl', '--seed', (readyA.addresses as string[])[0]!, '--home', tempHome(), '--timeout', '2', 'nodes'])
    expect(r.code).toBe(1)
    expectOneLine(r.stderr, /refused by the cluster at \/ip4\/127\.0\.0\.1\/tcp\/\d+\S*: the secure handshake failed, so this node holds another cluster secret/)
  })
})

describe('gen-cluster start with another cluster secret', () => {
  it('reports the refusal at once, exits 1 with one line once --join-timeout passes; the seed reports it too', async () => {
    const a = startJson(['--name', 'a', '--home', tempHome()])
    const readyA = await a.next(e => e.event === 'node:ready')
    const r = await runToEnd(MAIN, ['start', '--name', 'c', '--home', tempHome(), '--seed', (readyA.addresses as string[])[0]!, '--join-timeout', '2'])
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/refused: could not join through \/ip4\/127\.0\.0\.1\/tcp\/\d+\S*: the secure handshake failed \(another cluster secret/)
    expectOneLine(r.stderr, /^gen-cluster: refused by the cluster at .*gave up after 2 s; use the cluster's secret/)
    expect(await a.next(e => e.event === 'peer:refused')).toMatchObject({ message: expect.stringMatching(/^refused an inbound connection from /) })
  })
})

describe('pnpm demo', () => {
  it('runs to completion and narrates the callbacks in order', async () => {
    const r = await runToEnd(DEMO, [])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const expected = [
      /n1: handleJoin\(<n2\.\d+>\)/,
      /n1: handleJoin\(<n3\.\d+>\)/,
      /n2: handleNodeJoined\(<n3\.\d+>\)/,
      /n1: handleLeave\(<n2\.\d+>, normal\)/,
      /n3: handleTakeover\(<n1\.\d+>\)/,
      /n3: handleJoin\(<n4\.\d+>\)/,
      /summary/
    ]
    let from = 0
    for (const re of expected) {
      const at = r.stdout.slice(from).search(re)
      expect(at, `${String(re)} after offset ${from} in:\n${r.stdout}`).toBeGreaterThanOrEqual(0)
      from += at
    }
    expect(r.stdout).toMatch(/n3: handleLeave\(<n2\.\d+>, \w+\)/)
  }, 40_000)
})
