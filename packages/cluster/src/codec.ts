/**
 * The wire codec: one value ⇄ one self-contained MessagePack frame.
 *
 * ## Main idea
 * Plain data is standard MessagePack, written and read by msgpackr with records off, so no frame
 * depends on another. What plain MessagePack cannot say travels in a few extension types. `encode`
 * first walks the value: it rejects what cannot cross, naming the path, and swaps in wire forms the
 * values msgpackr would get wrong (copying only the containers on the way to them). `decode` first
 * scans the frame without building anything: every declared length against the bytes left, the
 * nesting depth, the extension types, the map keys, and that exactly one value fills the frame. Only
 * then does msgpackr build the value.
 *
 * ## Assumptions
 * The peer may be hostile: a frame may be truncated, garbage, or crafted. Decoding never changes a
 * prototype, never builds a class other than those below, never recurses deeper than
 * {@link MAX_DEPTH}, never allocates more than the frame's own length implies, and fails only
 * with {@link DecodeError}. Frame size limits are the transport's job.
 *
 * ## Wire forms
 * | value | wire |
 * | --- | --- |
 * | `null`, booleans, strings, arrays | nil, bool, str, array |
 * | numbers | int when a 32-bit integer, else float64 (so `-0`, `NaN`, `±Infinity` stay exact) |
 * | plain objects (any prototype `Object.prototype` or `null`) | map of string keys, never `__proto__` |
 * | `undefined` | fixext1 type 0 (msgpackr's) |
 * | BigInt | int64 / uint64, beyond 64 bits ext `0x42` (msgpackr's) |
 * | Date | timestamp, ext -1 |
 * | Uint8Array, Buffer | bin; decodes as a Uint8Array that owns its memory |
 * | Pid, Ref | `d4 50 00` / `d4 51 00` + `[node, id, creation]` |
 * | Error | `d4 52 00` + `[name, message, stack?, [key, value, …], cause]` (cause only if it had one) |
 * | Map | `d4 53 00` + `[k1, v1, k2, v2, …]` |
 * | Set | `d4 54 00` + `[item, …]` |
 * | object with an own `__proto__` key or an ill-formed key | `d4 55 00` + `[k1, v1, …]` |
 * | string with a lone surrogate | `d4 56 00` + bin of UTF-16LE code units |
 *
 * `encode({ type: 'add', by: 2 })` is `82 a4 74 79 70 65 a3 61 64 64 a2 62 79 02`, and
 * `encode(new Pid('a', 7, 1))` is `d4 50 00 93 a1 61 07 01`.
 *
 * An Error crosses as an `Error` whose `.name` is the original name (the standard classes such as
 * `TypeError` are rebuilt by name; every other name gives a plain `Error`), with its message, stack,
 * and own enumerable properties and `cause` when those can cross (left out when they cannot).
 * Symbol-keyed and non-enumerable properties are not sent, as with `structuredClone`, and holes in
 * arrays arrive as `undefined`. Frames returned by `encode` are views into msgpackr's shared output
 * slab: never overwritten, but do not transfer or reuse their `.buffer`.
 *
 * msgpackr keeps its extension table per process: the `Pid` and `Ref` extensions registered here
 * also apply to other msgpackr users in the same process.
 */
import { Pid, Ref } from '@gen-cluster/core'
import { Packr, addExtension } from 'msgpackr'

/** Most containers a value may sit in, counted on the wire (an array, a map, an extension wrapper). */
export const MAX_DEPTH = 256

/** Thrown by {@link decode} for any malformed frame: truncated, garbage, too deep, trailing bytes, unknown extension. */
export class DecodeError extends Error {
  override name = 'DecodeError' as const
  /** Offset in the frame where the problem was found, when the scan found it. */
  readonly offset: number | undefined
  constructor (message: string, offset?: number, options?: ErrorOptions) {
    super(offset === undefined ? message : `${message} at byte ${offset}`, options)
    this.offset = offset
  }
}

