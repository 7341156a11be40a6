/** Where the CLI's events go: readable lines, or one JSON object per line (`--json`). */
export interface Output {
  /** Names the node in readable lines, once it is known. */
  setNode(name: string): void
  /** Prints `json` (with `self`, this node's name, and `at` added) in JSON mode, else `text`. */
  event(json: Record<string, unknown>, text: string): void
  /** A readable line only. */
  line(text: string): void
}

/** Writes text to stdout. */
export type Writer = (text: string) => void

/** Writes to `process.stdout` as it is at the time of each write. */
export const toStdout: Writer = (text) => { process.stdout.write(text) }

/**
 * Takes stdout for the CLI's own JSON lines (`--json`): returns a writer to the real stdout, and from
 * then on sends whatever else is written to `process.stdout` (`console.log`, a hosted module's
 * `process.stdout.write`) to stderr, so that stdout holds one JSON event per line and nothing else.
 */
export function claimStdout (): Writer {
  const stdout = process.stdout
  const write = stdout.write.bind(stdout)
  stdout.write = process.stderr.write.bind(process.stderr) as typeof stdout.write
  return (text) => { write(text) }
}

export function createOutput (json: boolean, write: Writer = toStdout): Output {
  let node = ''
  const stamp = (): string => new Date().toISOString().slice(11, 23)
  return {
    setNode (name) { node = name },
    event (e, text) {
      if (json) write(JSON.stringify({ ...e, self: node, at: Date.now() }) + '\n')
      else write(`${stamp()} [${node}] ${text}\n`)
    },
    line (text) { if (!json) write(`${text}\n`) }
  }
}
