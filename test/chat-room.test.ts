import { describe, expect, it } from 'vitest'
import { runChatRoom } from '@gen-cluster/examples'

const sorted = (xs: readonly string[]): string[] => [...xs].sort()

describe('chat room example', () => {
  it('delivers every broadcast to exactly the other members present, as members leave and join', async () => {
    const r = await runChatRoom()
    expect(sorted(r.logs.a?.received ?? [])).toEqual(sorted(['b: hello from b', 'c: hello from c', 'c: round two from c', 'd: round two from d']))
    expect(sorted(r.logs.b?.received ?? [])).toEqual(sorted(['a: hello from a', 'c: hello from c']))
    expect(sorted(r.logs.c?.received ?? [])).toEqual(sorted(['a: hello from a', 'b: hello from b', 'a: round two from a', 'd: round two from d']))
    expect(sorted(r.logs.d?.received ?? [])).toEqual(sorted(['a: round two from a', 'c: round two from c']))
  })

  it('tells each member of the joins after its own and of the leave, through its cluster callbacks', async () => {
    const r = await runChatRoom()
    expect(r.logs.a?.events).toEqual(['b joined', 'c joined', 'b left', 'd joined'])
    expect(r.logs.b?.events).toEqual(['c joined'])
    expect(r.logs.c?.events).toEqual(['b left', 'd joined'])
    expect(r.logs.d?.events).toEqual([])
    expect(r.reached.map(x => x.members)).toEqual([3, 3, 3, 3, 3, 3])
  })
})
