/**
 * The kitty server across nodes: it runs on node `shop` under the global name `kitty`, and customers
 * on nodes `b` and `c` order cats (a call), return cats (a cast) and send audits (an info), all
 * through `{ global: 'kitty' }`, over TCP. Halfway through, the shop upgrades the running server to
 * version 2 (`upgrade`, its `codeChange` keeps the stock) while the orders keep coming. Every order is
 * answered, and the stock adds up: cats returned − cats sold from stock = cats left = cats freed
 * when the server terminates.
 *
 * Run: `pnpm --filter @gen-cluster/examples kitty-cluster` (after `pnpm build`).
 */
import { fileURLToPath } from 'node:url'
import { call, cast, processInfo, send, spawn, start, stop, upgrade } from '@gen-cluster/core'
import type { GlobalName, Pid, Typed } from '@gen-cluster/core'
import type { ClusterNode } from '@gen-cluster/cluster'
import { kitty } from './kitty.js'
import type { Cat, Kitty } from './kitty.js'
import { kittyV2 } from './kitty-v2.js'
import { startLoopback, until } from './loopback.js'

/** The kitty server, by its global name, from any node. */
const KITTY = { global: 'kitty' } as GlobalName & Typed<Kitty>

export interface KittyClusterReport {
  /** Orders sent by the customers, and orders answered. */
  readonly ordered: number
  readonly answered: number
  /** Orders answered with a cat from stock (someone's returned cat). */
  readonly fromStock: number
  readonly returned: number
  /** Orders version 2 served after the upgrade, and audits it heard. */
  readonly servedByV2: number
  readonly auditsByV2: number
  /** The server's version before and after. */
  readonly versions: [string | undefined, string | undefined]
  /** Cats in stock at the end, and the cats `terminate` freed. */
  readonly left: number
  readonly freed: number
}

interface Tally { ordered: number, answered: number, fromStock: number, returned: number }

/** A customer on `node`: `orders` orders, a return every other order, an audit every tenth. */
function customer (node: ClusterNode, orders: number, tally: Tally): Promise<void> {
  const colors = ['black', 'white', 'ginger']
  return new Promise((resolve, reject) => {
    spawn(async () => {
      try {
        const who = node.name.split('@')[0] as string
        for (let i = 0; i < orders; i++) {
          const color = colors[i % colors.length] as string
          tally.ordered++
          const cat = await call(KITTY, { type: 'order', name: `${who}-${i}`, color, description: 'ordered' }, 5000) as Cat
          tally.answered++
          if (cat.name !== `${who}-${i}`) tally.fromStock++
          if (i % 2 === 0) {
            cast(KITTY, { type: 'return', cat: { name: `back-${who}-${i}`, color: colors[(i + 1) % colors.length] as string, description: 'returned' } })
            tally.returned++
          }
          if (i % 10 === 0) send(KITTY, { type: 'audit' })
        }
        // One cat nobody orders (a colour no customer asks for), so some stock is left to free.
        cast(KITTY, { type: 'return', cat: { name: `stray-${who}`, color: 'calico', description: 'returned' } })
        tally.returned++
        // A call after the last cast: the server has handled every cast by the time it answers.
        await call(KITTY, { type: 'count' }, 5000)
        resolve()
      } catch (err) {
        reject(err as Error)
      }
    }, { node: node.core })
  })
}

/** Runs the scenario with `orders` orders per customer node; `log` narrates. */
export async function runKittyCluster (opts: { orders?: number, log?: (line: string) => void } = {}): Promise<KittyClusterReport> {
  const orders = opts.orders ?? 200
  const log = opts.log ?? (() => {})
  const cluster = await startLoopback(['shop', 'b', 'c'])
  try {
    const [shop, ...customers] = cluster.nodes as [ClusterNode, ...ClusterNode[]]
    log(`nodes up over TCP: ${cluster.nodes.map(n => `${n.name} ${n.addresses[0] ?? ''}`).join(', ')}`)
    let freed: Cat[] = []
    const pid = await start(kitty, { onFree: (cats) => { freed = cats } }, { node: shop.core, name: { global: 'kitty' } })
    await until(() => cluster.nodes.every(n => n.core.globalRegistry?.whereisName('kitty')?.key === pid.key), 'kitty not registered everywhere')
    const before = processInfo(pid)?.version
    log(`kitty v${before} runs as ${pid.toString()} on ${shop.name}, registered globally as 'kitty'`)

    const tally: Tally = { ordered: 0, answered: 0, fromStock: 0, returned: 0 }
    const shopping = Promise.all(customers.map(async n => { await customer(n, orders, tally) }))
    await until(() => tally.answered >= orders * customers.length / 2, 'half of the orders answered')
    log(`${tally.answered} orders answered so far; upgrading kitty to v2 while orders flow`)
    const result = await upgrade(pid, kittyV2)
    log(`upgraded ${result.from} → ${result.to} after ${tally.answered} answered orders`)
    await shopping
    const stats = await call(pid as Pid, { type: 'stats' }) as { served: number, audits: number }
    const left = await call(pid, { type: 'count' })
    const after = processInfo(pid)?.version
    log(`customers done: ${tally.answered}/${tally.ordered} orders answered, ${tally.fromStock} from stock, ${tally.returned} cats returned`)
    log(`v2 served ${stats.served} orders and heard ${stats.audits} audits; ${left} cats left in stock`)
    await stop(pid, 'shutdown')
    log(`kitty terminated and freed ${freed.length} cats`)
    return { ...tally, servedByV2: stats.served, auditsByV2: stats.audits, versions: [before, after], left, freed: freed.length }
  } finally {
    await cluster.stop()
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const r = await runKittyCluster({ log: line => { process.stdout.write(`${line}\n`) } })
  const ok = r.answered === r.ordered && r.returned - r.fromStock === r.left && r.left === r.freed && r.versions[1] === '2'
  process.stdout.write(ok ? 'no order lost, the stock adds up\n' : 'MISMATCH\n')
  process.exit(ok ? 0 : 1)
}
