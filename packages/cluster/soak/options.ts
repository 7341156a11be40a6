/**
 * The soak's command line: `pnpm soak [--seconds 60] [--nodes 5] [--kill-every 10] …`, every option
 * with its default from issue 7 (5 nodes, 60 s, a node killed every 10 s, ≥ 50,000 msgs/s).
 */
export interface SoakOptions {
  /** Seconds of load. @default 60 */
  seconds: number
  /** Node processes. @default 5 */
  nodes: number
  /** Seconds between two kills (0: none). @default 10 */
  killEvery: number
  /** Casts per second each node sends. @default 12000 */
  castRate: number
  /** Concurrent call loops per node. @default 24 */
  callers: number
  /** Cast-sending processes per node. @default 4 */
  casters: number
  /** Register / unregister loops per node. @default 2 */
  registrars: number
  /** Sink servers per node. @default 2 */
  sinks: number
  /** Call timeout, ms. @default 3000 */
  callTimeout: number
  /** A call still outstanding this long after its timeout is a lost reply, ms. @default 1000 */
  margin: number
  /** The throughput to reach, operations per second over the cluster. @default 50000 */
  target: number
}

export const defaults: SoakOptions = {
  seconds: 60,
  nodes: 5,
  killEvery: 10,
  castRate: 12000,
  callers: 24,
  casters: 4,
  registrars: 2,
  sinks: 2,
  callTimeout: 3000,
  margin: 1000,
  target: 50_000
}

const limits: Record<keyof SoakOptions, [number, number]> = {
  seconds: [1, 3600],
  nodes: [2, 12],
  killEvery: [0, 3600],
  castRate: [0, 1_000_000],
  callers: [0, 1000],
  casters: [0, 64],
  registrars: [0, 64],
  sinks: [1, 64],
  callTimeout: [100, 60_000],
  margin: [0, 60_000],
  target: [0, 10_000_000]
}

/** Parses `--kebab-case value` pairs; an unknown option or a value out of range throws, saying the rule. */
export function parseOptions (argv: readonly string[]): SoakOptions {
  const o = { ...defaults }
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i] ?? ''
    const key = flag.replace(/^--/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()) as keyof SoakOptions
    const range = limits[key]
    if (!flag.startsWith('--') || range === undefined) {
      throw new Error(`unknown option ${JSON.stringify(flag)}; options: ${Object.keys(defaults).map(k => '--' + k.replace(/[A-Z]/g, c => '-' + c.toLowerCase())).join(' ')}`)
    }
    const value = Number(argv[i + 1])
    if (!Number.isInteger(value) || value < range[0] || value > range[1]) {
      throw new Error(`${flag} must be an integer from ${range[0]} to ${range[1]}, got ${JSON.stringify(argv[i + 1])}`)
    }
    o[key] = value
  }
  return o
}
