/** Type tests: the global registry plugs into core's `{ global }` names, and its messages are typed. */
import { describe, expectTypeOf, it } from 'vitest'
import type { NameRegistry, Pid } from '@gen-cluster/core'
import type { GlobalRegistry, NameConflictMessage, Resolver } from '../src/global/index.js'

describe('global registry types', () => {
  it('is a NameRegistry whose registerName resolves to a boolean', () => {
    expectTypeOf<GlobalRegistry>().toMatchTypeOf<NameRegistry>()
    expectTypeOf<ReturnType<GlobalRegistry['registerName']>>().toEqualTypeOf<Promise<boolean>>()
    expectTypeOf<ReturnType<GlobalRegistry['whereisName']>>().toEqualTypeOf<Pid | undefined>()
  })

  it('types the conflict message and accepts built-in and custom resolvers', () => {
    expectTypeOf<NameConflictMessage>().toEqualTypeOf<{ readonly type: 'name:conflict', readonly name: string, readonly kept: Pid | null }>()
    expectTypeOf<'notify'>().toMatchTypeOf<Resolver>()
    expectTypeOf<(name: string, a: Pid, b: Pid) => 'b'>().toMatchTypeOf<Resolver>()
    expectTypeOf<'first'>().not.toMatchTypeOf<Resolver>()
  })
})
