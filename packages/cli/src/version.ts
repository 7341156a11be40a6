/** The version of `@gen-cluster/cli`, read from its own package.json at run time. */
import { readFileSync } from 'node:fs'

export function cliVersion (): string {
  // dist/src/version.js → the package's root.
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown }
  return String(pkg.version)
}
