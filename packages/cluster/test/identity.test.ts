import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { generateKeyPair, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { preSharedKey } from '@libp2p/pnet'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  clusterHome, loadClusterSecret, loadOrCreateNodeKey, MAX_CREATION, nextCreation, normalizeNodeName, parseAddress
} from '../src/identity.js'

let home: string
beforeEach(async () => { home = await mkdtemp(join(tmpdir(), 'gen-cluster-identity-')) })
afterEach(async () => { await rm(home, { recursive: true, force: true }) })

const HEX = 'a1'.repeat(32)
const PASSPHRASE = 'correct horse battery staple'
const noEnv = {}

async function modeOf (path: string): Promise<number> {
  return (await stat(path)).mode & 0o777
}

/** Runs `fn` and returns what it threw (failing the test if it did not throw). */
async function thrown (fn: () => unknown): Promise<Error & { option?: string, path?: string }> {
  try {
    await fn()
  } catch (err) {
    return err as Error
  }
  throw new Error('expected an error')
}

/** Decodes a psk the way @libp2p/pnet does: building the protector runs its decodeV1PSK. */
function pnetAccepts (psk: Uint8Array): boolean {
  preSharedKey({ psk })()
  return true
}

function keyOf (psk: Uint8Array): string {
  return new TextDecoder().decode(psk).split('\n')[2] ?? ''
}

describe('cluster home', () => {
  it('prefers the option, then $GEN_CLUSTER_HOME, then ~/.gen-cluster', () => {
    expect(clusterHome('/x/y', { GEN_CLUSTER_HOME: '/env/home' })).toBe('/x/y')
    expect(clusterHome(undefined, { GEN_CLUSTER_HOME: '/env/home' })).toBe('/env/home')
    expect(clusterHome(undefined, {})).toMatch(/\.gen-cluster$/)
  })
})

describe('node names', () => {
  it('appends the host name to a bare name and keeps a full one', () => {
    expect(normalizeNodeName('a', 'box.example')).toBe('a@box.example')
    expect(normalizeNodeName('a')).toMatch(/^a@[A-Za-z0-9_.-]+$/)
    expect(normalizeNodeName('web-1_x@10.0.0.7')).toBe('web-1_x@10.0.0.7')
  })

  it('refuses names outside name@host with InvalidOptionError naming option name', async () => {
    for (const bad of ['', 'a@', '@host', 'a@b@c', 'a b@host', 'a@ho/st', '../x', 'é@host', 'a'.repeat(300)]) {
      const err = await thrown(() => normalizeNodeName(bad, 'host'))
      expect(err.name, bad).toBe('InvalidOptionError')
      expect(err.option).toBe('name')
    }
  })
})

describe('node key', () => {
  it('creates the key file with mode 0600 and keeps the peer id across loads', async () => {
    const first = await loadOrCreateNodeKey(home, 'a@host')
    const path = join(home, 'nodes', 'a@host', 'key')
    expect(await modeOf(path)).toBe(0o600)
    expect(first.type).toBe('Ed25519')
    const second = await loadOrCreateNodeKey(home, 'a@host')
    expect(peerIdFromPrivateKey(second).equals(peerIdFromPrivateKey(first))).toBe(true)
  })

  it('gives different node names different peer ids', async () => {
    const a = peerIdFromPrivateKey(await loadOrCreateNodeKey(home, 'a@host'))
    const b = peerIdFromPrivateKey(await loadOrCreateNodeKey(home, 'b@host'))
    expect(a.equals(b)).toBe(false)
  })

  it('settles on one key when the same node starts twice at once', async () => {
    const keys = await Promise.all(Array.from({ length: 8 }, async () => await loadOrCreateNodeKey(home, 'a@host')))
    const ids = new Set(keys.map(k => peerIdFromPrivateKey(k).toString()))
    expect(ids.size).toBe(1)
  })

  it('loads a key someone put in place', async () => {
    const key = await generateKeyPair('Ed25519')
    await mkdir(join(home, 'nodes', 'a@host'), { recursive: true })
    await writeFile(join(home, 'nodes', 'a@host', 'key'), privateKeyToProtobuf(key), { mode: 0o600 })
    expect((await loadOrCreateNodeKey(home, 'a@host')).equals(key)).toBe(true)
  })

  it('refuses a malformed or group-readable key file with NodeKeyError', async () => {
    const path = join(home, 'nodes', 'a@host', 'key')
    await mkdir(join(home, 'nodes', 'a@host'), { recursive: true })
    await writeFile(path, 'not a key', { mode: 0o600 })
    expect((await thrown(() => loadOrCreateNodeKey(home, 'a@host'))).name).toBe('NodeKeyError')
    await loadOrCreateNodeKey(home, 'b@host')
    await chmod(join(home, 'nodes', 'b@host', 'key'), 0o640)
    const err = await thrown(() => loadOrCreateNodeKey(home, 'b@host'))
    expect(err.name).toBe('NodeKeyError')
    expect(err.path).toBe(join(home, 'nodes', 'b@host', 'key'))
  })
})

