/**
 * The packages as a user gets them: `pnpm pack` of each publishable package (as for publishing), and
 * an npm app outside the workspace with the tarballs installed, so none of the workspace's settings,
 * links or patches apply.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('..', import.meta.url))
export const PACKAGES = ['core', 'cluster', 'cli'] as const
export type PackageName = typeof PACKAGES[number]

/** pnpm as this run was started (pnpm test), else the project's pinned pnpm through npx. */
export function pnpm (args: string[], cwd: string): void {
  const viaPnpm = process.env.npm_execpath !== undefined && /pnpm/.test(process.env.npm_execpath)
  if (viaPnpm) execFileSync(process.execPath, [process.env.npm_execpath as string, ...args], { cwd, stdio: 'ignore' })
  else execFileSync('npx', ['--yes', 'pnpm@10.34.9', ...args], { cwd, stdio: 'ignore' })
}

/** Packs each publishable package into `<dir>/<name>/`; returns each tarball's path. */
export function packAll (dir: string): Map<PackageName, string> {
  const tarballs = new Map<PackageName, string>()
  for (const name of PACKAGES) {
    const dest = join(dir, name)
    mkdirSync(dest, { recursive: true })
    pnpm(['pack', '--pack-destination', dest], join(ROOT, 'packages', name))
    const tgz = readdirSync(dest).find(f => f.endsWith('.tgz'))
    if (tgz === undefined) throw new Error(`pnpm pack made no tarball for ${name}`)
    tarballs.set(name, join(dest, tgz))
  }
  return tarballs
}

/**
 * A new npm app in the temp directory (outside the workspace) with `specs` installed by npm:
 * tarball paths and registry packages (`typescript@5.9.3`). npm runs under this process's Node.
 */
export function npmApp (specs: string[], prefix = 'gen-cluster-consumer-'): string {
  const app = mkdtempSync(join(tmpdir(), prefix))
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }, null, 2))
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...specs], { cwd: app, stdio: ['ignore', 'ignore', 'pipe'], timeout: 240_000 })
  return app
}