/** Thrown by {@link encode} for a value that cannot cross the wire (function, symbol, unsupported class, too deep); names the path. */
export class EncodeError extends Error {
  override name = 'EncodeError' as const
  /** Where the culprit sits, e.g. `$.request.items[2]`, `$.cache.values()[0]` (`$` is the value itself). */
  readonly path: string
  constructor (message: string, path = '$', options?: ErrorOptions) {
    super(message, options)
    this.path = path
  }
}

/** Extension types of this codec (msgpackr reserves 101–127 and uses 0x42 and 0x62 itself). */
const EXT = { pid: 0x50, ref: 0x51, error: 0x52, map: 0x53, set: 0x54, object: 0x55, utf16: 0x56 } as const
/** msgpackr needs a type for every `pack` extension; -0 is written as a plain float64, so this one is never on the wire. */
const NEGATIVE_ZERO_TYPE = 0x57
const WRAPPERS = new Set<number>(Object.values(EXT))
const MSGPACKR_BIGINT = 0x42
const TIMESTAMP = 0xff

// Wire forms that `prepare` puts in place of values msgpackr would write wrongly.
class MapWire { constructor (readonly entries: unknown[]) {} }
class SetWire { constructor (readonly items: unknown[]) {} }
class ObjectWire { constructor (readonly entries: unknown[]) {} }
class Utf16Wire { constructor (readonly units: Uint8Array) {} }
class ErrorWire { constructor (readonly fields: unknown[]) {} }
class NegativeZero {}
const NEGATIVE_ZERO = new NegativeZero()

const packr = new Packr({
  useRecords: false, // no record definitions or shared structures: every frame stands alone
  mapsAsObjects: true,
  variableMapSize: true, // fixmap for small objects, and no 65,535-key limit
  useBigIntExtension: true,
  useToJSON: false,
  copyBuffers: true, // decoded bytes do not alias, or keep alive, the frame
  moreTypes: false,
  structuredClone: false,
  int64AsType: 'bigint'
})

// ---------------------------------------------------------------------------------------------
// encode

/** Encodes one value as one frame. Throws {@link EncodeError} for what cannot cross. */
export function encode (value: unknown): Uint8Array {
  let prepared: unknown
  try {
    prepared = prepare(value, 0)
  } catch (err) {
    if (!(err instanceof Unencodable)) throw new EncodeError(`cannot encode: ${messageOf(err)}`, '$', { cause: err })
    const path = `$${err.path.reverse().join('')}`
    throw new EncodeError(`cannot encode ${err.what} at ${path}`, path)
  }
  try {
    return packr.pack(prepared)
  } catch (err) {
    throw new EncodeError(`cannot encode: ${messageOf(err)}`, '$', { cause: err })
  }
}

/** Why a value cannot cross; `path` is filled in, innermost first, as it unwinds. */
class Unencodable {
  readonly path: string[] = []
  constructor (readonly what: string) {}
}

function at (err: unknown, segment: string): unknown {
  if (err instanceof Unencodable) err.path.push(segment)
  return err
}

function room (depth: number, levels: number): void {
  if (depth + levels > MAX_DEPTH) throw new Unencodable(`a value nested deeper than ${MAX_DEPTH} levels (or a cycle)`)
}

/** The value as msgpackr should see it; `depth` counts the wire containers around it. */
function prepare (value: unknown, depth: number): unknown {
  switch (typeof value) {
    case 'string':
      if (value.isWellFormed()) return value
      room(depth, 1)
      return new Utf16Wire(utf16Bytes(value))
    case 'number': return Object.is(value, -0) ? NEGATIVE_ZERO : value
    case 'boolean': case 'bigint': case 'undefined': return value
    case 'function': throw new Unencodable(`a function (${value.name === '' ? 'anonymous' : value.name})`)
    case 'symbol': throw new Unencodable(`a symbol (${value.toString()})`)
    case 'object': return value === null ? null : prepareObject(value, depth)
    default: throw new Unencodable(`a value of type ${typeof value}`)
  }
}