describe('an unusable home', () => {
  it('fails with the typed error of the file it could not make', async () => {
    const notADir = join(home, 'plain-file')
    await writeFile(notADir, '')
    expect((await thrown(() => loadClusterSecret({ home: notADir, env: noEnv }))).name).toBe('SecretFileError')
    expect((await thrown(() => loadOrCreateNodeKey(notADir, 'a@host'))).name).toBe('NodeKeyError')
    expect((await thrown(() => nextCreation(notADir, 'a@host'))).name).toBe('CreationFileError')
  })
})

describe('creation numbers', () => {
  it('start at 1 and strictly increase across 50 quick starts', async () => {
    const seen: number[] = []
    for (let i = 0; i < 50; i++) seen.push(await nextCreation(home, 'a@host'))
    expect(seen[0]).toBe(1)
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThan(seen[i - 1] ?? Infinity)
    expect(await readFile(join(home, 'nodes', 'a@host', 'creation'), 'utf8')).toBe('50\n')
  })

  it('are all distinct when starts of one node overlap', async () => {
    const all = await Promise.all(Array.from({ length: 50 }, async () => await nextCreation(home, 'a@host')))
    expect(new Set(all).size).toBe(50)
    expect(Math.max(...all)).toBe(50)
  })

  it('are all distinct when several processes start the same node at once', async () => {
    // the built module (the test script runs tsc -b first), so the children need no TypeScript loader
    const moduleUrl = new URL('../dist/src/identity.js', import.meta.url).href
    const script = `const { nextCreation } = await import(${JSON.stringify(moduleUrl)})
      const out = []
      for (let i = 0; i < 10; i++) out.push(await nextCreation(process.argv[1], 'a@host'))
      console.log(JSON.stringify(out))`
    const run = async (): Promise<number[]> => {
      const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script, home])
      return JSON.parse(stdout) as number[]
    }
    const all = (await Promise.all([run(), run(), run(), run()])).flat()
    expect(all.sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1))
  })

  it('are counted per node name', async () => {
    await nextCreation(home, 'a@host')
    await nextCreation(home, 'a@host')
    expect(await nextCreation(home, 'b@host')).toBe(1)
  })

  it('wrap from 2^31-1 to 1 and leave no temp or lock files', async () => {
    const dir = join(home, 'nodes', 'a@host')
    await mkdir(dir, { recursive: true })
    await writeFile(join(dir, 'creation'), `${MAX_CREATION - 1}\n`)
    expect(await nextCreation(home, 'a@host')).toBe(MAX_CREATION)
    expect(await nextCreation(home, 'a@host')).toBe(1)
    expect((await readdir(dir)).sort()).toEqual(['creation'])
  })

  it('refuse a corrupt counter file with CreationFileError', async () => {
    const dir = join(home, 'nodes', 'a@host')
    await mkdir(dir, { recursive: true })
    await writeFile(join(dir, 'creation'), 'garbage')
    expect((await thrown(() => nextCreation(home, 'a@host'))).name).toBe('CreationFileError')
  })
})

