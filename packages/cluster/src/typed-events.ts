/**
 * An `EventTarget` whose events are named and typed by an event map (as js-libp2p's
 * `TypedEventEmitter`): `addEventListener('node:up', e => e.detail.node)` needs no cast, and an event
 * name not in the map does not compile.
 */

/** A listener of the `CustomEvent<D>` events of one name. */
export type TypedListener<D> = ((event: CustomEvent<D>) => void) | { handleEvent(event: CustomEvent<D>): void }

export class TypedEventTarget<Events extends object> extends EventTarget {
  override addEventListener<K extends keyof Events & string> (type: K, listener: TypedListener<Events[K]> | null, options?: Parameters<EventTarget['addEventListener']>[2]): void {
    super.addEventListener(type, listener as Parameters<EventTarget['addEventListener']>[1], options)
  }

  override removeEventListener<K extends keyof Events & string> (type: K, listener: TypedListener<Events[K]> | null, options?: Parameters<EventTarget['removeEventListener']>[2]): void {
    super.removeEventListener(type, listener as Parameters<EventTarget['removeEventListener']>[1], options)
  }

  /** Dispatches `detail` as a `CustomEvent` named `type`. */
  emit<K extends keyof Events & string> (type: K, detail: Events[K]): boolean {
    return super.dispatchEvent(new CustomEvent(type, { detail }))
  }
}
