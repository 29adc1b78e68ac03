/**
 * The byte format of `value_bytes.ts`: the tag that starts each value, the
 * typed-array kinds, and the thread-local `Writer` and `Reader` that values
 * are encoded into and decoded from.
 *
 * @internal
 * @module
 */

export const UNDEFINED = 0
export const NULL = 1
export const FALSE = 2
export const TRUE = 3
export const INT32 = 4
export const FLOAT64 = 5
export const LATIN1 = 6
export const UTF16 = 7
export const UTF8 = 8
export const ARRAY = 9
export const OBJECT = 10
export const BIGINT = 11
export const DATE = 12
export const TYPED = 13
export const ARRAY_BUFFER = 14
export const MAP = 15
export const SET = 16
export const V8 = 17

/** Why a value could not be encoded. */
export class EncodeFailure extends Error {}

/** A growable, thread-local byte buffer that values are encoded into. */
export class Writer {
  u8: Uint8Array = new Uint8Array(1024)
  dv: DataView = new DataView(this.u8.buffer)
  pos = 0

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    const need = this.pos + n
    if (need <= this.u8.length) return
    let size = this.u8.length * 2
    while (size < need) size *= 2
    const next = new Uint8Array(size)
    next.set(this.u8.subarray(0, this.pos))
    this.u8 = next
    this.dv = new DataView(next.buffer)
  }

  /** Appends `tag` and the 32-bit count `n` that says how many values or bytes follow. */
  head(tag: number, n: number): void {
    this.ensure(5)
    this.u8[this.pos] = tag
    this.dv.setUint32(this.pos + 1, n, true)
    this.pos += 5
  }

  /** Appends `tag`, the length of `bytes`, and `bytes`. */
  blob(tag: number, bytes: Uint8Array): void {
    this.ensure(5 + bytes.length)
    this.head(tag, bytes.length)
    this.u8.set(bytes, this.pos)
    this.pos += bytes.length
  }
}

const SCRATCH_KEEP = 4 * 1024 * 1024

/** Lets go of a scratch writer's buffer that one big value grew, so it does not pin memory. */
export const shrink = (w: Writer): void => {
  if (w.u8.length <= SCRATCH_KEEP) return
  w.u8 = new Uint8Array(1024)
  w.dv = new DataView(w.u8.buffer)
}

/** A cursor over encoded bytes (a thread-local copy, never shared memory). */
export class Reader {
  u8: Uint8Array
  dv: DataView
  pos: number
  constructor(u8: Uint8Array, pos = 0) {
    this.u8 = u8
    this.dv = new DataView(u8.buffer, u8.byteOffset, u8.byteLength)
    this.pos = pos
  }

  /** Reads the count after the tag at `pos` (see `Writer.head`) and moves past both. */
  count(): number {
    const n = this.dv.getUint32(this.pos + 1, true)
    this.pos += 5
    return n
  }

  /** Reads a `Writer.blob` at `pos` and moves past it; the bytes are a view of this reader's memory. */
  bytes(): Uint8Array {
    const n = this.count()
    const start = this.pos
    this.pos = start + n
    return this.u8.subarray(start, start + n)
  }
}

/** The typed-array classes the format carries, by their kind byte. */
export const typedKinds = [
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
] as const

/** An instance of one of `typedKinds`. */
export type TypedArray = InstanceType<typeof typedKinds[number]>
