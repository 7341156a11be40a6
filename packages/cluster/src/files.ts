/**
 * Private files: read with a permission check, create exclusively, replace atomically, and a lock
 * file between processes. Used for the node key, the cluster secret and the creation counter.
 */
import { constants } from 'node:fs'
import { link, mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises'
import { dirname } from 'node:path'
import { randomBytes } from 'node:crypto'

export async function makeDir (dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 })
}

export function errCode (err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | null)?.code
}

/**
 * Reads a file that must be private to its owner: a regular file with no group or other permission
 * bits (not checked on Windows). Returns undefined if it does not exist.
 */
export async function readPrivateFile (path: string, fail: (message: string, cause?: unknown) => Error): Promise<Uint8Array | undefined> {
  let handle
  try {
    // O_NONBLOCK: a FIFO planted at the path must not hang the start
    handle = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0))
  } catch (err) {
    if (errCode(err) === 'ENOENT') return undefined
    throw fail(`cannot be opened (${errCode(err) ?? String(err)})`, err)
  }
  let info, bytes
  try {
    info = await handle.stat()
    if (info.isFile() && !tooOpen(info.mode)) bytes = await handle.readFile()
  } catch (err) {
    throw fail(`cannot be read (${errCode(err) ?? String(err)})`, err)
  } finally {
    await handle.close()
  }
  if (!info.isFile()) throw fail('is not a regular file')
  if (bytes === undefined) {
    const mode = (info.mode & 0o777).toString(8).padStart(4, '0')
    throw fail(`is accessible by group or others (mode ${mode}); make it private with chmod 600`)
  }
  return bytes
}

/** True when group or others have any permission (never on Windows, where modes mean little). */
export function tooOpen (mode: number): boolean {
  return process.platform !== 'win32' && (mode & 0o077) !== 0
}

/** Writes `data` to a fresh temp file (mode 0600) next to `path` and returns the temp file's path. */
export async function writeTemp (path: string, data: Uint8Array | string): Promise<string> {
  const temp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`
  const handle = await open(temp, 'wx', 0o600)
  try {
    await handle.writeFile(data)
    await handle.sync()
  } catch (err) {
    await handle.close()
    await unlink(temp).catch(() => {})
    throw err
  }
  await handle.close()
  return temp
}

/**
 * Creates `path` with `data` (mode 0600, its directory 0700) unless it exists; returns false if it did.
 * Never exposes a partly written file.
 */
export async function createExclusive (path: string, data: Uint8Array, fail: (message: string, cause?: unknown) => Error): Promise<boolean> {
  let temp
  try {
    await makeDir(dirname(path))
    temp = await writeTemp(path, data)
    await link(temp, path)
    return true
  } catch (err) {
    if (errCode(err) === 'EEXIST') return false
    throw fail(`cannot be created (${errCode(err) ?? String(err)})`, err)
  } finally {
    if (temp !== undefined) await unlink(temp).catch(() => {})
  }
}

/** Replaces `path` with `data` (mode 0600) atomically. */
export async function writeAtomic (path: string, data: string): Promise<void> {
  const temp = await writeTemp(path, data)
  try {
    await rename(temp, path)
  } catch (err) {
    await unlink(temp).catch(() => {})
    throw err
  }
}

/** A lock file older than this is taken to be left by a crashed process. */
const STALE_LOCK_MS = 10_000
const lockQueues = new Map<string, Promise<unknown>>()

/** Runs `fn` holding `lockPath`: queued within this process, an exclusive lock file across processes. */
export async function withFileLock<T> (lockPath: string, fn: () => Promise<T>): Promise<T> {
  const previous = lockQueues.get(lockPath) ?? Promise.resolve()
  const run = previous.catch(() => {}).then(async () => {
    await acquireLockFile(lockPath)
    try {
      return await fn()
    } finally {
      await unlink(lockPath).catch(() => {})
    }
  })
  lockQueues.set(lockPath, run)
  try {
    return await run
  } finally {
    if (lockQueues.get(lockPath) === run) lockQueues.delete(lockPath)
  }
}

export async function acquireLockFile (lockPath: string): Promise<void> {
  for (;;) {
    try {
      const handle = await open(lockPath, 'wx', 0o600)
      await handle.writeFile(String(process.pid))
      await handle.close()
      return
    } catch (err) {
      if (errCode(err) !== 'EEXIST') throw err
    }
    const age = await stat(lockPath).then(s => Date.now() - s.mtimeMs, () => 0)
    if (age > STALE_LOCK_MS) await unlink(lockPath).catch(() => {})
    else await new Promise(resolve => setTimeout(resolve, 5 + Math.random() * 20))
  }
}
