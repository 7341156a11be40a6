/** Waiting, bounded, for a node to join its cluster. */
import type { ClusterNode } from '@gen-cluster/cluster'
import { JoinTimeoutError, SecretRefusedError } from './errors.js'
import type { Refusal } from './refusal.js'

/**
 * Waits for `node` to join through one of `seeds`; past `ms`, throws `SecretRefusedError` if a seed
 * refused its secure handshake (`refused()`), else `JoinTimeoutError`; on `signal`, its reason.
 */
export async function joinWithin (node: ClusterNode, seeds: string[], ms: number, refused: () => Refusal | undefined, opts: { flag?: string, signal?: AbortSignal } = {}): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  let onAbort: (() => void) | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      const refusal = refused()
      reject(refusal === undefined ? new JoinTimeoutError(seeds, ms, opts.flag) : new SecretRefusedError(refusal, ms))
    }, ms)
    onAbort = () => { reject(opts.signal?.reason) }
    if (opts.signal?.aborted === true) onAbort()
    else opts.signal?.addEventListener('abort', onAbort, { once: true })
  })
  try {
    await Promise.race([node.joined, timeout])
  } finally {
    clearTimeout(timer)
    if (onAbort !== undefined) opts.signal?.removeEventListener('abort', onAbort)
  }
}

