/** Example services built on gen-cluster. */
export { kitty } from './kitty.js'
export type { Kitty, Cat } from './kitty.js'
export { runHotUpgrade } from './hot-upgrade.js'
export type { HotUpgradeReport } from './hot-upgrade.js'
