/**
 * rest_for_one: when a child exits, the children started after it are terminated (in reverse
 * start order), then it and they are started again (in start order). Children started before it
 * are not touched: for a chain where each child depends on the ones before it.
 */
import type { ChildView, Strategy } from '../strategy.js'
import { restartTogether } from '../strategy.js'

export const restForOne: Strategy = (children, event) => {
  const all = [...children.values()]
  const at = all.findIndex((child: ChildView) => child.id === event.id)
  return at < 0 ? [] : restartTogether(all.slice(at))
}
