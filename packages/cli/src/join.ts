/** Waiting, bounded, for a node to join its cluster. */
import type { ClusterNode } from '@gen-cluster/cluster'
import { JoinTimeoutError, SecretRefusedError } from './errors.js'
import type { Refusal } from './refusal.js'

/**
 * Waits for `node` to join through one of `seeds`; past `ms`, throws `SecretRefusedError` if a seed
 * refused its secure handshake (`refused()`), else `JoinTimeoutError`.
 */
export async function joinWithin (node: ClusterNode, seeds: string[], ms: number, refused: () => Refusal | undefined, flag?: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      const refusal = refused()
      reject(refusal === undefined ? new JoinTimeoutError(seeds, ms, flag) : new SecretRefusedError(refusal, ms))
    }, ms)
  })
  try {
    await Promise.race([node.joined, timeout])
  } finally {
    clearTimeout(timer)
  }
}