function prepareObject (value: object, depth: number): unknown {
  if (Array.isArray(value)) return prepareArray(value, depth)
  const proto: unknown = Object.getPrototypeOf(value)
  if (proto === Object.prototype || proto === null) return preparePlain(value as Record<string, unknown>, depth)
  if (value instanceof Pid || value instanceof Ref) {
    room(depth, 2)
    if (!value.node.isWellFormed()) throw new Unencodable('a pid or ref whose node name has a lone surrogate')
    return value
  }
  if (value instanceof Uint8Array || value instanceof Date) return value
  if (value instanceof Map) {
    room(depth, 2)
    const entries: unknown[] = []
    let i = 0
    try {
      for (const [k, v] of value) { entries.push(prepare(k, depth + 2)); entries.push(prepare(v, depth + 2)); i++ }
    } catch (err) { throw at(err, entries.length > 2 * i ? `.values()[${i}]` : `.keys()[${i}]`) }
    return new MapWire(entries)
  }
  if (value instanceof Set) {
    room(depth, 2)
    const items: unknown[] = []
    try {
      for (const item of value) items.push(prepare(item, depth + 2))
    } catch (err) { throw at(err, `.values()[${items.length}]`) }
    return new SetWire(items)
  }
  if (value instanceof Error) return prepareError(value, depth)
  const ctor: unknown = (value as { constructor?: unknown }).constructor
  const kind = typeof ctor === 'function' && ctor.name !== '' ? ctor.name : Object.prototype.toString.call(value)
  throw new Unencodable(`an instance of ${kind} (supported: plain objects, arrays, Map, Set, Date, Uint8Array, Error, Pid, Ref)`)
}

function prepareArray (list: unknown[], depth: number): unknown[] {
  room(depth, 1)
  let out: unknown[] | undefined
  let i = 0
  try {
    for (; i < list.length; i++) {
      const item = list[i]
      const p = prepare(item, depth + 1)
      if (out === undefined && p !== item) out = list.slice(0, i)
      out?.push(p)
    }
  } catch (err) { throw at(err, `[${i}]`) }
  return out ?? list
}

function preparePlain (obj: Record<string, unknown>, depth: number): unknown {
  room(depth, 1)
  const keys = Object.keys(obj)
  let out: Record<string, unknown> | undefined
  let key = ''
  let asEntries = false
  try {
    for (key of keys) {
      // msgpackr renames a `__proto__` key and mangles lone surrogates in keys: such objects go as entries
      if (key === '__proto__' || !key.isWellFormed()) { asEntries = true; break }
      const v = obj[key]
      const p = prepare(v, depth + 1)
      if (p !== v) (out ??= { ...obj })[key] = p
    }
  } catch (err) { throw at(err, keySegment(key)) }
  return asEntries ? prepareEntries(obj, keys, depth) : out ?? obj
}

function prepareEntries (obj: Record<string, unknown>, keys: string[], depth: number): ObjectWire {
  room(depth, 2)
  const entries: unknown[] = []
  try {
    for (const key of keys) { entries.push(prepare(key, depth + 2)); entries.push(prepare(obj[key], depth + 2)) }
  } catch (err) { throw at(err, keySegment(keys[entries.length >> 1] ?? '')) }
  return new ObjectWire(entries)
}

const sending = new Set<Error>()

function prepareError (error: Error, depth: number): ErrorWire {
  room(depth, 3)
  if (sending.has(error)) throw new Unencodable('a cyclic error')
  sending.add(error)
  try {
    const inner = depth + 2
    const text = (x: unknown, fallback: string): unknown => prepare(typeof x === 'string' ? x : fallback, inner)
    const props: unknown[] = []
    for (const key of Object.keys(error)) {
      if (key === 'name' || key === 'message' || key === 'stack' || key === 'cause') continue
      const entry = optional(() => [prepare(key, inner + 1), prepare((error as unknown as Record<string, unknown>)[key], inner + 1)])
      if (entry !== undefined) props.push(...entry)
    }
    const stack = typeof error.stack === 'string' ? text(error.stack, '') : undefined
    const fields = [text(error.name, 'Error'), text(error.message, ''), stack, props]
    if (Object.hasOwn(error, 'cause')) {
      const cause = optional(() => [prepare(error.cause, inner)])
      if (cause !== undefined) fields.push(cause[0])
    }
    return new ErrorWire(fields)
  } finally {
    sending.delete(error)
  }
}

