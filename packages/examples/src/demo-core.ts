/**
 * `pnpm demo` (for now): the core runtime on one node, narrated. A kitty server takes orders and
 * returns, a watcher monitors it, a linked worker crashes and a trapping process sees the exit as a
 * message, a supervisor restarts a killed kitty server, and the server stops cleanly, freeing its cats.
 */
import { call, cast, exit, link, monitor, processInfo, spawn, start, startLink, startSupervisor, stop, trapExit, whichChildren } from '@gen-cluster/core'
import type { DownMessage, ExitMessage, Pid } from '@gen-cluster/core'
import { kitty } from './kitty.js'

const say = (line: string): void => { process.stdout.write(`${line}\n`) }
const t0 = performance.now()

const shop = await start(kitty, { onFree: (cats) => { say(`  terminate: ${cats.length} cat(s) set free: ${cats.map(c => c.name).join(', ')}`) } }, { name: 'kitty' })
say(`kitty server started as ${shop.toString()}`)

const carl = await call(shop, { type: 'order', name: 'Carl', color: 'brown', description: 'loves to burn bridges' })
say(`order (sync call) -> ${carl.name}, ${carl.color}`)
cast(shop, { type: 'return', cat: carl })
cast(shop, { type: 'return', cat: { name: 'Jimmy', color: 'orange', description: 'cuddly' } })
say(`return x2 (async casts); cats in stock: ${await call(shop, { type: 'count' })}`)
const again = await call(shop, { type: 'order', name: 'Whoever', color: 'brown', description: '' })
say(`order a brown cat again -> ${again.name} (from stock)`)

const down = new Promise<DownMessage>(resolve => {
  spawn(async ({ receive }) => {
    monitor(shop)
    resolve(await receive<DownMessage>())
  })
})

const exits = new Promise<ExitMessage>(resolve => {
  spawn(async ({ receive }) => {
    trapExit(true)
    const worker = spawn(async ({ receive: next }) => {
      await next()
      throw new Error('worker gave up')
    })
    link(worker)
    setImmediate(() => { exit(worker, { shutdown: 'asked' }) })
    resolve(await receive<ExitMessage>())
  })
})
const e = await exits
say(`a trapping process got ${e.type} from ${e.from.toString()} with reason ${JSON.stringify(e.reason)}`)

const info = processInfo(shop)
say(`processInfo(kitty): status=${info?.status} handled=${info?.messagesHandled} behaviour=${info?.behaviour}@${info?.version}`)

const sup = await startSupervisor({
  strategy: 'one_for_one',
  children: [{ id: 'kitty2', start: async () => await startLink(kitty, {}, { name: 'kitty2' }) }]
})
const [before] = await whichChildren(sup)
exit(before?.pid as Pid, 'kill')
const restartedAt = performance.now()
let after = before
while (after?.pid === before?.pid || after?.pid === 'restarting') [after] = await whichChildren(sup)
say(`supervisor: killed ${String(before?.pid)}, restarted as ${String(after?.pid)} in ${((performance.now() - restartedAt) * 1000).toFixed(0)} µs`)
await stop(sup, 'shutdown')

await stop(shop, 'shutdown')
const d = await down
say(`the watcher got DOWN for ${(d.pid as Pid).toString()} with reason ${String(d.reason)}`)
say(`done in ${(performance.now() - t0).toFixed(1)} ms`)
