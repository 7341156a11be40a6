/**
 * one_for_all: when one child exits, every other child is terminated (in reverse start order) and
 * then all are started again (in start order). For children that depend on one another so much
 * that none can work without the others.
 */
import type { Strategy } from '../strategy.js'
import { restartTogether } from '../strategy.js'

export const oneForAll: Strategy = (children) => restartTogether([...children.values()])