describe('cluster secret', () => {
  it('is created at <home>/secret with mode 0600 on first use and reused after', async () => {
    const first = await loadClusterSecret({ home, env: noEnv })
    expect(first.source).toBe('created')
    expect(first.path).toBe(join(home, 'secret'))
    expect(await modeOf(join(home, 'secret'))).toBe(0o600)
    expect(first.psk.byteLength).toBe(95)
    expect(pnetAccepts(first.psk)).toBe(true)
    const second = await loadClusterSecret({ home, env: noEnv })
    expect(second.source).toBe('file')
    expect(second.psk).toEqual(first.psk)
  })

  it('is the same for nodes that start at once on a fresh home', async () => {
    const all = await Promise.all(Array.from({ length: 8 }, async () => await loadClusterSecret({ home, env: noEnv })))
    expect(all.filter(s => s.source === 'created')).toHaveLength(1)
    expect(new Set(all.map(s => keyOf(s.psk))).size).toBe(1)
  })

  it('takes the option over the env var, the env var over a file, a file over the default', async () => {
    const file = join(home, 'copied-secret')
    await writeFile(file, `${'c3'.repeat(32)}\n`, { mode: 0o600 })
    const env = { GEN_CLUSTER_SECRET: 'b2'.repeat(32) }
    const opt = await loadClusterSecret({ home, secret: HEX, secretFile: file, env })
    expect([opt.source, keyOf(opt.psk)]).toEqual(['option', HEX])
    const fromEnv = await loadClusterSecret({ home, secretFile: file, env })
    expect([fromEnv.source, keyOf(fromEnv.psk)]).toEqual(['env', 'b2'.repeat(32)])
    const fromFile = await loadClusterSecret({ home, secretFile: file, env: { GEN_CLUSTER_SECRET: '' } })
    expect([fromFile.source, keyOf(fromFile.psk), fromFile.path]).toEqual(['file', 'c3'.repeat(32), file])
    expect((await loadClusterSecret({ home, env: noEnv })).source).toBe('created')
  })

  it('gives a 95-byte psk that @libp2p/pnet accepts, from hex, passphrase or 32 bytes', async () => {
    const bytes = new Uint8Array(32).fill(7)
    const cases: Array<[string | Uint8Array, string]> = [
      [HEX, HEX],
      [HEX.toUpperCase(), HEX],
      [PASSPHRASE, createHash('sha256').update(PASSPHRASE).digest('hex')],
      [bytes, '07'.repeat(32)],
      [`/key/swarm/psk/1.0.0/\n/base16/\n${HEX}`, HEX]
    ]
    for (const [secret, key] of cases) {
      const { psk } = await loadClusterSecret({ home, secret, env: noEnv })
      expect(psk.byteLength).toBe(95)
      expect(new TextDecoder().decode(psk)).toBe(`/key/swarm/psk/1.0.0/\n/base16/\n${key}`)
      expect(pnetAccepts(psk)).toBe(true)
    }
  })

  it('is checked by @libp2p/pnet only for 32 bytes of hex on the third line', () => {
    const psk = (text: string): Uint8Array => new TextEncoder().encode(text)
    expect(() => preSharedKey({ psk: psk(`/key/swarm/psk/1.0.0/\n/base16/\n${HEX.slice(2)}`) })()).toThrow(/invalid/)
    expect(() => preSharedKey({ psk: psk(`/key/swarm/psk/1.0.0/\n/base16/\n${HEX.slice(1)}z`) })()).toThrow(/invalid/)
    expect(pnetAccepts(psk(`anything\nat all\n${HEX}`))).toBe(true)
  })

  it('accepts a passphrase in the env var and in a file', async () => {
    const expected = createHash('sha256').update(PASSPHRASE).digest('hex')
    const env = await loadClusterSecret({ home, env: { GEN_CLUSTER_SECRET: PASSPHRASE } })
    expect(keyOf(env.psk)).toBe(expected)
    await writeFile(join(home, 'secret'), `${PASSPHRASE}\n`, { mode: 0o600 })
    expect(keyOf((await loadClusterSecret({ home, env: noEnv })).psk)).toBe(expected)
  })

  it('refuses short, truncated-hex or wrong-sized secrets with InvalidOptionError naming secret', async () => {
    for (const secret of ['short', HEX.slice(0, 63), 'deadbeef'.repeat(4), new Uint8Array(31), 'sixteen chars\nxx']) {
      const err = await thrown(() => loadClusterSecret({ home, secret, env: noEnv }))
      expect(err.name).toBe('InvalidOptionError')
      expect(err.option).toBe('secret')
    }
    const err = await thrown(() => loadClusterSecret({ home, env: { GEN_CLUSTER_SECRET: 'short' } }))
    expect([err.name, err.option]).toEqual(['InvalidOptionError', 'secret'])
  })

  it('refuses a secret file readable by group or others with SecretFileError naming secretFile', async () => {
    for (const mode of [0o640, 0o604, 0o660]) {
      const file = join(home, `open-${mode.toString(8)}`)
      await writeFile(file, HEX)
      await chmod(file, mode)
      const err = await thrown(() => loadClusterSecret({ home, secretFile: file, env: noEnv }))
      expect([err.name, err.option, err.path]).toEqual(['SecretFileError', 'secretFile', file])
    }
    await loadClusterSecret({ home, env: noEnv })
    await chmod(join(home, 'secret'), 0o644)
    const err = await thrown(() => loadClusterSecret({ home, env: noEnv }))
    expect([err.name, err.option]).toEqual(['SecretFileError', 'secretFile'])
  })

  it('refuses a missing, unreadable or malformed secret file with SecretFileError', async () => {
    const malformed = ['', 'too short', '/key/swarm/psk/1.0.0/\n/base16/\nzz', 'abc123', new Uint8Array([0xff, 0xfe, 0x00, 0x01])]
    const files: string[] = [join(home, 'missing'), home] // a directory cannot be read as a file
    for (const [i, content] of malformed.entries()) {
      const file = join(home, `bad-${i}`)
      await writeFile(file, content, { mode: 0o600 })
      files.push(file)
    }
    for (const secretFile of files) {
      const err = await thrown(() => loadClusterSecret({ home, secretFile, env: noEnv }))
      expect([err.name, err.option], secretFile).toEqual(['SecretFileError', 'secretFile'])
    }
  })
})

