import {
  BadReturnError, CallExitError, CallTimeoutError, InvalidBehaviourError, isExitReason, NodeDownError, NoProcError, Pid, Ref
} from '@gen-cluster/core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decode, DecodeError, encode, EncodeError, MAX_DEPTH } from '../src/codec.js'

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')
const frame = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h.replace(/\s+/g, ''), 'hex'))
const ascii = (s: string): string => Buffer.from(s).toString('hex')
const roundTrip = <T>(value: T): T => decode(encode(value)) as T

/** What `fn` threw (fails the test if it did not throw). */
function thrown (fn: () => unknown): Error & { path?: string, offset?: number } {
  try {
    fn()
  } catch (err) {
    return err as Error
  }
  throw new Error('expected a throw')
}

/** Deep equality of a decoded value with the original, by the codec's contract. */
function same (actual: unknown, expected: unknown): boolean {
  if (typeof expected !== 'object' || expected === null) return Object.is(actual, expected)
  if (typeof actual !== 'object' || actual === null) return false
  if (expected instanceof Pid) return actual instanceof Pid && actual.equals(expected)
  if (expected instanceof Ref) return actual instanceof Ref && actual.equals(expected)
  if (expected instanceof Uint8Array) return actual.constructor === Uint8Array && Buffer.from(actual as Uint8Array).equals(expected)
  if (expected instanceof Date) return actual instanceof Date && Object.is(actual.getTime(), expected.getTime())
  if (expected instanceof Map) return actual instanceof Map && sameList([...actual], [...expected])
  if (expected instanceof Set) return actual instanceof Set && sameList([...actual], [...expected])
  if (expected instanceof Error) {
    return actual instanceof Error && actual.name === expected.name && actual.message === expected.message &&
      actual.stack === expected.stack && Object.hasOwn(actual, 'cause') === Object.hasOwn(expected, 'cause') &&
      same(actual.cause, expected.cause) && sameProps(actual, expected, ['name', 'message', 'stack', 'cause'])
  }
  if (Array.isArray(expected)) return Array.isArray(actual) && sameList(actual, expected)
  return Object.getPrototypeOf(actual) === Object.prototype && sameProps(actual, expected, [])
}

function sameList (a: unknown[], e: unknown[]): boolean {
  return a.length === e.length && e.every((x, i) => same(a[i], x))
}

function sameProps (a: object, e: object, skip: string[]): boolean {
  const ak = Object.keys(a).filter(k => !skip.includes(k))
  const ek = Object.keys(e).filter(k => !skip.includes(k))
  return sameList(ak, ek) && ek.every(k => same((a as Record<string, unknown>)[k], (e as Record<string, unknown>)[k]))
}

function withProps<T extends object> (target: T, entries: Array<[string, unknown]>): T {
  for (const [key, value] of entries) Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true })
  return target
}

// ---------------------------------------------------------------------------------------------
// arbitraries

const loneSurrogates = fc.string({
  unit: fc.oneof(fc.integer({ min: 0xd800, max: 0xdfff }).map(c => String.fromCharCode(c)), fc.constantFrom('a', 'é', '😀'))
})
const keyArb = fc.oneof(fc.string(), fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', ''), loneSurrogates)
const nodeArb = fc.string({ minLength: 1, maxLength: 12, unit: 'binary' })
const pidArb = fc.tuple(nodeArb, fc.nat(), fc.nat()).map(([n, i, c]) => new Pid(n, i, c))
const refArb = fc.tuple(nodeArb, fc.nat(), fc.nat()).map(([n, i, c]) => new Ref(n, i, c))
const leafArb = fc.oneof(
  fc.boolean(), fc.integer(), fc.double(), fc.string({ unit: 'binary' }), loneSurrogates,
  fc.constantFrom(null, undefined, 0, -0, NaN, Infinity, -Infinity, 2 ** 53, -(2 ** 31) - 1, 2 ** 32, Number.MIN_VALUE),
  fc.bigInt(), fc.bigInt({ min: -(2n ** 1100n), max: 2n ** 1100n }), fc.date({ noInvalidDate: false }),
  pidArb, refArb, fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ maxLength: 40 }).map(b => Buffer.from(b))
)
const errorArb = fc.record({
  name: fc.oneof(fc.constantFrom('Error', 'TypeError', 'RangeError', 'NoProcError', 'constructor', '__proto__', 'Function'), fc.string()),
  message: fc.string({ unit: 'binary' }),
  cause: fc.option(fc.tuple(leafArb), { nil: undefined }),
  props: fc.array(fc.tuple(keyArb.filter(k => !['name', 'message', 'stack', 'cause'].includes(k)), leafArb), { maxLength: 3 })
}).map(r => {
  const error = r.cause === undefined ? new Error(r.message) : new Error(r.message, { cause: r.cause[0] })
  error.name = r.name
  return withProps(error, r.props)
})
const valueArb = fc.anything({
  key: keyArb,
  values: [leafArb, errorArb],
  maxDepth: 4,
  withMap: true,
  withSet: true,
  withNullPrototype: true,
  withObjectString: true
})

