/**
 * The strategy contract: how a supervisor reacts to a child's exit, as a pure function from the
 * children and the event to a list of actions. The supervisor server (`server.ts`) performs the
 * actions, in order; nothing here touches a process, so each strategy is tested as plain data.
 *
 * `decide` (in `decide.ts`) applies what every strategy shares: the child's restart type and the
 * restart intensity. A strategy is asked only when the exited child is to be restarted, and answers
 * which children to terminate, forget and start again, in which order.
 */
import type { ExitReason } from '../exit-reason.js'
import type { RestartType } from './supervisor.js'

/** What a strategy sees of a child. */
export interface ChildView {
  readonly id: string
  readonly restart: RestartType
  /** True while the child's process runs. The exited child is never running. */
  readonly running: boolean
  /** A significant child's own exit (not restarted) may shut the supervisor down (`autoShutdown`). */
  readonly significant?: boolean
}

/** The event: child `id` exited with `reason` (or its restart failed with `reason`). */
export interface ChildExit {
  readonly id: string
  readonly reason: ExitReason
}

/**
 * What the server does, one action after the other:
 * - `terminate`: shut the child down as its `shutdown` says; its spec stays;
 * - `delete`: forget the child (its spec too);
 * - `start`: start the child again with its spec; if that fails, the server stops here and feeds
 *   `{ id, reason: failure }` back as a new event (which counts as another restart);
 * - `escalate`: too many restarts: terminate every child and exit `'shutdown'`, leaving the
 *   decision to the supervisor's own parent;
 * - `autoShutdown`: a significant child ended on its own (`autoShutdown` flag): terminate every
 *   child and exit `'shutdown'`, as escalation does, but as a planned end, not a failure.
 */
export type Action =
  | { readonly type: 'terminate', readonly id: string }
  | { readonly type: 'delete', readonly id: string }
  | { readonly type: 'start', readonly id: string }
  | { readonly type: 'escalate' }
  | { readonly type: 'autoShutdown' }

/**
 * A restart strategy: the actions that restart child `event.id`, given every child in start order.
 * Pure: same input, same output.
 */
export type Strategy = (children: ReadonlyMap<string, ChildView>, event: ChildExit) => Action[]

/**
 * Restarts a group of children together (one_for_all, rest_for_one): terminates the running ones in
 * reverse start order, forgets the temporary ones (they are never restarted), then starts the rest
 * in start order.
 */
export function restartTogether (group: readonly ChildView[]): Action[] {
  const actions: Action[] = []
  for (let i = group.length - 1; i >= 0; i--) {
    const child = group[i] as ChildView
    if (child.running) actions.push({ type: 'terminate', id: child.id })
    if (child.restart === 'temporary') actions.push({ type: 'delete', id: child.id })
  }
  for (const child of group) {
    if (child.restart !== 'temporary') actions.push({ type: 'start', id: child.id })
  }
  return actions
}
