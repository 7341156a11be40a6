/**
 * Noticing a refusal by cluster secret. Admission (`@gen-cluster/cluster`'s `admission.ts`) logs a
 * failed noise handshake at warn level through the node's `cluster:transport` logger: "could not
 * join through ADDRESS: the secure handshake failed (…)" on the joining side, "refused an inbound
 * connection from ADDRESS: …" on the other. The CLI runs its node with a logger that passes these
 * on to it (and everything to `base`, which is silent unless `--debug` or `GEN_CLUSTER_LOG`).
 */
import type { LoggerFactory } from '@gen-cluster/core'

export interface Refusal {
  /** `outbound`: a node this one dialled refused it; `inbound`: this node refused a dialler. */
  readonly direction: 'outbound' | 'inbound'
  /** The admission's log line, e.g. `could not join through /ip4/127.0.0.1/tcp/4001: the secure handshake failed (…)`. */
  readonly message: string
}

const HANDSHAKE_FAILED = /the secure handshake failed/

/** `base`, with the transport's refusal warnings also handed to `onRefusal`. */
export function watchRefusals (base: LoggerFactory, onRefusal: (r: Refusal) => void): LoggerFactory {
  return (component) => {
    const log = base(component)
    if (component !== 'cluster:transport') return log
    return {
      ...log,
      warn (message, meta) {
        if (HANDSHAKE_FAILED.test(message)) onRefusal({ direction: message.startsWith('refused') ? 'inbound' : 'outbound', message })
        log.warn(message, meta)
      }
    }
  }
}

/** The address a refusal names (`…through ADDRESS:` or `…from ADDRESS:`). */
export function refusedAddress (r: Refusal): string {
  return /(?:through|from) (\S+): /.exec(r.message)?.[1] ?? 'a seed'
}
