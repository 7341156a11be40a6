/**
 * A peer that holds the secret cannot answer for another node: a reply or a DOWN about a call or a
 * monitor towards node x, sent by node p, is ignored (refs are easy to guess; the sender is not).
 */
import { describe, expect, it } from 'vitest'
import { call, createNode, forgetNode, monitor, Pid, silentLogger, spawn } from '@gen-cluster/core'
import type { CallTag, Distribution, DistributionHost, Ref } from '@gen-cluster/core'
import { probe, settle, waitFor } from '@gen-cluster/core/testing'
import { Op, VERSION, frame } from '../src/protocol.js'
import { Peer } from '../src/peer.js'
import type { Link } from '../src/transport.js'

class FakeLink implements Link {
  readonly remoteId = 'fake'
  readonly remoteAddress = 'mem://p'
  readonly direction = 'inbound'
  readonly bufferedBytes = 0
  onFrame = (): void => {}
  onClose = (): void => {}
  send (): void {}
  close (): void {}
}

function setup (): { host: DistributionHost, tags: CallTag[], mons: Ref[], core: ReturnType<typeof createNode>, peer: (name: string) => Peer } {
  let host: DistributionHost | undefined
  const tags: CallTag[] = []
  const mons: Ref[] = []
  const d: Distribution = {
    attach (h) { host = h },
    isConnected: () => true,
    connectedNodes: () => [],
    system () {}, start () {},
    send () {}, sendNamed () {}, cast () {}, reply () {}, replyError () {},
    call (_to, _r, tag) { tags.push(tag) },
    link () {}, unlink () {}, exit () {}, demonitor () {}, down () {},
    monitor (_w, _t, ref) { mons.push(ref) }
  }
  const core = createNode({ name: 'a@forge', creation: 1, distribution: d, logger: silentLogger })
  const peer = (name: string): Peer => new Peer({ name, creation: 1, peerId: 'f', addresses: [], version: VERSION, hidden: false }, new FakeLink(), host as DistributionHost, { heard () {}, members () {}, bye () {} }, silentLogger('p'))
  return { host: host as DistributionHost, tags, mons, core, peer }
}

describe('answers from the wrong node', () => {
  it('ignores a reply to a call towards x sent by p, and takes the one x sends', async () => {
    const { tags, core, peer } = setup()
    try {
      const onX = new Pid('x@forge', 5, 1)
      const reply = probe(core).run(async () => await call(onX, 'hi', { timeout: 2000 }))
      await waitFor(() => tags.length === 1)
      peer('p@forge').receive(frame({ op: Op.Reply, ref: (tags[0] as CallTag).ref, value: 'forged by p' }))
      peer('p@forge').receive(frame({ op: Op.ReplyError, ref: (tags[0] as CallTag).ref, error: new Error('forged') }))
      peer('x@forge').receive(frame({ op: Op.Reply, ref: (tags[0] as CallTag).ref, value: 'from x' }))
      expect(await reply).toBe('from x')
    } finally {
      forgetNode(core)
    }
  })

  it('ignores a DOWN for a monitor on x sent by p', async () => {
    const { mons, core, peer } = setup()
    try {
      const onX = new Pid('x@forge', 5, 1)
      const got: unknown[] = []
      const watcher = spawn(async ({ receive }) => { monitor(onX); got.push(await receive()) }, { node: core })
      await waitFor(() => mons.length === 1)
      peer('p@forge').receive(frame({ op: Op.Down, watcher, target: new Pid('p@forge', 1, 1), ref: mons[0] as Ref, reason: 'kill' }))
      await settle()
      expect(got).toEqual([])
      peer('x@forge').receive(frame({ op: Op.Down, watcher, target: onX, ref: mons[0] as Ref, reason: 'shutdown' }))
      await waitFor(() => got.length === 1)
      expect(got[0]).toMatchObject({ type: 'DOWN', reason: 'shutdown' })
    } finally {
      forgetNode(core)
    }
  })
})
