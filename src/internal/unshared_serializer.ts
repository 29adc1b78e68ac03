/**
 * `node:v8` serialization that refuses shared memory, for values that leave
 * the process (the subprocess host's frames, a cluster's messages). Memory
 * cannot be shared with another process, and `v8.serialize` copies a view of
 * a `SharedArrayBuffer` (a typed array, a `DataView`) as if the bytes were
 * its own, so a shared object would arrive as a silent, unshared copy whose
 * writes are lost. Only views and shared buffers reach the hooks: the check
 * costs nothing for other values. No `effect` here (workers load it).
 *
 * @internal
 * @module
 */
import { DefaultSerializer } from "node:v8"

/** `DefaultSerializer` with the hooks its typings leave out (documented in Node's `v8` module). */
type HookedSerializer = new () => DefaultSerializer & {
  _writeHostObject(view: ArrayBufferView): void
  _getSharedArrayBufferId(buffer: SharedArrayBuffer): number
}

class UnsharedSerializer extends (DefaultSerializer as unknown as HookedSerializer) {
  constructor(private readonly refuse: (what: string) => string) {
    super()
  }
  override _getSharedArrayBufferId(): number {
    throw new TypeError(this.refuse("a SharedArrayBuffer"))
  }
  override _writeHostObject(view: ArrayBufferView): void {
    if (view.buffer instanceof SharedArrayBuffer) {
      throw new TypeError(this.refuse(`a ${view.constructor.name} over a SharedArrayBuffer`))
    }
    return super._writeHostObject(view)
  }
}

/**
 * `value` as `node:v8` bytes; throws a `TypeError` with `refuse(what)` as
 * its message when shared memory is inside it (and `node:v8`'s own error for
 * what it cannot serialize at all: a function, a symbol).
 */
export const serializeUnshared = (value: unknown, refuse: (what: string) => string): Uint8Array => {
  const serializer = new UnsharedSerializer(refuse)
  serializer.writeHeader()
  serializer.writeValue(value)
  return serializer.releaseBuffer()
}
