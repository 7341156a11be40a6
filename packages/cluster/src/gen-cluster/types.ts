/** Types from the core that the GenCluster files share. */
export type { ExitReason, GenServer, Pid, ServerTypes, StateOf } from '@gen-cluster/core'

/** A value, or a promise of it (callbacks may be sync or async). */
export type MaybePromiseLike<X> = X | Promise<X>
