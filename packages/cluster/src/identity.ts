/**
 * Who a node is and whom it admits: the node's name, its persistent key pair (hence a stable peer id),
 * its creation number, the cluster secret, and the parsing of listen addresses and seeds.
 *
 * Files, all under the cluster home ({@link clusterHome}, default `~/.gen-cluster`):
 *
 * | path                        | content                                        | mode |
 * | --------------------------- | ---------------------------------------------- | ---- |
 * | `secret`                    | cluster secret, pnet swarm-key format          | 0600 |
 * | `nodes/<name@host>/key`     | Ed25519 private key, libp2p protobuf bytes     | 0600 |
 * | `nodes/<name@host>/creation`| last creation number, decimal                  | 0600 |
 *
 * Like `~/.erlang.cookie`, the secret is created on first start, so the nodes of one user on one machine
 * join with no set-up; other machines get it by copying the file, or through the `secret` option or the
 * `GEN_CLUSTER_SECRET` environment variable. A secret or key file accessible by group or others is refused,
 * as Erlang refuses such a cookie. New files appear atomically (written aside, then linked or renamed in),
 * so two nodes starting at once agree on one secret and one key.
 */
import { createHash, randomBytes } from 'node:crypto'
import { constants } from 'node:fs'
import { link, mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises'
import { isIPv4, isIPv6 } from 'node:net'
import { homedir, hostname as osHostname } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import type { PrivateKey } from '@libp2p/interface'
import { CreationFileError, InvalidOptionError, NodeKeyError, SecretFileError } from './errors.js'
import { makeDir, errCode, readPrivateFile, createExclusive, writeAtomic, withFileLock } from './files.js'

/** Largest creation number; the counter wraps to 1 after it. */
export const MAX_CREATION = 2 ** 31 - 1

/** Environment variable holding the cluster secret (same formats as the `secret` option). */
export const SECRET_ENV = 'GEN_CLUSTER_SECRET'

/** Environment variable naming the cluster home directory. */
export const HOME_ENV = 'GEN_CLUSTER_HOME'

/**
 * Where gen-cluster keeps its files: `home` if given, else `$GEN_CLUSTER_HOME`, else `~/.gen-cluster`.
 * Always an absolute path.
 */
export function clusterHome (home?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (home !== undefined) {
    if (typeof home !== 'string' || home === '') throw new InvalidOptionError('home', 'must be a non-empty path')
    return resolve(home)
  }
  const fromEnv = env[HOME_ENV]
  return resolve(fromEnv !== undefined && fromEnv !== '' ? fromEnv : join(homedir(), '.gen-cluster'))
}

const NAME_PART = /^[A-Za-z0-9_.-]+$/

/**
 * Normalizes a node name: `'a'` becomes `'a@<hostname>'`; `'a@host'` is checked and returned as is.
 * Both parts may hold letters, digits, `-`, `_` and `.`; the whole name at most 255 characters.
 *
 * @param host - the host part for a bare name. @default os.hostname() (characters outside the set become `-`)
 * @throws InvalidOptionError naming option `'name'`
 */
export function normalizeNodeName (name: string, host: string = osHostname()): string {
  const rule = 'expected "name" or "name@host", each part letters, digits, "-", "_" or "."'
  if (typeof name !== 'string') throw new InvalidOptionError('name', `${rule}, got ${typeof name}`)
  const full = name.includes('@') ? name : `${name}@${host.replace(/[^A-Za-z0-9_.-]/g, '-') || 'localhost'}`
  const parts = full.split('@')
  if (parts.length !== 2 || !parts.every(p => NAME_PART.test(p))) {
    throw new InvalidOptionError('name', `${rule}, got ${JSON.stringify(name)}`)
  }
  if (full.length > 255) throw new InvalidOptionError('name', `at most 255 characters, got ${full.length}`)
  return full
}

/**
 * Loads the node's private key from `<home>/nodes/<name>/key` (libp2p protobuf bytes, mode 0600), creating
 * an Ed25519 key on first start, so the node keeps its peer id across restarts.
 *
 * @throws NodeKeyError when the file is unreadable, malformed, or accessible by group or others
 * @throws InvalidOptionError naming `'name'` for an invalid node name
 */
export async function loadOrCreateNodeKey (home: string, name: string): Promise<PrivateKey> {
  const dir = nodeDir(home, name)
  const path = join(dir, 'key')
  const fail = (message: string, cause?: unknown): Error => new NodeKeyError(path, message, { cause })
  let bytes = await readPrivateFile(path, fail)
  if (bytes === undefined) {
    const key = await generateKeyPair('Ed25519')
    if (await createExclusive(path, privateKeyToProtobuf(key), fail)) return key
    bytes = await readPrivateFile(path, fail) // another start of this node won the race: use its key
    if (bytes === undefined) throw fail('disappeared while being created')
  }
  try {
    return privateKeyFromProtobuf(bytes)
  } catch (err) {
    throw fail('is not a libp2p private key in protobuf form', err)
  }
}

/**
 * Next creation number for this node name, from the counter in `<home>/nodes/<name>/creation`.
 * Strictly increasing across starts, also concurrent ones (a lock file serializes them), in 1..2^31-1
 * (after {@link MAX_CREATION} it wraps to 1). The file is replaced atomically (temp file + rename).
 *
 * @throws CreationFileError when the file is unreadable or holds no valid number
 */
export async function nextCreation (home: string, name: string): Promise<number> {
  const dir = nodeDir(home, name)
  const path = join(dir, 'creation')
  try {
    await makeDir(dir)
    return await withFileLock(`${path}.lock`, async () => await bumpCreation(path))
  } catch (err) {
    if (err instanceof CreationFileError) throw err
    throw new CreationFileError(path, `cannot be updated (${errCode(err) ?? String(err)})`, { cause: err })
  }
}

/** Reads the last creation number (0 if none), writes and returns the next one; call under the lock. */
async function bumpCreation (path: string): Promise<number> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    if (errCode(err) !== 'ENOENT') throw new CreationFileError(path, 'cannot be read', { cause: err })
    text = '0'
  }
  const last = /^\d{1,10}$/.test(text.trim()) ? Number(text.trim()) : Number.NaN
  if (!(last >= 0 && last <= MAX_CREATION)) {
    throw new CreationFileError(path, `expected a number in 0..${MAX_CREATION}, got ${JSON.stringify(text.slice(0, 40))}`)
  }
  const next = last >= MAX_CREATION ? 1 : last + 1
  await writeAtomic(path, `${next}\n`)
  return next
}

