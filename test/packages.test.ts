/**
 * What a user installs: each publishable package packed as for publishing (`pnpm pack`) and checked
 * in its tarball: only what a user runs (no compiled tests, benches, simulation or soak), README and
 * LICENSE, the metadata, real versions in place of `workspace:*`, an executable `gen-cluster` bin,
 * every `exports` target present, and every source map's `sources` inside the tarball. Then: a
 * CommonJS `require` gets a clear message, and on a Node.js older than 22 every entry fails at import
 * with one line (skipped, saying so, when no such Node is on the PATH).
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, posix, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PACKAGES, packAll, ROOT } from './pack-kit.js'
import type { PackageName } from './pack-kit.js'

const ALLOWED = /^(dist\/src\/|src\/|package\.json$|README\.md$|LICENSE$|esm-only\.cjs$)/
type Name = PackageName

let work: string
const unpacked = new Map<Name, string>()
let tarballs = new Map<Name, string>()

/** Every file under `dir`, as paths relative to it with `/`. */
function filesUnder (dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap(e =>
    e.isDirectory() ? filesUnder(dir, posix.join(prefix, e.name)) : [posix.join(prefix, e.name)])
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'gen-cluster-pack-'))
  tarballs = packAll(work)
  for (const [name, tgz] of tarballs) {
    const dest = join(work, name, 'unpacked')
    mkdirSync(dest, { recursive: true })
    execFileSync('tar', ['-xzf', tgz, '-C', dest])
    unpacked.set(name, join(dest, 'package'))
  }
}, 120_000)
afterAll(() => { if (work !== undefined) rmSync(work, { recursive: true, force: true }) })

const manifest = (name: Name): Record<string, any> => JSON.parse(readFileSync(join(unpacked.get(name) as string, 'package.json'), 'utf8'))

describe.each(PACKAGES)('the packed @gen-cluster/%s', (name) => {
  it('ships only what a user runs, with its README and LICENSE', () => {
    const files = filesUnder(unpacked.get(name) as string)
    expect(files.filter(f => !ALLOWED.test(f))).toEqual([])
    expect(files.filter(f => /^dist\/(test|bench|sim|soak)\/|tsbuildinfo|\.test(-d)?\.[jt]s$/.test(f))).toEqual([])
    expect(files).toEqual(expect.arrayContaining(['README.md', 'LICENSE', 'package.json', 'esm-only.cjs', 'dist/src/index.js', 'dist/src/index.d.ts']))
    expect(readFileSync(join(unpacked.get(name) as string, 'LICENSE'), 'utf8')).toBe(readFileSync(join(ROOT, 'LICENSE'), 'utf8'))
    const size = statSync(tarballs.get(name) as string).size
    process.stdout.write(`figure: @gen-cluster/${name} tarball ${size} bytes, ${files.length} files\n`)
    expect(size).toBeLessThan(400_000)
  })

  it('says what it is, where it comes from, and on which Node it runs; workspace:* became real versions', () => {
    const m = manifest(name)
    expect(m).toMatchObject({
      name: `@gen-cluster/${name}`,
      license: 'MIT',
      type: 'module',
      engines: { node: '>=22' },
      repository: { type: 'git', url: expect.stringContaining('github.com/gen-cluster/gen-cluster'), directory: `packages/${name}` }
    })
    expect(m.private).toBeUndefined()
    expect(m.keywords.length).toBeGreaterThan(3)
    expect(JSON.stringify(m)).not.toContain('workspace:')
    for (const [dep, version] of Object.entries(m.dependencies ?? {})) {
      if (dep.startsWith('@gen-cluster/')) expect(version, dep).toBe(m.version)
    }
    expect(Object.keys(m.dependencies ?? {})).not.toContain('@gen-cluster/examples')
  })

  it('has every exports target in the tarball, and a require condition for CommonJS', () => {
    const exp = manifest(name).exports as Record<string, Record<string, string>>
    for (const [subpath, conditions] of Object.entries(exp)) {
      expect(Object.keys(conditions), subpath).toEqual(['types', 'import', 'require'])
      for (const target of Object.values(conditions)) expect(existsSync(join(unpacked.get(name) as string, target)), `${subpath} → ${target}`).toBe(true)
    }
  })

  it('has source maps whose every source is in the tarball', () => {
    const dir = unpacked.get(name) as string
    const maps = filesUnder(dir).filter(f => f.endsWith('.map'))
    expect(maps.length).toBeGreaterThan(0)
    const missing: string[] = []
    for (const map of maps) {
      const m = JSON.parse(readFileSync(join(dir, map), 'utf8')) as { sources: string[], sourceRoot?: string }
      for (const source of m.sources) {
        const file = resolve(dir, dirname(map), m.sourceRoot ?? '', source)
        if (!file.startsWith(dir + '/') || !existsSync(file)) missing.push(`${map} → ${source}`)
      }
    }
    expect(missing).toEqual([])
  })

  it('tells a CommonJS require() that it is ESM-only, and to import it', () => {
    const app = join(work, `require-${name}`)
    mkdirSync(join(app, 'node_modules', '@gen-cluster'), { recursive: true })
    symlinkSync(unpacked.get(name) as string, join(app, 'node_modules', '@gen-cluster', name))
    const r = spawnSync(process.execPath, ['-e', `require('@gen-cluster/${name}')`], { cwd: app, encoding: 'utf8' })
    expect(r.status).not.toBe(0)
    expect(r.stderr).toContain(`EsmOnlyError: @gen-cluster/${name} is an ES module only: use \`import { ... } from '@gen-cluster/${name}'\`, or from CommonJS \`await import('@gen-cluster/${name}')\``)
  })
})

