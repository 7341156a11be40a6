/**
 * simple_one_for_one: every child is a dynamic instance of one template, added with `startChild`.
 * A child that exited is restarted alone (with the argument it was started with), as under
 * one_for_one; a child that is not restarted is forgotten (`decide` sees to that), since dynamic
 * children keep no spec of their own.
 */
import type { Strategy } from '../strategy.js'

export const simpleOneForOne: Strategy = (_children, event) => [{ type: 'start', id: event.id }]
