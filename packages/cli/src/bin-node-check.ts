/**
 * The `gen-cluster` command's first import: on a Node.js older than 22 it prints one line and exits 1,
 * before any other module runs (ES modules evaluate their imports in order).
 */
if (!(Number(process.versions.node.split('.')[0]) >= 22)) {
  process.stderr.write(`gen-cluster needs Node ≥ 22 (this is ${process.version})\n`)
  process.exit(1)
}

export {}