describe('the packed @gen-cluster/cli', () => {
  it('has an executable gen-cluster bin with a shebang', () => {
    const m = manifest('cli')
    expect(m.bin).toEqual({ 'gen-cluster': 'dist/src/main.js' })
    const bin = join(unpacked.get('cli') as string, m.bin['gen-cluster'])
    expect(readFileSync(bin, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node')
    expect(statSync(bin).mode & 0o111).toBe(0o111)
  })
})

/** A Node.js older than 22 on the PATH or in /usr/bin, /usr/local/bin (e.g. the system's), if any. */
function oldNode (): { path: string, version: string } | undefined {
  for (const dir of [...(process.env.PATH ?? '').split(':'), '/usr/bin', '/usr/local/bin']) {
    const path = join(dir, 'node')
    if (dir === '' || !existsSync(path)) continue
    const version = spawnSync(path, ['--version'], { encoding: 'utf8' }).stdout?.trim() ?? ''
    if (/^v\d+\./.test(version) && Number(version.slice(1).split('.')[0]) < 22) return { path, version }
  }
  return undefined
}

describe('on a Node.js older than 22', () => {
  const old = oldNode()
  if (old === undefined) process.stdout.write('figure: no Node.js older than 22 found on this machine: the old-Node checks are skipped\n')
  const entries = ['packages/core/dist/src/index.js', 'packages/core/dist/src/testing/index.js', 'packages/cluster/dist/src/index.js', 'packages/cli/dist/src/index.js']

  it.skipIf(old === undefined).each(entries)('fails at the import of %s with one clear error (the whole module graph links)', (entry) => {
    const { path, version } = old as { path: string, version: string }
    const url = pathToFileURL(join(ROOT, entry)).href
    const r = spawnSync(path, ['--input-type=module', '-e', `await import(${JSON.stringify(url)})`], { encoding: 'utf8' })
    expect(r.status).toBe(1)
    expect(r.stderr).toContain(`UnsupportedNodeError: gen-cluster needs Node ≥ 22 (this is ${version})`)
  })

  it.skipIf(old === undefined)('the gen-cluster command prints that one line and exits 1', () => {
    const { path, version } = old as { path: string, version: string }
    const r = spawnSync(path, [join(ROOT, 'packages/cli/dist/src/main.js'), 'start', '--name', 'a'], { encoding: 'utf8' })
    expect(r).toMatchObject({ status: 1, stdout: '', stderr: `gen-cluster needs Node ≥ 22 (this is ${version})\n` })
  })
})