/** Decodes `bytes`; anything but a DecodeError fails, and what decodes must re-encode to an equal value. */
function decodesOrRejects (bytes: Uint8Array): void {
  let value: unknown
  try {
    value = decode(bytes)
  } catch (err) {
    if (!(err instanceof DecodeError)) throw err
    expect(err.name).toBe('DecodeError')
    return
  }
  expect(same(roundTrip(value), value)).toBe(true)
}

// ---------------------------------------------------------------------------------------------

describe('codec round trip', () => {
  it('writes plain messages and pids as compact standard MessagePack (pinned bytes)', () => {
    expect(hex(encode({ type: 'add', by: 2 }))).toBe('82a474797065a3616464a2627902')
    expect(hex(encode(new Pid('a', 7, 1)))).toBe('d45000' + '93a1610701')
    expect(hex(encode(new Ref('a', 9, 1)))).toBe('d45100' + '93a1610901')
    expect(hex(encode(-0))).toBe('cb8000000000000000')
    expect(hex(encode(undefined))).toBe('d40000')
  })

  it('round-trips each supported kind of value to an equal value', () => {
    const values: unknown[] = [
      null, true, false, 0, -0, 1, -1, 255, -129, 2 ** 31, 2 ** 32, 2 ** 53 + 2, 1.5, -1e300, Number.MIN_VALUE, NaN, Infinity, -Infinity,
      '', 'plain', 'héllo wörld', '日本語', '😀 emoji', 'a\ud800b', '\udc00', 'x'.repeat(70_000),
      0n, -1n, 2n ** 63n - 1n, -(2n ** 63n), 2n ** 64n - 1n, 2n ** 64n, -(2n ** 64n), 2n ** 2000n + 7n, -(2n ** 2000n) - 7n,
      new Date(0), new Date(1_700_000_000_123), new Date(-1500), new Date(8.64e15), new Date(-8.64e15), new Date(NaN),
      new Uint8Array(), new Uint8Array([0, 1, 255]), new Uint8Array(70_000).fill(7),
      [], [undefined, null, [undefined]], { a: undefined, b: { c: [1, { d: -0 }] } }, Object.assign(Object.create(null) as object, { x: 1 }),
      new Map(), new Map<unknown, unknown>([[1, 'one'], ['1', 1], [{ k: 1 }, [2]], [new Pid('n', 1, 1), new Set([1n])]]),
      new Set(), new Set([1, '1', undefined, null, new Date(5)]),
      new Pid('a@host', 42, 7), new Ref('b@höst', 0, 0), { to: new Pid('n', 1, 2), ref: new Ref('n', 3, 2), request: { type: 'add', by: 2 } }
    ]
    values.forEach((value, i) => { expect(same(roundTrip(value), value), `values[${i}]`).toBe(true) })
  })

  it('decodes pids and refs as real Pid and Ref instances that equal the originals', () => {
    const pid = new Pid('a@host', 42, 7)
    const ref = new Ref('a@host', 9, 7)
    const back = roundTrip({ pid, ref, both: [pid, ref] })
    expect(back.pid).toBeInstanceOf(Pid)
    expect(back.pid.equals(pid)).toBe(true)
    expect(back.pid.key).toBe(pid.key)
    expect(back.ref).toBeInstanceOf(Ref)
    expect(back.ref.equals(ref)).toBe(true)
    expect(back.both[0]).toBeInstanceOf(Pid)
    expect(back.both[1]).toBeInstanceOf(Ref)
  })

  it('keeps name, message, stack, cause and own properties of the core errors', () => {
    const timeout = roundTrip(new CallTimeoutError('srv', 5000))
    expect(timeout).toBeInstanceOf(Error)
    expect(timeout.name).toBe('CallTimeoutError')
    expect(timeout.timeout).toBe(5000)
    const noProc = new NoProcError('<a.1.1>')
    const back = roundTrip(noProc)
    expect([back.name, back.message, back.stack, back.target]).toEqual([noProc.name, noProc.message, noProc.stack, noProc.target])
    expect(roundTrip(new NodeDownError('b@h')).node).toBe('b@h')
    expect(roundTrip(new InvalidBehaviourError('init', 'must be a function')).field).toBe('init')
    const exit = roundTrip(new CallExitError('srv', new NoProcError('x')))
    expect(exit.name).toBe('CallExitError')
    expect((exit.reason as Error).name).toBe('NoProcError')
    expect((exit.cause as Error).name).toBe('NoProcError')
    expect((exit.cause as NoProcError).target).toBe('x')
    for (const error of [noProc, new CallTimeoutError('s', 1), exit]) expect(same(roundTrip(error), error)).toBe(true)
  })

  it('rebuilds the standard error classes by name and a plain Error with the same .name for every other name', () => {
    const type = roundTrip(new TypeError('bad', { cause: 1 }))
    expect(type).toBeInstanceOf(TypeError)
    expect([type.name, type.message, type.cause]).toEqual(['TypeError', 'bad', 1])
    expect(Object.keys(type)).toEqual([])
    expect(roundTrip(new RangeError('r'))).toBeInstanceOf(RangeError)
    for (const name of ['NoProcError', 'constructor', '__proto__', 'Function', 'hasOwnProperty']) {
      const error = new Error('m')
      error.name = name
      const back = roundTrip(error)
      expect(Object.getPrototypeOf(back)).toBe(Error.prototype)
      expect(back.name).toBe(name)
    }
  })

  it('leaves out an error\'s cause or property that cannot cross, and still sends the error', () => {
    const bad = roundTrip(new BadReturnError('handleCall', () => 1, 'must return { reply }'))
    expect(bad.name).toBe('BadReturnError')
    expect(bad.callback).toBe('handleCall')
    expect(Object.hasOwn(bad, 'value')).toBe(false)
    const cyclic = new Error('loop')
    cyclic.cause = cyclic
    const back = roundTrip(cyclic)
    expect(back.message).toBe('loop')
    expect(Object.hasOwn(back, 'cause')).toBe(false)
    const withFn = new Error('x', { cause: Symbol('s') })
    expect(Object.hasOwn(roundTrip(withFn), 'cause')).toBe(false)
  })

  it('carries exit reasons as plain values', () => {
    const reasons = ['normal', 'shutdown', { shutdown: { why: 'upgrade', at: new Date(1) } }, 'kill', 'killed', 'noproc', 'noconnection']
    const back = roundTrip(reasons)
    expect(same(back, reasons)).toBe(true)
    for (const reason of back) expect(isExitReason(reason)).toBe(true)
  })

  it('decodes a Buffer as a plain Uint8Array that owns its memory', () => {
    const bytes = encode({ data: Buffer.from('hello') })
    const back = decode(bytes) as { data: Uint8Array }
    expect(back.data.constructor).toBe(Uint8Array)
    expect(Buffer.from(back.data).toString()).toBe('hello')
    expect(back.data.buffer).not.toBe(bytes.buffer)
    expect(back.data.byteLength).toBe(back.data.buffer.byteLength)
  })

  it('decodes a frame given as a Buffer or as a view at an offset, without touching the caller\'s array', () => {
    const bytes = encode([new Pid('a', 1, 1), 'x'])
    const padded = Buffer.concat([Buffer.from([1, 2, 3]), bytes, Buffer.from([4])]).subarray(3, 3 + bytes.length)
    expect(same(decode(padded), [new Pid('a', 1, 1), 'x'])).toBe(true)
    expect(Object.keys(padded).includes('dataView') || 'dataView' in padded).toBe(false)
  })

  it('keeps own __proto__, constructor and prototype keys as plain data', () => {
    const hostile = JSON.parse('{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}, "prototype": 1}') as object
    const back = roundTrip(hostile)
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype)
    expect(Object.keys(back)).toEqual(['__proto__', 'constructor', 'prototype'])
    expect(same(back, hostile)).toBe(true)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('returns frames that later encodes never overwrite', () => {
    const first = encode([3])
    const copy = hex(first)
    for (let i = 0; i < 5000; i++) encode({ i, s: 'x'.repeat(i % 300) })
    encode(new Uint8Array(1 << 20))
    for (let i = 0; i < 100; i++) encode([i])
    expect(hex(first)).toBe(copy)
    expect(decode(first)).toEqual([3])
  })

  it('writes every frame self-contained: two values of one shape give the same bytes and decode in any order', () => {
    const a = encode({ type: 'add', by: 1, from: new Pid('n', 1, 1) })
    const b = encode({ type: 'add', by: 1, from: new Pid('n', 1, 1) })
    expect(hex(a)).toBe(hex(b))
    expect(hex(a)).not.toContain('d472') // no msgpackr record definition
    const c = encode({ type: 'sub', by: 2 })
    expect(decode(c)).toEqual({ type: 'sub', by: 2 })
    expect(same(decode(a), { type: 'add', by: 1, from: new Pid('n', 1, 1) })).toBe(true)
  })

  it('round-trips arbitrary values: objects, arrays, maps, sets, bigints, dates, bytes, pids, refs, errors, -0, lone surrogates', () => {
    fc.assert(fc.property(valueArb, value => same(roundTrip(value), value)), { numRuns: 2000 })
  }, 60_000)
})

describe('encode', () => {
  it('throws EncodeError naming the path of a function, a symbol or an unsupported class instance', () => {
    class Point { x = 1 }
    const cases: Array<[unknown, string, RegExp]> = [
      [() => 1, '$', /function/],
      [{ a: { b: [1, function handler () {}] } }, '$.a.b[1]', /function \(handler\)/],
      [{ s: Symbol('x') }, '$.s', /symbol/],
      [{ list: [new Point()] }, '$.list[0]', /instance of Point/],
      [{ 'a b': new WeakMap() }, '$["a b"]', /WeakMap/],
      [{ m: new Map([['k', /re/]]) }, '$.m.values()[0]', /RegExp/],
      [{ m: new Map([[Symbol('k'), 1]]) }, '$.m.keys()[0]', /symbol/],
      [{ s: new Set([1, new Int16Array(2)]) }, '$.s.values()[1]', /Int16Array/],
      [[new ArrayBuffer(2)], '$[0]', /ArrayBuffer/],
      [{ d: new DataView(new ArrayBuffer(1)) }, '$.d', /DataView/],
      [{ p: Promise.resolve() }, '$.p', /Promise/],
      [{ boxed: Object('s') as unknown }, '$.boxed', /String/],
      [withProps({}, [['__proto__', { f: () => 1 }]]), '$["__proto__"].f', /function/],
      [{ to: new Pid('a\ud800', 1, 1) }, '$.to', /lone surrogate/]
    ]
    for (const [value, path, message] of cases) {
      const err = thrown(() => encode(value))
      expect(err).toBeInstanceOf(EncodeError)
      expect(err.name).toBe('EncodeError')
      expect(err.path).toBe(path)
      expect(err.message).toMatch(message)
      expect(err.message).toContain(path)
    }
  })

  it('throws EncodeError for a cyclic value instead of overflowing the stack', () => {
    const cyclic: Record<string, unknown> = { a: 1 }
    cyclic.self = cyclic
    const err = thrown(() => encode({ outer: cyclic }))
    expect(err.name).toBe('EncodeError')
    expect(err.message).toMatch(/deeper than 256 levels \(or a cycle\)/)
    expect(err.path).toMatch(/^\$\.outer\.self\.self/)
  })

  it(`accepts ${MAX_DEPTH} levels of nesting and rejects one more, so what encodes always decodes`, () => {
    const nest = (levels: number, wrap: (v: unknown) => unknown): unknown => {
      let v: unknown = 1
      for (let i = 0; i < levels; i++) v = wrap(v)
      return v
    }
    expect(same(roundTrip(nest(MAX_DEPTH, v => [v])), nest(MAX_DEPTH, v => [v]))).toBe(true)
    expect(thrown(() => encode(nest(MAX_DEPTH + 1, v => [v]))).name).toBe('EncodeError')
    expect(decode(encode(nest(MAX_DEPTH, v => ({ v }))))).toBeTruthy()
    // a Map or Set is two wire levels (extension wrapper + array), a pid too, an error three
    expect(same(roundTrip(nest(MAX_DEPTH / 2, v => new Map([[1, v]]))), nest(MAX_DEPTH / 2, v => new Map([[1, v]])))).toBe(true)
    expect(thrown(() => encode(nest(MAX_DEPTH / 2 + 1, v => new Set([v])))).name).toBe('EncodeError')
    expect(roundTrip(nest(MAX_DEPTH - 2, v => [v]))).toBeTruthy()
    expect(same(roundTrip(nest(MAX_DEPTH - 2, v => [v === 1 ? new Pid('a', 1, 1) : v])), nest(MAX_DEPTH - 2, v => [v === 1 ? new Pid('a', 1, 1) : v]))).toBe(true)
    expect(thrown(() => encode(nest(MAX_DEPTH - 1, v => [v === 1 ? new Pid('a', 1, 1) : v]))).name).toBe('EncodeError')
    const deepError = nest(MAX_DEPTH - 3, v => [v === 1 ? new Error('deep') : v])
    expect(same(roundTrip(deepError), deepError)).toBe(true)
    expect(thrown(() => encode([deepError])).name).toBe('EncodeError')
  })
})

describe('decode of hostile input', () => {
  it('rejects empty, garbage and every truncation of a frame with DecodeError', () => {
    const value = { s: 'héllo', n: [1, 2 ** 40, -0, 1.5], b: 2n ** 100n, m: new Map([[1, new Set([new Pid('a', 1, 1)])]]), e: new NoProcError('x'), d: new Date(1), u: new Uint8Array(300) }
    const bytes = encode(value)
    for (let end = 0; end < bytes.length; end++) {
      const err = thrown(() => decode(bytes.subarray(0, end)))
      expect(err.name, `prefix of ${end} bytes`).toBe('DecodeError')
    }
    for (const garbage of ['c1', 'ff ff', '91', 'd4', 'd4 50', 'd4 50 00', 'dc 00', 'cb 00 00']) {
      expect(thrown(() => decode(frame(garbage))).name).toBe('DecodeError')
    }
    expect(thrown(() => decode('not bytes' as unknown as Uint8Array)).name).toBe('DecodeError')
  })

  it('rejects trailing bytes after one value', () => {
    const err = thrown(() => decode(frame(hex(encode({ a: 1 })) + '00')))
    expect(err.name).toBe('DecodeError')
    expect(err.message).toMatch(/1 trailing byte after the value/)
    expect(thrown(() => decode(frame(hex(encode(1)) + hex(encode(2))))).name).toBe('DecodeError')
  })

  it(`rejects nesting deeper than ${MAX_DEPTH} levels with DecodeError, without recursing`, () => {
    const deep = new Uint8Array(100_001).fill(0x91)
    deep[100_000] = 0xc0
    const err = thrown(() => decode(deep))
    expect(err.name).toBe('DecodeError')
    expect(err.message).toMatch(/nesting deeper than 256 levels/)
    expect(err.offset).toBe(MAX_DEPTH)
    expect(decode(frame('91'.repeat(MAX_DEPTH) + 'c0'))).toBeTruthy()
    expect(thrown(() => decode(frame('91'.repeat(MAX_DEPTH + 1) + 'c0'))).name).toBe('DecodeError')
    expect(thrown(() => decode(frame('81a161'.repeat(300) + 'c0'))).name).toBe('DecodeError')
    expect(thrown(() => decode(frame('d45400'.repeat(300) + '90'))).name).toBe('DecodeError')
  })

  it('rejects a declared length longer than the input before allocating for it', () => {
    for (const h of [
      'db ffffffff 61', 'da ffff 61', 'c6 ffffffff 00', 'dd ffffffff c0', 'dc 03e8 c0c0c0', 'df ffffffff a161 01',
      'de 0005 a161 01', 'c9 ffffffff 42 00', 'c7 ff 42 00', '92 dd 0000ffff c0 c0'
    ]) {
      const err = thrown(() => decode(frame(h)))
      expect(err.name, h).toBe('DecodeError')
      expect(err.message, h).toMatch(/longer than|bytes are left|ends inside/)
    }
  })

  it('never changes a prototype through __proto__, constructor or prototype keys', () => {
    const polluted = (): unknown => ({} as Record<string, unknown>).polluted ?? (Object.prototype as Record<string, unknown>).polluted
    const proto = `a9${ascii('__proto__')}`
    const payload = `81 a8${ascii('polluted')} c3`
    // a raw map key __proto__ (fixstr or str8) is not ours to send: rejected
    expect(thrown(() => decode(frame(`81 ${proto} ${payload}`))).name).toBe('DecodeError')
    expect(thrown(() => decode(frame(`81 d909${ascii('__proto__')} ${payload}`))).name).toBe('DecodeError')
    // constructor / prototype keys are plain own data
    const raw = decode(frame(`82 ab${ascii('constructor')} 81 a9${ascii('prototype')} ${payload} a9${ascii('prototype')} ${payload}`)) as Record<string, unknown>
    expect(Object.getPrototypeOf(raw)).toBe(Object.prototype)
    expect(Object.keys(raw)).toEqual(['constructor', 'prototype'])
    // our own forms that carry a __proto__ key define it as an own property
    const viaObject = decode(frame(`d45500 92 ${proto} ${payload}`)) as Record<string, unknown>
    expect(Object.getPrototypeOf(viaObject)).toBe(Object.prototype)
    expect(Object.getOwnPropertyNames(viaObject)).toEqual(['__proto__'])
    const viaMap = decode(frame(`d45300 92 ${proto} ${payload}`)) as Map<unknown, unknown>
    expect(viaMap.get('__proto__')).toEqual({ polluted: true })
    const viaError = decode(frame(`d45200 94 a145 a0 d40000 94 ${proto} ${payload} ab${ascii('constructor')} c0`)) as Error
    expect(Object.getPrototypeOf(viaError)).toBe(Error.prototype)
    expect(Object.getOwnPropertyNames(viaError)).toContain('__proto__')
    expect(polluted()).toBeUndefined()
    expect(Object.getPrototypeOf(Object.prototype)).toBeNull()
  })

  it('refuses msgpackr\'s own extensions that would build other classes or share state between frames', () => {
    for (const [what, h] of [
      ['record definition', `d4 72 40 92 a161 a162 01 02`],
      ['RegExp', `d4 78 00 92 a2${ascii('.*')} a0`],
      ['typed array', 'c7 03 74 01 0000'],
      ['ArrayBuffer', 'c7 01 74 10'],
      ['structured-clone id', 'd6 69 00000001 90'],
      ['structured-clone pointer', 'd6 70 00000001'],
      ['bundled strings', 'd6 62 00000000'],
      ['msgpackr error', `d4 65 00 93 ab${ascii('constructor')} a178 c0`],
      ['msgpackr set', 'd4 73 00 90'],
      ['our wrapper in a long form', 'c8 0001 50 00'],
      ['our -0 type', 'd4 57 00 c0'],
      ['unknown type', 'd4 01 00'],
      ['timestamp of a bad length', 'd5 ff 0000'],
      ['empty bigint', 'c7 00 42']
    ]) {
      const err = thrown(() => decode(frame(h!)))
      expect(err.name, what).toBe('DecodeError')
      expect(err.offset, what).toBe(0)
    }
  })

  it('rejects map keys that are not strings', () => {
    for (const h of ['81 01 02', '81 c0 02', '81 90 02', '81 d40000 02', `81 d45000 93a16101 01 02`]) {
      expect(thrown(() => decode(frame(h))).name, h).toBe('DecodeError')
    }
  })

  it('rejects malformed payloads of its own extensions', () => {
    for (const h of [
      'd45000 92 a161 01', // pid of two parts
      'd45000 93 a0 01 01', // empty node
      'd45000 93 a161 ff 01', // negative id
      'd45000 93 a161 cb3ff8000000000000 01', // fractional id
      'd45100 93 01 01 01', // ref with a number for node
      'd45301 90', // nonzero data byte
      'd45300 91 01', // map of an odd length
      'd45300 01', // map of a number
      'd45400 81 a161 01', // set of an object
      'd45500 92 01 02', // object with a number key
      'd45600 c4 01 61', // UTF-16 of an odd length
      'd45600 a161', // UTF-16 as a string
      'd45200 92 a161 a162', // error of two fields
      'd45200 94 01 a0 d40000 90', // error with a number name
      'd45200 94 a145 a0 d40000 92 a4' + ascii('name') + ' 01', // error props naming a slot
      'd45200 94 a145 a0 c3 90' // error with a boolean stack
    ]) {
      const err = thrown(() => decode(frame(h)))
      expect(err.name, h).toBe('DecodeError')
    }
  })

  it('never throws anything but DecodeError on random bytes', () => {
    const chunk = fc.oneof(
      fc.integer({ min: 0, max: 255 }).map(b => [b]),
      fc.constantFrom([0x91], [0x81, 0xa1, 0x61], [0xd4, 0x50, 0x00], [0xd4, 0x51, 0x00], [0xd4, 0x52, 0x00], [0xd4, 0x53, 0x00],
        [0xd4, 0x54, 0x00], [0xd4, 0x55, 0x00], [0xd4, 0x56, 0x00], [0xd4, 0x00, 0x00], [0xdc, 0x00, 0x02], [0xc7, 0x09, 0x42],
        [0xd6, 0xff], [0xc4, 0x02], [0xcb], [0xd3], [0xa9, ...Buffer.from('__proto__')], [0x93, 0xa1, 0x61, 0x01])
    )
    const bytesArb = fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.array(chunk, { maxLength: 24 }).map(cs => Uint8Array.from(cs.flat())))
    fc.assert(fc.property(bytesArb, bytes => { decodesOrRejects(bytes) }), { numRuns: 10_000 })
  }, 60_000)

  it('never throws anything but DecodeError on mutated frames, and what decodes re-encodes to an equal value', () => {
    const mutation = fc.record({ op: fc.constantFrom('set', 'insert', 'delete', 'truncate'), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) })
    fc.assert(fc.property(valueArb, fc.array(mutation, { minLength: 1, maxLength: 4 }), (value, mutations) => {
      const bytes = Array.from(encode(value))
      for (const { op, at, byte } of mutations) {
        const i = at % (bytes.length + 1)
        if (op === 'set') bytes[Math.min(i, bytes.length - 1)] = byte
        else if (op === 'insert') bytes.splice(i, 0, byte)
        else if (op === 'delete') bytes.splice(i, 1)
        else bytes.length = i
      }
      decodesOrRejects(Uint8Array.from(bytes))
    }), { numRuns: 10_000 })
  }, 60_000)
})