/** Options of {@link loadClusterSecret}. */
export interface ClusterSecretOptions {
  /** Cluster home; the default secret file is `<home>/secret`. */
  home: string
  /**
   * The secret itself: 64 hex characters, a passphrase of at least 16 characters (its SHA-256 is the key),
   * a pnet swarm key (`/key/swarm/psk/1.0.0/\n/base16/\n<64 hex>`), or 32 bytes. A string of hex digits
   * only must have exactly 64 of them (a truncated key is an error, not a passphrase).
   * @default $GEN_CLUSTER_SECRET, else the secret file
   */
  secret?: string | Uint8Array
  /** File holding the secret (same text formats as `secret`, surrounding whitespace ignored). @default `<home>/secret` */
  secretFile?: string
  /** Environment to read `GEN_CLUSTER_SECRET` from; an empty value counts as unset. @default process.env */
  env?: NodeJS.ProcessEnv
}

/** The cluster secret, ready for `preSharedKey({ psk })`, and where it came from. */
export interface ClusterSecret {
  /** The 95-byte pnet swarm key. */
  psk: Uint8Array
  /** `'created'` when this call wrote a new `<home>/secret`. */
  source: 'option' | 'env' | 'file' | 'created'
  /** The file read or created, for sources `'file'` and `'created'`. */
  path?: string
}

/**
 * The cluster secret as a pnet pre-shared key. Precedence: `secret` option > `$GEN_CLUSTER_SECRET` >
 * `secretFile` option > `<home>/secret`, which is created (mode 0600, random key) if missing.
 *
 * @throws InvalidOptionError naming `'secret'` (also for a bad `$GEN_CLUSTER_SECRET`) or `'secretFile'` (empty path)
 * @throws SecretFileError when the file is missing (explicit `secretFile` only), unreadable, malformed,
 * or accessible by group or others
 */
