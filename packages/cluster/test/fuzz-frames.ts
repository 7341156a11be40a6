/**
 * fast-check arbitraries for distribution-protocol frames, as a peer of node `a@fuzz` would send
 * them: valid frames of every op, their mutations (bit flips, truncation, extension, swapped or
 * replaced fields), arrays with plausible ops and fields of any type, and random bytes.
 */
import fc from 'fast-check'
import { Pid, Ref } from '@gen-cluster/core'
import type { ExitReason } from '@gen-cluster/core'
import { decode, encode } from '../src/codec.js'
import { Op, frame } from '../src/protocol.js'
import type { Message } from '../src/protocol.js'

export const HERE = 'a@fuzz'
export const PEER = 'p@fuzz'
export const OTHER = 'x@fuzz'

// ---------------------------------------------------------------------------------------------
// arbitraries: valid messages of every op, their mutations, and plausible arrays of wrong fields

const nodeName = fc.constantFrom(HERE, PEER, OTHER)
const pidArb = fc.tuple(nodeName, fc.integer({ min: 0, max: 12 }), fc.constantFrom(1, 2)).map(([n, i, c]) => new Pid(n, i, c))
const refArb = fc.tuple(nodeName, fc.integer({ min: 0, max: 12 }), fc.constantFrom(1, 2)).map(([n, i, c]) => new Ref(n, i, c))
const reasonArb: fc.Arbitrary<ExitReason> = fc.constantFrom<ExitReason>('normal', 'shutdown', 'kill', 'noconnection', { shutdown: 1 }, new Error('boom'))
const leaf = fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constant(undefined), pidArb, refArb, fc.uint8Array({ maxLength: 8 }), fc.bigInt())
const valueArb = fc.oneof(
  { weight: 3, arbitrary: leaf },
  { weight: 1, arbitrary: fc.array(leaf, { maxLength: 4 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 6 }), leaf, { maxKeys: 3 }) },
  { weight: 1, arbitrary: fc.constantFrom(new Error('x'), new Map([[1, 2]]), new Set(['s']), new Date(0)) }
)
const nameArb = fc.oneof(fc.constantFrom('srv', 'global', 'x'), fc.string({ minLength: 1, maxLength: 10 }))
const pidOrName = fc.oneof(pidArb, nameArb)
const optPid = fc.option(pidArb, { nil: undefined })
const member = fc.record({ name: nameArb, creation: fc.nat(), peerId: nameArb, addresses: fc.array(fc.string({ maxLength: 12 }), { maxLength: 2 }) })

const messageArb: fc.Arbitrary<Message> = fc.oneof(
  fc.record({ op: fc.constant(Op.Hello), hello: fc.record({ name: nameArb, creation: fc.nat(), peerId: nameArb, addresses: fc.constant([]), version: fc.nat(3), hidden: fc.boolean() }) }),
  fc.record({ op: fc.constant(Op.Members), members: fc.array(member, { maxLength: 3 }) }),
  fc.constant({ op: Op.Heartbeat }),
  fc.record({ op: fc.constant(Op.Send), to: pidArb, message: valueArb, from: optPid }),
  fc.record({ op: fc.constant(Op.SendNamed), name: nameArb, message: valueArb, from: optPid }),
  fc.record({ op: fc.constant(Op.Cast), to: pidOrName, message: valueArb }),
  fc.record({ op: fc.constant(Op.Call), to: pidOrName, request: valueArb, caller: optPid, ref: refArb }),
  fc.record({ op: fc.constant(Op.Reply), ref: refArb, value: valueArb }),
  fc.record({ op: fc.constant(Op.ReplyError), ref: refArb, error: fc.constant(new TypeError('bad')) }),
  fc.record({ op: fc.constantFrom(Op.Link, Op.Unlink), from: pidArb, to: pidArb }),
  fc.record({ op: fc.constant(Op.Exit), from: pidArb, to: pidArb, reason: reasonArb, linked: fc.boolean() }),
  fc.record({ op: fc.constantFrom(Op.Monitor, Op.Demonitor), watcher: pidArb, target: pidOrName, ref: refArb }),
  fc.record({ op: fc.constant(Op.Down), watcher: pidArb, target: pidArb, ref: refArb, reason: reasonArb }),
  fc.record({ op: fc.constant(Op.Bye), reason: fc.string({ maxLength: 10 }) }),
  fc.oneof(
    fc.record({ op: fc.constant(Op.System), to: pidOrName, kind: fc.constant('getState'), arg: fc.constant(undefined), caller: optPid, ref: refArb }),
    fc.record({ op: fc.constant(Op.System), to: pidOrName, kind: fc.constant('stop'), arg: reasonArb, caller: optPid, ref: refArb }),
    fc.record({ op: fc.constant(Op.System), to: pidOrName, kind: fc.constant('upgrade'), arg: fc.record({ behaviour: nameArb, extra: valueArb }), caller: optPid, ref: refArb })
  ),
  fc.record({
    op: fc.constant(Op.Start),
    behaviour: nameArb,
    arg: valueArb,
    options: fc.record({ link: fc.boolean(), timeout: fc.oneof(fc.nat(), fc.constant(Infinity)), name: fc.option(fc.oneof(nameArb, fc.record({ global: nameArb })), { nil: undefined }) }),
    caller: optPid,
    ref: refArb
  })
) as fc.Arbitrary<Message>

export const validFrame = messageArb.map(frame)

/** Bit flips, truncation, extension, and swapped or replaced fields of a valid frame. */
export const mutatedFrame: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.tuple(validFrame, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 4 })).map(([f, flips]) => {
    const out = Uint8Array.from(f)
    for (const [at, bit] of flips) out[at % out.length] = (out[at % out.length] as number) ^ (1 << bit)
    return out
  }),
  fc.tuple(validFrame, fc.nat()).map(([f, n]) => f.subarray(0, n % f.length)),
  fc.tuple(validFrame, fc.uint8Array({ minLength: 1, maxLength: 16 })).map(([f, tail]) => Uint8Array.from([...f, ...tail])),
  fc.tuple(validFrame, fc.nat(), fc.nat()).map(([f, i, j]) => {
    const v = decode(f) as unknown[]
    const a = i % v.length
    const b = j % v.length;
    [v[a], v[b]] = [v[b], v[a]]
    return encode(v)
  }),
  fc.tuple(validFrame, fc.nat(), valueArb).map(([f, i, x]) => {
    const v = decode(f) as unknown[]
    v[1 + (i % Math.max(1, v.length - 1))] = x
    return encode(v)
  }),
  fc.tuple(validFrame, fc.boolean(), valueArb).map(([f, drop, x]) => {
    const v = decode(f) as unknown[]
    if (drop) v.pop()
    else v.push(x)
    return encode(v)
  })
)

/** Arrays whose first element is a plausible op and whose fields are anything. */
export const randomArray = fc.tuple(fc.oneof(fc.integer({ min: 0, max: 18 }), valueArb), fc.array(valueArb, { maxLength: 7 })).map(([op, fields]) => encode([op, ...fields]))
/** What the fuzzers send: mostly broken frames, some valid ones. */
export const anyFrame = fc.oneof(validFrame, mutatedFrame, mutatedFrame, randomArray, fc.uint8Array({ maxLength: 64 }))
