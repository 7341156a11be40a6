/**
 * `pnpm bench:installed`: is an app that installs the published packages as fast as this workspace?
 * Packs `@gen-cluster/core` and `@gen-cluster/cluster` (`pnpm pack`, as for publishing), installs the
 * tarballs with `npm install` into a fresh app in the temp directory (outside the workspace, so none
 * of the workspace's settings apply), and runs the remote-call loop (`remote-call.ts`) alternately
 * in the workspace, in that app, and in every `--site NAME=DIR` (a directory in which
 * `@gen-cluster/cluster` resolves, e.g. another checkout's `packages/cluster`), `--rounds` times each.
 * Alternating spreads the noise of a shared machine over every site alike.
 *
 *   tarball.<package>: size of the packed tarball, bytes
 *   remote_call_int.<site>: median over the rounds, µs per sequential remote call (and .min, .max)
 *   remote_call_int_cpu.<site>: median over the rounds, CPU µs of both processes per call (and .min, .max)
 *   ratio.<site>/workspace, ratio_cpu.<site>/workspace: those medians over the workspace's
 *
 * Needs the npm registry (for the packages' dependencies). Run through pnpm (`pnpm bench:installed
 * --rounds 5 --site before=../main/packages/cluster`; pnpm passes a `--` on, which this refuses), which it uses to pack. `--keep` keeps the app.
 */
import { execFileSync, spawn } from 'node:child_process'
import { copyFileSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const { values: opts } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    site: { type: 'string', multiple: true, default: [] },
    calls: { type: 'string', default: '3000' },
    keep: { type: 'boolean', default: false }
  }
})

const here = fileURLToPath(new URL('.', import.meta.url))
const loop = join(here, 'remote-call.js')
const packagesDir = resolve(here, '../../..')
const LOOP_FILE = 'gen-cluster-remote-call.bench.js'

function pnpm (args: string[], cwd: string): void {
  const execPath = process.env.npm_execpath
  if (execPath === undefined || !/pnpm/.test(execPath)) throw new Error('run this through pnpm (pnpm bench:installed), which it uses to pack the packages')
  execFileSync(process.execPath, [execPath, ...args], { cwd, stdio: ['ignore', 'ignore', 'inherit'] })
}

/** Packs the two packages into `dir`; returns each one's tarball by package name. */
function pack (dir: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const p of ['core', 'cluster']) {
    const before = new Set(readdirSync(dir))
    pnpm(['pack', '--pack-destination', dir], join(packagesDir, p))
    const made = readdirSync(dir).find(f => f.endsWith('.tgz') && !before.has(f))
    if (made === undefined) throw new Error(`pnpm pack made no tarball for ${p}`)
    out.set(`@gen-cluster/${p}`, join(dir, made))
  }
  return out
}

/** A new app in the temp directory with the tarballs installed by npm. */
function install (tarballs: string[]): string {
  const app = mkdtempSync(join(tmpdir(), 'gen-cluster-consumer-'))
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }))
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs], { cwd: app, stdio: ['ignore', 'ignore', 'inherit'] })
  return app
}

interface LoopFigures { wall: number, cpu: number }

async function runLoop (file: string): Promise<LoopFigures> {
  const child = spawn(process.execPath, [file, '--json', '--calls', opts.calls], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout.on('data', (d: Buffer) => { out += d.toString() })
  const code = await new Promise<number | null>(resolve => child.once('exit', resolve))
  if (code !== 0) throw new Error(`${file} exited with ${code}`)
  const figures = JSON.parse(out.trim().split('\n').at(-1) as string) as Record<'remote_call_int' | 'remote_call_int_cpu', { value: number }>
  return { wall: figures.remote_call_int.value, cpu: figures.remote_call_int_cpu.value }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number

async function main (): Promise<void> {
  const packed = mkdtempSync(join(tmpdir(), 'gen-cluster-packed-'))
  const copies: string[] = []
  let app: string | undefined
  try {
    const tarballs = pack(packed)
    for (const [name, t] of tarballs) process.stdout.write(`tarball.${name}: ${statSync(t).size} bytes\n`)
    app = install([...tarballs.values()])
    const sites: Array<[string, string]> = [['workspace', loop], ['installed', join(app, LOOP_FILE)]]
    for (const s of opts.site) {
      const [name, dir] = s.split('=') as [string, string | undefined]
      if (dir === undefined) throw new Error(`--site ${s}: give NAME=DIR`)
      sites.push([name, join(resolve(dir), LOOP_FILE)])
    }
    for (const [name, file] of sites) {
      if (name === 'workspace') continue
      copyFileSync(loop, file)
      copies.push(file)
    }
    const results = new Map<string, LoopFigures[]>(sites.map(([name]) => [name, []]))
    for (let r = 0; r < Number(opts.rounds); r++) {
      for (const [name, file] of sites) results.get(name)?.push(await runLoop(file))
    }
    for (const figure of ['wall', 'cpu'] as const) {
      const label = figure === 'wall' ? 'remote_call_int' : 'remote_call_int_cpu'
      const of = (name: string): number[] => (results.get(name) as LoopFigures[]).map(f => f[figure])
      const base = median(of('workspace'))
      for (const [name] of sites) {
        const all = of(name)
        process.stdout.write(`${label}.${name}: ${median(all).toFixed(1)} us/op\n`)
        process.stdout.write(`${label}.${name}.min: ${Math.min(...all).toFixed(1)} us/op\n`)
        process.stdout.write(`${label}.${name}.max: ${Math.max(...all).toFixed(1)} us/op\n`)
        if (name !== 'workspace') process.stdout.write(`${figure === 'wall' ? 'ratio' : 'ratio_cpu'}.${name}/workspace: ${(median(all) / base).toFixed(3)} x\n`)
      }
    }
  } finally {
    for (const f of copies) rmSync(f, { force: true })
    rmSync(packed, { recursive: true, force: true })
    if (app !== undefined) {
      if (opts.keep) process.stdout.write(`app kept in ${app}\n`)
      else rmSync(app, { recursive: true, force: true })
    }
  }
}

await main()
