/**
 * One running node per identity. While a node runs, it holds `<home>/nodes/<name>/running`, which
 * names its OS process (pid, and on Linux the process's start time, so a pid the system reused for
 * another process is not taken for the node). A second start of the same name from the same home
 * while that process lives is refused with {@link NodeRunningError}; a file left by a process that is
 * gone (kill -9, a crash) is taken over. Concurrent starts are serialized by a lock file. A node of
 * this OS process holding it is left to the core, which refuses a second live node of one name.
 */
import { readFile, unlink } from 'node:fs/promises'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { NodeRunningError } from './errors.js'
import { errCode, makeDir, withFileLock, writeAtomic } from './files.js'
import { nodeDir } from './identity.js'

interface Holder { pid: number, started: string | null }

/** The start time of OS process `pid` (clock ticks since boot, from /proc), or null where there is no /proc. */
function startedAt (pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null
  } catch {
    return null
  }
}

function alive (h: Holder): boolean {
  try {
    process.kill(h.pid, 0)
  } catch (err) {
    if (errCode(err) !== 'EPERM') return false
  }
  const now = h.started === null ? null : startedAt(h.pid)
  return now === null || now === h.started
}

function parseHolder (text: string): Holder | undefined {
  try {
    const h = JSON.parse(text) as Partial<Holder>
    return Number.isSafeInteger(h.pid) && (h.pid as number) > 0 ? { pid: h.pid as number, started: typeof h.started === 'string' ? h.started : null } : undefined
  } catch {
    return undefined
  }
}

/** A held identity; `release()` gives it up (once; later calls do nothing). */
export interface NodeLock { release(): Promise<void> }

/**
 * Takes the identity `name` in `home` for this OS process.
 * @throws NodeRunningError when another live process holds it
 */
export async function lockNode (home: string, name: string): Promise<NodeLock> {
  const dir = nodeDir(home, name)
  const path = join(dir, 'running')
  await makeDir(dir)
  const me: Holder = { pid: process.pid, started: startedAt(process.pid) }
  await withFileLock(`${path}.lock`, async () => {
    const held = await readFile(path, 'utf8').then(parseHolder, () => undefined)
    if (held !== undefined && held.pid !== process.pid && alive(held)) throw new NodeRunningError(name, home, held.pid)
    await writeAtomic(path, JSON.stringify(me))
  })
  let released = false
  return {
    release: async () => {
      if (released) return
      released = true
      await withFileLock(`${path}.lock`, async () => {
        const held = await readFile(path, 'utf8').then(parseHolder, () => undefined)
        if (held?.pid === process.pid) await unlink(path).catch(() => {})
      })
    }
  }
}