/** Runs `f`; `undefined` if what it prepares cannot cross (an error's cause or property is then left out). */
function optional (f: () => unknown[]): unknown[] | undefined {
  try {
    return f()
  } catch (err) {
    if (err instanceof Unencodable) return undefined
    throw err
  }
}

function keySegment (key: string): string {
  return key !== '__proto__' && /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`
}

function utf16Bytes (s: string): Uint8Array {
  const bytes = new Uint8Array(s.length * 2)
  for (let i = 0; i < s.length; i++) {
    const unit = s.charCodeAt(i)
    bytes[2 * i] = unit & 0xff
    bytes[2 * i + 1] = unit >> 8
  }
  return bytes
}

function messageOf (err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

// ---------------------------------------------------------------------------------------------
// extensions (each `read` gets its payload already decoded, and checks its shape)

/** msgpackr calls a `pack` extension with a writer as second argument (as for its Date); the .d.ts omits it. */
type Reserve = (size: number) => { target: Uint8Array, targetView: DataView, position: number }

addExtension({
  Class: NegativeZero,
  type: NEGATIVE_ZERO_TYPE,
  pack: ((_value: unknown, reserve: Reserve) => {
    const { target, targetView, position } = reserve(9)
    target[position] = 0xcb
    targetView.setFloat64(position + 1, -0)
  }) as unknown as (value: unknown) => Uint8Array
})
addExtension({ Class: Pid, type: EXT.pid, write: (p: Pid) => [p.node, p.id, p.creation], read: (d: unknown) => identity('pid', d) })
addExtension({ Class: Ref, type: EXT.ref, write: (r: Ref) => [r.node, r.id, r.creation], read: (d: unknown) => identity('ref', d) })
addExtension({ Class: MapWire, type: EXT.map, write: (w: MapWire) => w.entries, read: readMap })
addExtension({ Class: SetWire, type: EXT.set, write: (w: SetWire) => w.items, read: readSet })
addExtension({ Class: ObjectWire, type: EXT.object, write: (w: ObjectWire) => w.entries, read: readObject })
addExtension({ Class: Utf16Wire, type: EXT.utf16, write: (w: Utf16Wire) => w.units, read: readUtf16 })
addExtension({ Class: ErrorWire, type: EXT.error, write: (w: ErrorWire) => w.fields, read: readError })

function identity (kind: 'pid' | 'ref', d: unknown): Pid | Ref {
  if (!Array.isArray(d) || d.length !== 3) throw new DecodeError(`a ${kind} must be [node, id, creation]`)
  try {
    return kind === 'pid' ? new Pid(d[0], d[1], d[2]) : new Ref(d[0], d[1], d[2])
  } catch (err) {
    throw new DecodeError(`invalid ${kind}: ${messageOf(err)}`)
  }
}

function checkPairs (kind: string, d: unknown): asserts d is unknown[] {
  if (!Array.isArray(d) || d.length % 2 !== 0) throw new DecodeError(`a ${kind} must be [key, value, key, value, …]`)
}

function readMap (d: unknown): Map<unknown, unknown> {
  checkPairs('map', d)
  const map = new Map<unknown, unknown>()
  for (let i = 0; i < d.length; i += 2) map.set(d[i], d[i + 1])
  return map
}

function readSet (d: unknown): Set<unknown> {
  if (!Array.isArray(d)) throw new DecodeError('a set must be an array of items')
  return new Set(d)
}

/** Own data properties, defined rather than assigned, so a `__proto__` key is just a key. */
function defineAll (target: object, kind: string, d: unknown, reserved?: ReadonlySet<string>): void {
  checkPairs(kind, d)
  for (let i = 0; i < d.length; i += 2) {
    const key = d[i]
    if (typeof key !== 'string' || reserved?.has(key) === true) throw new DecodeError(`bad ${kind} key ${typeof key === 'string' ? JSON.stringify(key) : `of type ${typeof key}`}`)
    Object.defineProperty(target, key, { value: d[i + 1], writable: true, enumerable: true, configurable: true })
  }
}

function readObject (d: unknown): Record<string, unknown> {
  const obj: Record<string, unknown> = {}
  defineAll(obj, 'object', d)
  return obj
}

function readUtf16 (d: unknown): string {
  if (!(d instanceof Uint8Array) || d.length % 2 !== 0) throw new DecodeError('a UTF-16 string must be an even number of bytes')
  const units = new Uint16Array(d.length / 2)
  for (let i = 0; i < units.length; i++) units[i] = d[2 * i]! | (d[2 * i + 1]! << 8)
  let s = ''
  for (let i = 0; i < units.length; i += 8192) s += String.fromCharCode(...units.subarray(i, i + 8192))
  return s
}

/** Rebuilt by name; any other name is a plain Error with that `.name`. Never a lookup on a plain object. */
const STANDARD_ERRORS = new Map<string, ErrorConstructor>([
  ['Error', Error], ['TypeError', TypeError], ['RangeError', RangeError], ['SyntaxError', SyntaxError],
  ['ReferenceError', ReferenceError], ['EvalError', EvalError], ['URIError', URIError]
])
const ERROR_SLOTS: ReadonlySet<string> = new Set(['name', 'message', 'stack', 'cause'])

function readError (d: unknown): Error {
  if (!Array.isArray(d) || (d.length !== 4 && d.length !== 5)) throw new DecodeError('an error must be [name, message, stack, props, cause?]')
  const [name, message, stack, props] = d as unknown[]
  if (typeof name !== 'string' || typeof message !== 'string' || (stack !== undefined && typeof stack !== 'string')) {
    throw new DecodeError('an error needs a string name and message, and a string or undefined stack')
  }
  const Standard = STANDARD_ERRORS.get(name)
  const error = d.length === 5 ? new (Standard ?? Error)(message, { cause: d[4] }) : new (Standard ?? Error)(message)
  if (Standard === undefined) error.name = name
  if (stack === undefined) delete error.stack
  else Object.defineProperty(error, 'stack', { value: stack, writable: true, enumerable: false, configurable: true })
  defineAll(error, 'error property', props, ERROR_SLOTS)
  return error
}

// ---------------------------------------------------------------------------------------------
// decode

/** Decodes one frame holding exactly one value. Throws {@link DecodeError} for anything malformed. */
export function decode (bytes: Uint8Array): unknown {
  if (!(bytes instanceof Uint8Array)) throw new DecodeError(`a frame must be a Uint8Array, got ${typeof bytes}`)
  let view: Uint8Array
  try {
    // a plain view of our own: bins decode as Uint8Array (not Buffer), and msgpackr's
    // `.dataView` cache lands on it rather than on the caller's array
    view = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  } catch (err) {
    throw new DecodeError(`unreadable frame: ${messageOf(err)}`, undefined, { cause: err })
  }
  scan(view)
  try {
    return packr.unpack(view)
  } catch (err) {
    if (err instanceof DecodeError) throw err
    throw new DecodeError(`malformed frame: ${messageOf(err)}`, undefined, { cause: err })
  }
}

const PROTO_KEY = new TextEncoder().encode('__proto__')

/**
 * Checks that `bytes` holds exactly one value of the forms above, iteratively (no recursion),
 * reading headers and skipping payloads. A frame that passes has every declared byte present.
 */
function scan (bytes: Uint8Array): void {
  const s = new Scanner(bytes)
  const left: number[] = [] // items still to come in each open container
  const maps: boolean[] = []
  do {
    const start = s.pos
    const top = left.length - 1
    const items = s.header(top >= 0 && maps[top] === true && left[top]! % 2 === 0)
    if (items > 0) {
      if (left.length >= MAX_DEPTH) s.fail(`nesting deeper than ${MAX_DEPTH} levels`, start)
      if (items > bytes.length - s.pos) s.fail(`declared ${items} items but only ${bytes.length - s.pos} bytes are left`, start)
      left.push(items)
      maps.push(s.opensMap)
    } else {
      // a value is complete: close every container it completes
      while (left.length > 0 && --left[left.length - 1]! === 0) { left.pop(); maps.pop() }
    }
  } while (left.length > 0)
  const extra = bytes.length - s.pos
  if (extra !== 0) s.fail(`${extra} trailing byte${extra === 1 ? '' : 's'} after the value`)
}

class Scanner {
  pos = 0
  /** Whether the last header opened a map (its items are key, value, key, value…). */
  opensMap = false
  constructor (private readonly b: Uint8Array) {}

  fail (what: string, at = this.pos): never {
    throw new DecodeError(what, at)
  }

  /** Reads one value's header and skips its payload; returns how many items it opens (0 for none). */
  header (isKey: boolean): number {
    const start = this.pos
    const t = this.uint(1)
    this.opensMap = false
    if (t >= 0xa0 && t <= 0xbf) return this.str(t & 0x1f, isKey, start)
    if (t >= 0xd9 && t <= 0xdb) return this.str(this.uint(1 << (t - 0xd9)), isKey, start)
    if (isKey) this.fail('map key is not a string', start)
    if (t <= 0x7f || t >= 0xe0) return 0 // fixint
    if (t <= 0x8f) { this.opensMap = true; return (t & 0x0f) * 2 }
    if (t <= 0x9f) return t & 0x0f
    switch (t) {
      case 0xc0: case 0xc2: case 0xc3: return 0 // nil, false, true
      case 0xc4: case 0xc5: case 0xc6: return this.skip(this.uint(1 << (t - 0xc4))) // bin 8/16/32
      case 0xc7: case 0xc8: case 0xc9: { // ext 8/16/32
        const length = this.uint(1 << (t - 0xc7))
        return this.ext(this.uint(1), length, start)
      }
      case 0xca: return this.skip(4) // float 32
      case 0xcb: return this.skip(8) // float 64
      case 0xcc: case 0xcd: case 0xce: case 0xcf: // uint 8..64
      case 0xd0: case 0xd1: case 0xd2: case 0xd3: return this.skip(1 << ((t - 0xcc) % 4)) // int 8..64
      case 0xd4: return this.fixext1(start)
      case 0xd5: case 0xd6: case 0xd7: case 0xd8: return this.ext(this.uint(1), 2 << (t - 0xd5), start) // fixext 2..16
      case 0xdc: case 0xdd: return this.uint(t === 0xdc ? 2 : 4) // array 16/32
      case 0xde: case 0xdf: this.opensMap = true; return this.uint(t === 0xde ? 2 : 4) * 2 // map 16/32
      default: return this.fail(`byte 0x${t.toString(16)} starts no value`, start) // 0xc1, never used
    }
  }

  /** undefined (type 0), one of this codec's wrappers (then one value follows), or a 1-byte extension. */
  private fixext1 (start: number): number {
    const type = this.uint(1)
    if (type === 0 || WRAPPERS.has(type)) {
      if (this.uint(1) !== 0) this.fail(`extension ${type} must have a zero data byte`, start)
      return type === 0 ? 0 : 1
    }
    if (type === TIMESTAMP) return this.skip(1) // msgpackr's invalid Date
    return this.ext(type, 1, start)
  }

  private ext (type: number, length: number, start: number): 0 {
    const known = type === TIMESTAMP ? length === 4 || length === 8 || length === 12 : type === MSGPACKR_BIGINT && length > 0
    if (!known) this.fail(`extension type ${type} of length ${length} is not part of this protocol`, start)
    return this.skip(length)
  }

  private str (length: number, isKey: boolean, start: number): 0 {
    if (isKey && length === PROTO_KEY.length && PROTO_KEY.every((c, i) => this.b[this.pos + i] === c)) {
      this.fail('map key __proto__ is not allowed', start)
    }
    return this.skip(length)
  }

  private uint (n: number): number {
    if (this.pos + n > this.b.length) this.fail('frame ends inside a header')
    let v = 0
    for (let i = 0; i < n; i++) v = v * 256 + this.b[this.pos++]!
    return v
  }

  private skip (n: number): 0 {
    if (n > this.b.length - this.pos) this.fail(`declared length ${n} is longer than the ${this.b.length - this.pos} bytes left`)
    this.pos += n
    return 0
  }
}
