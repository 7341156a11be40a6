import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { call, cast, defineServer, getState, loadBehaviour, processInfo, start, upgrade, upgradeAll } from '../src/index.js'
import { testNodes } from '../src/testing/index.js'
import type { CoreNode, ServerTypes } from '../src/index.js'

interface Seq extends ServerTypes {
  state: { count: number, last: number, outOfOrder: number, v2?: number }
  calls: { get: { reply: { count: number, last: number, outOfOrder: number, v2?: number } } }
  casts: { tick: { seq: number } }
}

function tick (s: Seq['state'], seq: number): Seq['state'] {
  return { ...s, count: s.count + 1, last: seq, outOfOrder: s.outOfOrder + (seq === s.last + 1 ? 0 : 1) }
}

const v1 = defineServer<Seq>({
  name: 'seq',
  version: '1',
  init: () => ({ state: { count: 0, last: 0, outOfOrder: 0 } }),
  handleCall: { get: (_r, _f, s) => ({ reply: s, state: s }) },
  handleCast: { tick: (m, s) => ({ state: tick(s, m.seq) }) }
})

const v2 = defineServer<Seq>({
  name: 'seq',
  version: '2',
  init: () => ({ state: { count: 0, last: 0, outOfOrder: 0, v2: 0 } }),
  codeChange: (_old, s) => ({ ...(s as Seq['state']), v2: 0 }),
  handleCall: { get: (_r, _f, s) => ({ reply: s, state: s }) },
  handleCast: { tick: (m, s) => ({ state: { ...tick(s, m.seq), v2: (s.v2 ?? 0) + 1 } }) }
})

const nodes = testNodes('up')
let node: CoreNode
afterEach(() => { nodes.cleanup() })
function fresh (): void {
  node = nodes.fresh()
}

describe('hot code upgrade', () => {
  it('loses no message and keeps their order when it happens in the middle of 100,000 casts', async () => {
    fresh()
    const pid = await start(v1, undefined, { node })
    for (let i = 1; i <= 50_000; i++) cast(pid, { type: 'tick', seq: i })
    const upgraded = upgrade(pid, v2)
    for (let i = 50_001; i <= 100_000; i++) cast(pid, { type: 'tick', seq: i })
    expect(await upgraded).toEqual({ from: '1', to: '2' })
    expect(await call(pid, { type: 'get' }, Infinity)).toEqual({ count: 100_000, last: 100_000, outOfOrder: 0, v2: 50_000 })
    expect(processInfo(pid)?.version).toBe('2')
  })

  it('holds messages that arrive during an async codeChange and runs them on the new code, in order', async () => {
    fresh()
    const pid = await start(v1, undefined, { node })
    let release!: () => void
    const gate = new Promise<void>(resolve => { release = resolve })
    const slow = defineServer<Seq>({
      ...v2,
      codeChange: async (_old, s) => {
        await gate
        return { ...(s as Seq['state']), v2: 0 }
      }
    })
    cast(pid, { type: 'tick', seq: 1 })
    const upgraded = upgrade(pid, slow)
    for (let i = 2; i <= 100; i++) cast(pid, { type: 'tick', seq: i })
    await new Promise(resolve => setImmediate(resolve))
    expect(processInfo(pid)?.messageQueueLength).toBe(99)
    release()
    await upgraded
    expect(await call(pid, { type: 'get' })).toEqual({ count: 100, last: 100, outOfOrder: 0, v2: 99 })
  })

  it('keeps the old code and state serving when codeChange throws, and gives the caller the error', async () => {
    fresh()
    const pid = await start(v1, undefined, { node })
    cast(pid, { type: 'tick', seq: 1 })
    const broken = defineServer<Seq>({ ...v2, version: '3', codeChange: () => { throw new Error('bad migration') } })
    const err = await upgrade(pid, broken).catch((e: unknown) => e) as { name: string, cause: Error, fromVersion: string }
    expect(err.name).toBe('CodeChangeError')
    expect(err.cause.message).toBe('bad migration')
    expect(err.fromVersion).toBe('1')
    cast(pid, { type: 'tick', seq: 2 })
    expect(await call(pid, { type: 'get' })).toEqual({ count: 2, last: 2, outOfOrder: 0 })
    expect(processInfo(pid)?.version).toBe('1')
  })

  it('refuses something that is not a behaviour before the server is touched', async () => {
    fresh()
    const pid = await start(v1, undefined, { node })
    const handled = processInfo(pid)?.messagesHandled
    await expect(upgrade(pid, { version: '9' } as never)).rejects.toMatchObject({ name: 'InvalidBehaviourError', field: 'init' })
    expect(processInfo(pid)?.messagesHandled).toBe(handled)
    expect(processInfo(pid)?.messageQueueLength).toBe(0)
  })

  it('upgrades every server of one behaviour on a node at once, and no other', async () => {
    fresh()
    const pids = await Promise.all([1, 2, 3].map(async () => await start(v1, undefined, { node })))
    const other = await start(defineServer<Seq>({ ...v1, name: 'other' }), undefined, { node })
    const results = await upgradeAll('seq', v2, { node })
    expect(results).toHaveLength(3)
    expect(results.every(r => r.result?.to === '2')).toBe(true)
    for (const pid of pids) expect(processInfo(pid)?.version).toBe('2')
    expect(processInfo(other)?.version).toBe('1')
  })

  it('loads a new version from a module file at run time, fresh each time the file changes', async () => {
    fresh()
    const dir = mkdtempSync(join(tmpdir(), 'gen-cluster-upgrade-'))
    try {
      const file = join(dir, 'seq.mjs')
      const source = (version: string, step: number): string => `
        export default {
          name: 'seq', version: '${version}',
          init: () => ({ state: { count: 0, last: 0, outOfOrder: 0 } }),
          codeChange: (_old, s) => ({ ...s, step: ${step} }),
          handleCall: { get: (_r, _f, s) => ({ reply: s, state: s }) },
          handleCast: { tick: (m, s) => ({ state: { ...s, count: s.count + ${step}, last: m.seq } }) }
        }`
      const pid = await start(v1, undefined, { node })
      writeFileSync(file, source('2', 10))
      await upgrade(pid, await loadBehaviour<Seq>(file))
      cast(pid, { type: 'tick', seq: 1 })
      expect(await getState(pid)).toMatchObject({ count: 10, step: 10 })
      writeFileSync(file, source('3', 100))
      expect(await upgrade(pid, await loadBehaviour<Seq>(file))).toEqual({ from: '2', to: '3' })
      cast(pid, { type: 'tick', seq: 2 })
      expect(await getState(pid)).toMatchObject({ count: 110, step: 100 })
      await expect(loadBehaviour(file, 'missing')).rejects.toMatchObject({ name: 'InvalidBehaviourError' })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
