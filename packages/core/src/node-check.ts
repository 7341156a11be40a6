/**
 * Stops an import of `@gen-cluster/core` on a Node.js older than 22 with one clear error, before any other
 * module of the package runs: every entry point imports this file first, and ES modules evaluate their
 * imports in order. (A module that failed to *link* on an old Node would fail before this runs; the
 * package's test imports it on Node 20 to check that none does.)
 */
const major = Number(process.versions.node.split('.')[0])

/** Thrown when the package is imported on a Node.js older than 22. */
class UnsupportedNodeError extends Error {
  override name = 'UnsupportedNodeError'
}

if (!(major >= 22)) throw new UnsupportedNodeError(`gen-cluster needs Node ≥ 22 (this is ${process.version})`)

export {}
