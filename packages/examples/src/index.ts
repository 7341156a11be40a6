/** Example services built on gen-cluster. */
export { kitty } from './kitty.js'
export type { Kitty, Cat } from './kitty.js'
