/**
 * The wire codec against `v8.serialize` and JSON, on typical process messages. Not a test: it
 * prints, it asserts nothing but that each codec gives back what it was given.
 *
 *   <message>.<codec>: encode + decode round trips per second, ops/s
 *   <message>.<codec>.bytes: size of the encoded frame, B
 *
 * Messages: `call` (a CALL frame `[7, pid, { type: 'add', by: 2 }, pid, ref]`), `string` (80
 * characters, some non-ASCII), `pid`, `bytes_1MiB` (a 1 MiB Uint8Array), `map_1000` (a Map of 1,000
 * string keys to small objects). Codecs: `msgpackr` (this package's `encode` / `decode`), `v8`
 * (`v8.serialize` / `deserialize`, with pids and refs swapped for tagged objects and back by a walk,
 * as the codec's own walk does), `json` (`JSON.stringify` / `parse` to UTF-8 bytes, with a replacer
 * and reviver for pids, refs, Map and bytes as base64).
 *
 * Each figure is the median of several rounds, printed as `name: value unit` (`--json` for one JSON
 * object, `--quick` for fewer and shorter rounds).
 */
import v8 from 'node:v8'
import { Pid, Ref } from '@gen-cluster/core'
import { decode, encode } from '../src/codec.js'

const json = process.argv.includes('--json')
const quick = process.argv.includes('--quick')
const rounds = quick ? 3 : 7
const roundMs = quick ? 100 : 300

interface Codec { encode: (v: unknown) => Uint8Array, decode: (b: Uint8Array) => unknown }

const TAG_PID = '$pid'
const TAG_REF = '$ref'

/** Pids and refs become `{ $pid: [...] }` / `{ $ref: [...] }`; containers are copied on the way. */
function toV8 (v: unknown): unknown {
  if (v instanceof Pid) return { [TAG_PID]: [v.node, v.id, v.creation] }
  if (v instanceof Ref) return { [TAG_REF]: [v.node, v.id, v.creation] }
  if (Array.isArray(v)) return v.map(toV8)
  if (v instanceof Map) return new Map([...v].map(([k, x]) => [toV8(k), toV8(x)]))
  if (isPlain(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toV8(x)]))
  return v
}

function fromV8 (v: unknown): unknown {
  if (Array.isArray(v)) return v.map(fromV8)
  if (v instanceof Map) return new Map([...v].map(([k, x]) => [fromV8(k), fromV8(x)]))
  if (isPlain(v)) {
    const pid = v[TAG_PID] as [string, number, number] | undefined
    if (pid !== undefined) return new Pid(...pid)
    const ref = v[TAG_REF] as [string, number, number] | undefined
    if (ref !== undefined) return new Ref(...ref)
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fromV8(x)]))
  }
  return v
}

function isPlain (v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype
}

const utf8 = new TextEncoder()
const text = new TextDecoder()

function replacer (_key: string, v: unknown): unknown {
  if (v instanceof Map) return { $map: [...v] }
  if (v instanceof Uint8Array) return { $bin: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') }
  return v // Pid and Ref arrive here as their toJSON: { pid: [...] } / { ref: [...] }
}

function reviver (_key: string, v: unknown): unknown {
  if (!isPlain(v)) return v
  if (Array.isArray(v.pid)) return Pid.from(v.pid as [string, number, number])
  if (Array.isArray(v.ref)) return Ref.from(v.ref as [string, number, number])
  if (Array.isArray(v.$map)) return new Map(v.$map as Array<[unknown, unknown]>)
  if (typeof v.$bin === 'string') return new Uint8Array(Buffer.from(v.$bin, 'base64'))
  return v
}

const codecs: Record<string, Codec> = {
  msgpackr: { encode, decode },
  v8: { encode: v => v8.serialize(toV8(v)), decode: b => fromV8(v8.deserialize(b)) },
  json: { encode: v => utf8.encode(JSON.stringify(v, replacer)), decode: b => JSON.parse(text.decode(b), reviver) }
}

const to = new Pid('a@host', 12, 3)
const from = new Pid('b@host', 40, 7)
const messages: Record<string, unknown> = {
  call: [7, to, { type: 'add', by: 2 }, from, new Ref('b@host', 9, 7)],
  string: 'the quick brown fox jumps over the lazy dog — déjà vu, 日本語, and then some more…',
  pid: to,
  bytes_1MiB: new Uint8Array(1 << 20).map((_, i) => (i * 31) & 0xff),
  map_1000: new Map(Array.from({ length: 1000 }, (_, i) => [`user-${i}`, { count: i, name: `n${i}` }]))
}

function check (name: string, codec: string, value: unknown, back: unknown): void {
  const probe = (v: unknown): string => {
    if (v instanceof Uint8Array) return `bytes:${v.length}:${v[v.length - 1] ?? ''}`
    if (v instanceof Map) return `map:${v.size}:${JSON.stringify([...v].at(-1))}`
    return JSON.stringify(v)
  }
  const pidOk = !(value instanceof Pid) || (back instanceof Pid && back.equals(value))
  const callOk = name !== 'call' || (Array.isArray(back) && back[1] instanceof Pid && back[4] instanceof Ref)
  if (probe(back) !== probe(value) || !pidOk || !callOk) throw new Error(`${codec} does not round-trip ${name}`)
}

function median (xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)] as number
}

function opsPerSecond (codec: Codec, value: unknown): number {
  let sink: unknown
  const out: number[] = []
  for (let r = 0; r <= rounds; r++) { // round 0 warms up
    let n = 0
    const t0 = performance.now()
    let t = t0
    while (t - t0 < roundMs) {
      for (let i = 0; i < 16; i++) sink = codec.decode(codec.encode(value))
      n += 16
      t = performance.now()
    }
    if (r > 0) out.push(n / ((t - t0) / 1000))
  }
  if (sink === Symbol.for('never')) console.log(sink)
  return median(out)
}

const results: Record<string, number> = {}
for (const [name, value] of Object.entries(messages)) {
  for (const [codecName, codec] of Object.entries(codecs)) {
    const bytes = codec.encode(value)
    check(name, codecName, value, codec.decode(bytes))
    results[`${name}.${codecName}`] = Math.round(opsPerSecond(codec, value))
    results[`${name}.${codecName}.bytes`] = bytes.byteLength
    if (!json) {
      console.log(`${name}.${codecName}: ${results[`${name}.${codecName}`]} ops/s`)
      console.log(`${name}.${codecName}.bytes: ${bytes.byteLength} B`)
    }
  }
}
if (json) console.log(JSON.stringify(results))
