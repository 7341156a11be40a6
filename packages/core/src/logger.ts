/**
 * Logging through component loggers with fixed namespaces (`gen-cluster:core:process`).
 *
 * The default logger prints warnings and errors (crash reports) to stderr; `GEN_CLUSTER_LOG` sets the
 * level (`silent`, `error`, `warn`, `info`, `debug`). A node takes its own `logger` to route them elsewhere.
 */

export type LogLevel = 'silent' | 'error' | 'warn' | 'info' | 'debug'

export interface Logger {
  error(message: string, meta?: Record<string, unknown>): void
  warn(message: string, meta?: Record<string, unknown>): void
  info(message: string, meta?: Record<string, unknown>): void
  debug(message: string, meta?: Record<string, unknown>): void
}

/** Makes a logger for a component; lines look like `gen-cluster:core:process error message {meta}`. */
export type LoggerFactory = (component: string) => Logger

const RANK: Record<LogLevel, number> = { silent: 0, error: 1, warn: 2, info: 3, debug: 4 }

function envLevel (): LogLevel {
  const v = process.env.GEN_CLUSTER_LOG
  return v !== undefined && v in RANK ? v as LogLevel : 'warn'
}

/** A logger factory that writes lines at or above `level` to stderr. */
export function stderrLogger (level: LogLevel = envLevel()): LoggerFactory {
  const max = RANK[level]
  return (component) => {
    const line = (lvl: LogLevel) => (message: string, meta?: Record<string, unknown>): void => {
      if (RANK[lvl] > max) return
      let tail = ''
      if (meta !== undefined) {
        try {
          tail = ' ' + JSON.stringify(meta, (_k, v: unknown) => v instanceof Error ? `${v.name}: ${v.message}` : typeof v === 'bigint' ? `${v}n` : (typeof v === 'object' && v !== null && 'key' in v && typeof (v as { toString: unknown }).toString === 'function' && !Array.isArray(v) ? String(v) : v))
        } catch {
          tail = ' {…}'
        }
      }
      process.stderr.write(`gen-cluster:${component} ${lvl} ${message}${tail}\n`)
    }
    return { error: line('error'), warn: line('warn'), info: line('info'), debug: line('debug') }
  }
}

/** A logger factory that drops everything. */
export const silentLogger: LoggerFactory = () => ({ error () {}, warn () {}, info () {}, debug () {} })