export async function loadClusterSecret (opts: ClusterSecretOptions): Promise<ClusterSecret> {
  if (opts.secret !== undefined) {
    return { psk: toPsk(secretKey(opts.secret, 'option secret')), source: 'option' }
  }
  const fromEnv = (opts.env ?? process.env)[SECRET_ENV]
  if (fromEnv !== undefined && fromEnv !== '') {
    return { psk: toPsk(secretKey(fromEnv, `environment variable ${SECRET_ENV}`)), source: 'env' }
  }
  if (opts.secretFile !== undefined) {
    if (typeof opts.secretFile !== 'string' || opts.secretFile === '') {
      throw new InvalidOptionError('secretFile', 'must be a non-empty path')
    }
    const path = resolve(opts.secretFile)
    const psk = await readSecretFile(path)
    if (psk === undefined) throw new SecretFileError(path, 'does not exist')
    return { psk, source: 'file', path }
  }
  const home = resolve(opts.home)
  const path = join(home, 'secret')
  const existing = await readSecretFile(path)
  if (existing !== undefined) return { psk: existing, source: 'file', path }
  const psk = toPsk(randomBytes(32))
  const fail = (message: string, cause?: unknown): Error => new SecretFileError(path, message, { cause })
  if (await createExclusive(path, psk, fail)) return { psk, source: 'created', path }
  const winner = await readSecretFile(path) // another node created it meanwhile
  if (winner === undefined) throw new SecretFileError(path, 'disappeared while being created')
  return { psk: winner, source: 'file', path }
}

const HOST_COMPONENTS = new Set(['ip4', 'ip6', 'dns', 'dns4', 'dns6'])

/**
 * Parses a listen address or seed into a multiaddr string. Accepts a TCP multiaddr
 * (`/ip4/127.0.0.1/tcp/4001`, `/ip6/::1/tcp/4001`, `/dns/host/tcp/4001`; a seed may end in `/p2p/<peer id>`),
 * `host:port` (an IPv4 address or a host name) or `[ipv6]:port`. Port 0 is allowed for `listen` only.
 *
 * @throws InvalidOptionError naming `option`
 */
export function parseAddress (option: 'listen' | 'seeds', value: string): string {
  const bad = (why: string, cause?: unknown): InvalidOptionError =>
    new InvalidOptionError(option, `${JSON.stringify(value)} ${why}`, { cause })
  if (typeof value !== 'string' || value.trim() === '') throw bad('is not an address')
  const text = value.trim()
  const addr = text.startsWith('/') ? text : hostPortToMultiaddr(text, bad)
  let components
  try {
    components = multiaddr(addr).getComponents()
  } catch (err) {
    throw bad(`is not a valid multiaddr: ${err instanceof Error ? err.message : String(err)}`, err)
  }
  const [host, tcp, p2p, ...rest] = components
  if (host === undefined || !HOST_COMPONENTS.has(host.name) || tcp?.name !== 'tcp' || rest.length > 0 ||
      (p2p !== undefined && p2p.name !== 'p2p')) {
    throw bad('is not a TCP address: expected /ip4|ip6|dns|dns4|dns6/<host>/tcp/<port>[/p2p/<peer id>], host:port or [ipv6]:port')
  }
  if (option === 'seeds' && tcp.value === '0') throw bad('has port 0, which cannot be dialled')
  if (p2p !== undefined) {
    if (option === 'listen') throw bad('names a peer (/p2p/…), which a listen address cannot')
    try {
      peerIdFromString(p2p.value ?? '')
    } catch (err) {
      throw bad(`has an invalid peer id ${JSON.stringify(p2p.value)}`, err)
    }
  }
  return multiaddr(addr).toString()
}

