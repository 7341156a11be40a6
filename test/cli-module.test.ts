/**
 * `gen-cluster start --module FILE.js`, `--version` and `--help`, as OS processes on 127.0.0.1: a
 * module's cluster callbacks are narrated by the CLI whether or not the module has them, its `init`
 * gets the StartContext, and what it writes to stdout never reaches stdout under `--json`.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { MAIN, runToEnd, startJson, tempHome } from './cli-kit.js'
import type { JsonNode } from './cli-kit.js'

/** `fixtures/counter-module.ts`, as `tsc -b` compiled it: handleJoin of its own, writes to stdout. */
const COUNTER = fileURLToPath(new URL('./dist/fixtures/counter-module.js', import.meta.url))

/** A module with no cluster callback and no import at all: a GenCluster is a plain object. */
const BARE = `export default {
  init: () => { console.log('bare: console.log from init'); return { state: 0 } },
  handleCall: { ping: (_req, _from, s) => ({ reply: 'pong', state: s }) }
}
`

const version = (JSON.parse(readFileSync(fileURLToPath(new URL('../packages/cli/package.json', import.meta.url)), 'utf8')) as { version: string }).version

function expectOnlyJson (node: JsonNode): void {
  for (const line of node.lines) expect(() => JSON.parse(line), line).not.toThrow()
}

describe('gen-cluster start --module', () => {
  it('narrates the callbacks of modules with and without their own, passes the StartContext, and keeps their stdout off --json', async () => {
    const home = tempHome()
    const bare = join(home, 'bare.mjs')
    writeFileSync(bare, BARE)
    const a = startJson(['--name', 'a', '--home', home, '--module', COUNTER])
    const readyA = await a.next(e => e.event === 'node:ready')
    expect(await a.next(e => e.event === 'module:log' && e.registry !== undefined)).toMatchObject({
      text: 'counting the joins of cluster demo', node: readyA.name, registry: 'function'
    })
    const seed = (readyA.addresses as string[])[0]!
    const b = startJson(['--name', 'b', '--home', home, '--seed', seed, '--module', bare])
    const readyB = await b.next(e => e.event === 'node:ready')
    // On the holder: the CLI's narration, then the module's own handleJoin.
    expect(await a.next(e => e.event === 'member:join')).toMatchObject({ callback: 'handleJoin', pid: readyB.member, pidlist: [readyA.member, readyB.member] })
    expect(await a.next(e => e.event === 'module:log' && e.text === 'counter: handleJoin ran')).toMatchObject({ joins: 1 })
    // On b, whose module has no callbacks: the CLI narrates them all the same.
    const c = startJson(['--name', 'c', '--home', home, '--seed', seed, '--module', bare])
    const readyC = await c.next(e => e.event === 'node:ready')
    expect(await b.next(e => e.event === 'member:join')).toMatchObject({ callback: 'handleNodeJoined', pid: readyC.member, pidlist: [readyA.member, readyB.member, readyC.member] })
    c.proc.stdin!.write('q\n')
    expect(await b.next(e => e.event === 'member:leave')).toMatchObject({ callback: 'handleLeave', pid: readyC.member, pidlist: [readyA.member, readyB.member] })
    expect(await new Promise(resolve => c.proc.once('exit', resolve))).toBe(0)
    // What the modules wrote went to stderr; stdout held JSON events only.
    for (const n of [a, b]) expectOnlyJson(n)
    expect(a.stderr()).toContain('counter: console.log from init\n')
    expect(a.stderr()).toContain('counter: process.stdout.write from handleJoin\n')
    expect(b.stderr()).toContain('bare: console.log from init\n')
  }, 40_000)

  it('refuses a module without a GenCluster as its default export, with exit code 2 and one line', async () => {
    const home = tempHome()
    const file = join(home, 'nothing.mjs')
    writeFileSync(file, 'export const x = 1\n')
    const r = await runToEnd(MAIN, ['start', '--name', 'a', '--home', home, '--module', file])
    expect(r.code).toBe(2)
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/has no GenCluster as its default export/)])
  })
})

describe('gen-cluster --version and --help', () => {
  it('prints the package\'s version', async () => {
    for (const args of [['--version'], ['start', '--version']]) {
      const r = await runToEnd(MAIN, args)
      expect(r).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' })
    }
  })

  it('documents the --module contract in start --help', async () => {
    const r = await runToEnd(MAIN, ['start', '--help'])
    expect(r.code).toBe(0)
    for (const term of ['--module FILE.js', 'default export is a GenCluster', 'CliModule', 'StartContext', 'init(context)', 'goes to stderr', 'gen-cluster ctl']) {
      expect(r.stdout).toContain(term)
    }
  })
})
