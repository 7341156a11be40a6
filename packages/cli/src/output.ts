/** Where the CLI's events go: readable lines, or one JSON object per line (`--json`). */
export interface Output {
  /** Names the node in readable lines, once it is known. */
  setNode(name: string): void
  /** Prints `json` (with `self`, this node's name, and `at` added) in JSON mode, else `text`. */
  event(json: Record<string, unknown>, text: string): void
  /** A readable line only. */
  line(text: string): void
}

export function createOutput (json: boolean): Output {
  let node = ''
  const stamp = (): string => new Date().toISOString().slice(11, 23)
  return {
    setNode (name) { node = name },
    event (e, text) {
      if (json) process.stdout.write(JSON.stringify({ ...e, self: node, at: Date.now() }) + '\n')
      else process.stdout.write(`${stamp()} [${node}] ${text}\n`)
    },
    line (text) { if (!json) process.stdout.write(`${text}\n`) }
  }
}
