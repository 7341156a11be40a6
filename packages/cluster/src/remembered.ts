/**
 * The members a node knew, kept in its home (`<home>/nodes/<name>/members.json`, mode 0600), so that
 * a restart finds the cluster again without seeds (the membership dials the ones that would not dial
 * it). The file is a hint, never trusted for more than where to dial: a malformed or oversized file
 * is ignored, each entry is checked, and a dialled address must still prove the peer id (noise).
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { makeDir, writeAtomic } from './files.js'
import { nodeDir } from './identity.js'
import type { MemberInfo } from './protocol.js'

/** At most this many members are kept, and read back. */
export const MAX_REMEMBERED = 1000
const MAX_ADDRESSES = 16
const MAX_FILE_BYTES = 1 << 20

const path = (home: string, name: string): string => join(nodeDir(home, name), 'members.json')

function checked (x: unknown): MemberInfo | undefined {
  if (typeof x !== 'object' || x === null) return undefined
  const m = x as Record<string, unknown>
  if (typeof m.name !== 'string' || m.name.length === 0 || m.name.length > 255) return undefined
  if (typeof m.peerId !== 'string' || m.peerId.length > 128 || !Number.isSafeInteger(m.creation)) return undefined
  if (!Array.isArray(m.addresses) || m.addresses.length > MAX_ADDRESSES || !m.addresses.every(a => typeof a === 'string' && a.length < 512)) return undefined
  return { name: m.name, peerId: m.peerId, creation: m.creation as number, addresses: [...m.addresses as string[]] }
}

/** The members remembered for node `name` in `home` (none if the file is missing or unusable). */
export async function loadRemembered (home: string, name: string): Promise<MemberInfo[]> {
  try {
    const text = await readFile(path(home, name), 'utf8')
    if (text.length > MAX_FILE_BYTES) return []
    const list = JSON.parse(text) as unknown
    if (!Array.isArray(list)) return []
    return list.slice(0, MAX_REMEMBERED).map(checked).filter((m): m is MemberInfo => m !== undefined && m.name !== name)
  } catch {
    return []
  }
}

/** Writes `members()` to the file a moment after each `changed()` (one write per burst of changes). */
export function rememberer (home: string, name: string, members: () => MemberInfo[], log: (error: unknown) => void): { changed(): void, flush(): Promise<void> } {
  let timer: NodeJS.Timeout | undefined
  let writing: Promise<void> = Promise.resolve()
  const write = (): void => {
    timer = undefined
    const list = members().slice(0, MAX_REMEMBERED)
    writing = writing.then(async () => {
      await makeDir(nodeDir(home, name))
      await writeAtomic(path(home, name), JSON.stringify(list))
    }).catch(log)
  }
  return {
    changed: () => {
      if (timer !== undefined) return
      timer = setTimeout(write, 200)
      timer.unref()
    },
    flush: async () => {
      if (timer !== undefined) {
        clearTimeout(timer)
        write()
      }
      await writing
    }
  }
}
