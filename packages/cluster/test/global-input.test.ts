/**
 * What the global registry refuses: bad names and non-pids from its users (typed errors), and
 * messages of unknown shape from peers (logged and dropped, the registry carries on).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { call, cast, send } from '@gen-cluster/core'
import type { LoggerFactory, Pid } from '@gen-cluster/core'
import { probe } from '@gen-cluster/core/testing'
import { GLOBAL_SERVER_NAME, MAX_NAME_BYTES, startGlobal } from '../src/global/index.js'
import type { GlobalCluster } from './global-kit.js'
import { done, globalCluster, node, on, proc, reg } from './global-kit.js'
import { memCluster } from './helpers.js'
import type { MemCluster } from './helpers.js'

let gc: GlobalCluster | undefined
let cl: MemCluster | undefined
afterEach(async () => {
  await gc?.cl.stopAll()
  await cl?.stopAll()
  gc = undefined
  cl = undefined
})

describe('global registry input', () => {
  it('refuses names that are empty, longer than 255 bytes or not strings with InvalidNameError', async () => {
    gc = await globalCluster(['a'])
    const g = reg(gc, 'a')
    const pid = proc(gc, 'a').pid
    for (const bad of ['', 'x'.repeat(256), 'é'.repeat(128), 42, null, undefined, { name: 'x' }]) {
      await expect(g.registerName(bad as string, pid)).rejects.toMatchObject({ name: 'InvalidNameError', value: bad })
      await expect(g.unregisterName(bad as string)).rejects.toMatchObject({ name: 'InvalidNameError' })
      expect(() => { g.sendName(bad as string, 1) }).toThrow(expect.objectContaining({ name: 'InvalidNameError' }))
      expect(g.whereisName(bad as string)).toBeUndefined()
    }
    expect(MAX_NAME_BYTES).toBe(255)
    expect(await done(gc.cl, g.registerName('x'.repeat(255), pid))).toBe(true)
    expect(await done(gc.cl, g.registerName('é'.repeat(127), pid))).toBe(true)
    expect(g.registeredNames()).toEqual(['x'.repeat(255), 'é'.repeat(127)].sort())
  })

  it('refuses what is not a Pid with InvalidPidError', async () => {
    gc = await globalCluster(['a'])
    for (const bad of ['<a.1.1>', { pid: ['a', 1, 1] }, null, 7]) {
      await expect(reg(gc, 'a').registerName('x', bad as unknown as Pid)).rejects.toMatchObject({ name: 'InvalidPidError', value: bad })
    }
    expect(reg(gc, 'a').registeredNames()).toEqual([])
  })

  it('ends a registration with CallAbortedError when its signal is aborted', async () => {
    gc = await globalCluster(['a'])
    const ac = new AbortController()
    ac.abort()
    await expect(done(gc.cl, reg(gc, 'a').registerName('x', proc(gc, 'a').pid, { signal: ac.signal }))).rejects.toMatchObject({ name: 'CallAbortedError' })
  })

  it('refuses bad options with InvalidOptionError naming the option', async () => {
    gc = await globalCluster(['a'])
    const n = node(gc, 'a')
    await reg(gc, 'a').stop()
    await expect(startGlobal(n, { resolver: 'first' as never })).rejects.toMatchObject({ name: 'InvalidOptionError', option: 'resolver' })
    await expect(startGlobal(n, { timeoutMs: 0 })).rejects.toMatchObject({ name: 'InvalidOptionError', option: 'timeoutMs' })
    await expect(startGlobal(n, { peerTimeoutMs: Number.NaN })).rejects.toMatchObject({ name: 'InvalidOptionError', option: 'peerTimeoutMs' })
    await expect(startGlobal({} as never)).rejects.toMatchObject({ name: 'InvalidOptionError', option: 'node' })
  })

  it('logs and drops peer messages of unknown shape, answers calls of unknown shape with invalid, and carries on', async () => {
    const lines: string[] = []
    const capture: LoggerFactory = (component) => {
      const at = (level: string) => (message: string): void => { lines.push(`${component} ${level} ${message}`) }
      return { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') }
    }
    cl = memCluster()
    const a = await cl.add('a', [], { logger: capture })
    const b = await cl.add('b', ['a'])
    await cl.until(() => a.nodes().length === 1)
    const ga = await startGlobal(a)
    await startGlobal(b)
    const server = { name: GLOBAL_SERVER_NAME, node: a.name }
    const c = cl
    const answers = await on(cl, b, async () => {
      cast(server, { type: 'sync', node: 5, entries: 'all of them' })
      cast(server, { type: 'abort', name: '' })
      cast(server, { type: 'teleport' })
      send(server, { hello: 'there' })
      return await Promise.all([
        call(server, { type: 'commit', name: 'x', pid: 'not a pid', at: 1 }),
        call(server, { type: 'drop' }),
        call(server, { type: 'teleport' }).catch((e: Error) => e.name)
      ])
    })
    expect(answers).toEqual(['invalid', 'invalid', 'UnknownRequestError'])
    await c.clock.advance(1)
    expect(lines.filter(l => l.startsWith('cluster:global warn'))).toEqual([
      'cluster:global warn SYNC of unknown shape dropped',
      'cluster:global warn ABORT of unknown shape dropped',
      'cluster:global warn unexpected message dropped',
      'cluster:global warn COMMIT of unknown shape dropped',
      'cluster:global warn DROP of unknown shape dropped'
    ])
    expect(await done(cl, ga.registerName('x', probe(a.core).pid))).toBe(true)
  })

  it("answers 'retry' to a registration that reaches a node which is not the smallest of its view", async () => {
    gc = await globalCluster(['a', 'b'])
    const pid = proc(gc, 'b').pid
    const answer = await on(gc.cl, node(gc, 'a'), async () => await call({ name: GLOBAL_SERVER_NAME, node: node(gc!, 'b').name }, { type: 'register', name: 'x', pid, at: 0 }))
    expect(answer).toBe('retry')
    expect(reg(gc, 'b').whereisName('x')).toBeUndefined()
  })
})