function hostPortToMultiaddr (text: string, bad: (why: string) => InvalidOptionError): string {
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(text) ?? /^([^:[\]]+):(\d{1,5})$/.exec(text)
  if (m === null) throw bad('is neither a multiaddr nor host:port (write IPv6 as [addr]:port)')
  const [, host = '', port = ''] = m
  if (Number(port) > 65535) throw bad(`has port ${port}, above 65535`)
  if (text.startsWith('[')) {
    if (!isIPv6(host)) throw bad(`has an invalid IPv6 address ${JSON.stringify(host)}`)
    return `/ip6/${host}/tcp/${port}`
  }
  if (isIPv4(host)) return `/ip4/${host}/tcp/${port}`
  if (/^[\d.]+$/.test(host)) throw bad(`has an invalid IPv4 address ${JSON.stringify(host)}`)
  const label = /^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/
  if (host.length > 253 || !host.replace(/\.$/, '').split('.').every(l => label.test(l))) {
    throw bad(`has an invalid host name ${JSON.stringify(host)}`)
  }
  return `/dns/${host}/tcp/${port}`
}

// --- secret formats ------------------------------------------------------------------------------------

const PSK_HEADER = '/key/swarm/psk/1.0.0/\n/base16/\n'

/** The 32-byte key inside a 95-byte swarm key (as `loadClusterSecret` returns it). */
export function secretKeyOf (psk: Uint8Array): Uint8Array {
  const text = new TextDecoder().decode(psk)
  if (!text.startsWith(PSK_HEADER)) throw new InvalidOptionError('secret', 'not a swarm key')
  const hex = text.slice(PSK_HEADER.length).trim()
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new InvalidOptionError('secret', 'a swarm key holds 64 hex digits')
  return Uint8Array.from(Buffer.from(hex, 'hex'))
}

/** The 95-byte pnet swarm key for a 32-byte key, in lowercase hex so equal keys give equal files. */
function toPsk (key: Uint8Array): Uint8Array {
  return new TextEncoder().encode(PSK_HEADER + Buffer.from(key).toString('hex'))
}

/** The 32-byte key of an option or env value; throws InvalidOptionError('secret'). */
function secretKey (secret: string | Uint8Array, from: string): Uint8Array {
  if (secret instanceof Uint8Array) {
    if (secret.byteLength === 32) return secret
    throw new InvalidOptionError('secret', `${from}: expected 32 bytes, got ${secret.byteLength}`)
  }
  if (typeof secret !== 'string') throw new InvalidOptionError('secret', `${from}: expected a string or 32 bytes`)
  const key = keyFromText(secret)
  if (typeof key === 'string') throw new InvalidOptionError('secret', `${from}: ${key}`)
  return key
}

/** The 32-byte key a secret text stands for, or a string saying why it stands for none. */
function keyFromText (text: string): Uint8Array | string {
  if (text.startsWith('/key/swarm/psk/1.0.0/')) {
    const [, codec, hex, ...rest] = text.split(/\r?\n/)
    if (codec !== '/base16/' || hex === undefined || !/^[0-9a-fA-F]{64}$/.test(hex) || rest.some(l => l !== '')) {
      return 'malformed swarm key: expected "/key/swarm/psk/1.0.0/", "/base16/" and 64 hex digits on three lines'
    }
    return Buffer.from(hex, 'hex')
  }
  if (/^[0-9a-fA-F]+$/.test(text)) {
    if (text.length === 64) return Buffer.from(text, 'hex')
    return `a hex key must have 64 hex digits, got ${text.length}`
  }
  if (/[\u0000-\u001f\u007f]/.test(text)) return 'contains control characters'
  if (text.length < 16) return `a passphrase must have at least 16 characters, got ${text.length}`
  return createHash('sha256').update(text, 'utf8').digest()
}

/** The psk stored in a secret file, or undefined if the file does not exist. */
async function readSecretFile (path: string): Promise<Uint8Array | undefined> {
  const fail = (message: string, cause?: unknown): Error => new SecretFileError(path, message, { cause })
  const bytes = await readPrivateFile(path, fail)
  if (bytes === undefined) return undefined
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes).trim()
  } catch (err) {
    throw fail('is not UTF-8 text', err)
  }
  const key = keyFromText(text)
  if (typeof key === 'string') throw fail(text === '' ? 'is empty' : key)
  return toPsk(key)
}

// --- files ---------------------------------------------------------------------------------------------

/** The directory of one node's files in a home: `<home>/nodes/<name>`. */
export function nodeDir (home: string, name: string): string {
  return join(resolve(home), 'nodes', normalizeNodeName(name))
}
