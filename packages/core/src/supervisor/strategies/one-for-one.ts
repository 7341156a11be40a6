/**
 * one_for_one: only the child that exited is restarted; its siblings are not touched.
 */
import type { Strategy } from '../strategy.js'

export const oneForOne: Strategy = (_children, event) => [{ type: 'start', id: event.id }]