describe('listen addresses and seeds', () => {
  it('parses multiaddrs, host:port and [ipv6]:port into multiaddr strings', () => {
    expect(parseAddress('listen', '/ip4/127.0.0.1/tcp/4001')).toBe('/ip4/127.0.0.1/tcp/4001')
    expect(parseAddress('listen', '127.0.0.1:0')).toBe('/ip4/127.0.0.1/tcp/0')
    expect(parseAddress('listen', '[::1]:4001')).toBe('/ip6/::1/tcp/4001')
    expect(parseAddress('seeds', 'localhost:4001')).toBe('/dns/localhost/tcp/4001')
    expect(parseAddress('seeds', 'node-2.example.com:9000')).toBe('/dns/node-2.example.com/tcp/9000')
    expect(parseAddress('seeds', '/dns4/example.com/tcp/1')).toBe('/dns4/example.com/tcp/1')
    expect(parseAddress('seeds', ' 10.0.0.1:4001 ')).toBe('/ip4/10.0.0.1/tcp/4001')
  })

  it('keeps a valid /p2p/<peer id> on a seed', async () => {
    const id = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    expect(parseAddress('seeds', `/ip4/10.0.0.1/tcp/4001/p2p/${id}`)).toBe(`/ip4/10.0.0.1/tcp/4001/p2p/${id}`)
  })

  it('refuses bad listen addresses with InvalidOptionError naming listen', async () => {
    const id = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    const bad = ['', 'nonsense', '/ip4/999.0.0.1/tcp/1', '/ip4/127.0.0.1/tcp/70000', '/ip4/127.0.0.1', '/foo/bar',
      '/ip4/127.0.0.1/udp/4001', '127.0.0.1', '127.0.0.1:99999', '::1:4001', '[nope]:1', '300.1.1.1:4',
      'bad_host!:4001', `/ip4/127.0.0.1/tcp/4001/p2p/${id}`]
    for (const value of bad) {
      const err = await thrown(() => parseAddress('listen', value))
      expect([err.name, err.option], value).toEqual(['InvalidOptionError', 'listen'])
    }
  })

  it('refuses bad seeds with InvalidOptionError naming seeds', async () => {
    for (const value of ['host', '/ip4/10.0.0.1/tcp/0', '10.0.0.1:0', '/ip4/10.0.0.1/tcp/1/p2p/notapeer', '/ip4/1.2.3.4/tcp/1/tcp/2']) {
      const err = await thrown(() => parseAddress('seeds', value))
      expect([err.name, err.option], value).toEqual(['InvalidOptionError', 'seeds'])
    }
  })
})
