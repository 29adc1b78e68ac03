/**
 * The element types of shared values, arrays and transactional cells: their
 * sizes, views, validation, and atomic access (floats go through an integer
 * view of the same bytes, so every element load and store is atomic).
 *
 * @internal
 * @module
 */

/** Element type names. */
export type TypeName = "i8" | "u8" | "i16" | "u16" | "i32" | "u32" | "f32" | "f64" | "i64" | "u64"

/**
 * Python's typecodes, as aliases: `b B h H i I` (8, 16, 32-bit), `l L` (32-bit,
 * as on Windows and in the `array` module's minimum; use `q Q` for 64-bit),
 * `q Q` (64-bit, bigint), `f d` (float, double) and `c` (one byte, read and
 * written as a one-character string).
 */
export type TypeCode = "b" | "B" | "h" | "H" | "i" | "I" | "l" | "L" | "q" | "Q" | "f" | "d" | "c"

/** Any accepted element type: a name or a Python typecode. */
export type SharedType = TypeName | TypeCode

/** The canonical element types objects are typed by: the names, and `"c"`. */
export type Canonical = TypeName | "c"

/** The canonical name of a type or typecode (`"i"` is `"i32"`, `"d"` is `"f64"`, …). */
export type CanonicalOf<T extends SharedType> = T extends "b" ? "i8"
  : T extends "B" ? "u8"
  : T extends "h" ? "i16"
  : T extends "H" ? "u16"
  : T extends "i" | "l" ? "i32"
  : T extends "I" | "L" ? "u32"
  : T extends "q" ? "i64"
  : T extends "Q" ? "u64"
  : T extends "f" ? "f32"
  : T extends "d" ? "f64"
  : T extends Canonical ? T
  : never

/** The canonical name of a spec. */
export const canonical = (spec: Spec): Canonical => spec.char ? "c" : spec.name

/** The JavaScript type of an element: `bigint` for 64-bit integers, a string for `"c"`, else `number`. */
export type ValueOf<T extends SharedType> = T extends "i64" | "u64" | "q" | "Q" ? bigint
  : T extends "c" ? string
  : number

/** How one element type is stored. */
export interface Spec {
  readonly name: TypeName
  readonly char: boolean
  readonly bytes: number
  readonly kind: "int" | "float" | "bigint"
  readonly min: number | bigint
  readonly max: number | bigint
}

const int = (name: TypeName, bytes: number, signed: boolean): Spec => ({
  name,
  char: false,
  bytes,
  kind: "int",
  min: signed ? -(2 ** (bytes * 8 - 1)) : 0,
  max: signed ? 2 ** (bytes * 8 - 1) - 1 : 2 ** (bytes * 8) - 1,
})

const specs: Record<TypeName, Spec> = {
  i8: int("i8", 1, true),
  u8: int("u8", 1, false),
  i16: int("i16", 2, true),
  u16: int("u16", 2, false),
  i32: int("i32", 4, true),
  u32: int("u32", 4, false),
  f32: { name: "f32", char: false, bytes: 4, kind: "float", min: -Infinity, max: Infinity },
  f64: { name: "f64", char: false, bytes: 8, kind: "float", min: -Infinity, max: Infinity },
  i64: { name: "i64", char: false, bytes: 8, kind: "bigint", min: -(2n ** 63n), max: 2n ** 63n - 1n },
  u64: { name: "u64", char: false, bytes: 8, kind: "bigint", min: 0n, max: 2n ** 64n - 1n },
}

const aliases: Record<TypeCode, TypeName> = {
  b: "i8",
  B: "u8",
  h: "i16",
  H: "u16",
  i: "i32",
  I: "u32",
  l: "i32",
  L: "u32",
  q: "i64",
  Q: "u64",
  f: "f32",
  d: "f64",
  c: "u8",
}

const charSpec: Spec = { ...specs.u8, char: true }

/** The spec of a type name or typecode, or undefined when unknown. */
export const specOf = (type: string): Spec | undefined => {
  if (type === "c") return charSpec
  if (Object.hasOwn(specs, type)) return specs[type as TypeName]
  if (Object.hasOwn(aliases, type)) return specs[aliases[type as TypeCode]]
  return undefined
}

/** Every accepted type, for messages. */
export const knownTypes: string = [...Object.keys(specs), ...Object.keys(aliases)].join(", ")

/** Why `v` is not a valid element of `spec`, or undefined when it is. */
export const invalid = (spec: Spec, v: unknown): string | undefined => {
  if (spec.char) {
    return typeof v === "string" && v.length === 1 && v.charCodeAt(0) <= 255
      ? undefined
      : `a "c" element is a one-character string with a code below 256, got ${show(v)}`
  }
  switch (spec.kind) {
    case "float":
      return typeof v === "number" ? undefined : `a ${spec.name} element is a number, got ${show(v)}`
    case "bigint":
      return typeof v === "bigint" && v >= (spec.min as bigint) && v <= (spec.max as bigint)
        ? undefined
        : `a ${spec.name} element is a bigint in ${spec.min}..${spec.max}, got ${show(v)}`
    default:
      return typeof v === "number" && Number.isInteger(v) && v >= (spec.min as number) && v <= (spec.max as number)
        ? undefined
        : `a ${spec.name} element is an integer in ${spec.min}..${spec.max}, got ${show(v)}`
  }
}

const show = (v: unknown): string =>
  typeof v === "bigint" ? `${v}n` : typeof v === "string" ? JSON.stringify(v) : String(v)

/** The zero of a type. */
export const zero = (spec: Spec): unknown => spec.char ? "\0" : spec.kind === "bigint" ? 0n : 0

type IntView =
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array

/** A typed array of `length` elements of `spec` over `buffer` at `byteOffset`. */
export const viewOf = (spec: Spec, buffer: SharedArrayBuffer, byteOffset: number, length: number): ElementView => {
  switch (spec.name) {
    case "i8":
      return new Int8Array(buffer, byteOffset, length)
    case "u8":
      return new Uint8Array(buffer, byteOffset, length)
    case "i16":
      return new Int16Array(buffer, byteOffset, length)
    case "u16":
      return new Uint16Array(buffer, byteOffset, length)
    case "i32":
      return new Int32Array(buffer, byteOffset, length)
    case "u32":
      return new Uint32Array(buffer, byteOffset, length)
    case "f32":
      return new Float32Array(buffer, byteOffset, length)
    case "f64":
      return new Float64Array(buffer, byteOffset, length)
    case "i64":
      return new BigInt64Array(buffer, byteOffset, length)
    case "u64":
      return new BigUint64Array(buffer, byteOffset, length)
  }
}

/** Any typed array an element type can be viewed as. */
export type ElementView = IntView | Float32Array | Float64Array

const scratch = new ArrayBuffer(8)
const f32 = new Float32Array(scratch)
const f64 = new Float64Array(scratch)
const i32 = new Int32Array(scratch)
const i64 = new BigInt64Array(scratch)

/**
 * Atomic element access over a shared buffer: `load`, `store` and
 * `compareExchange` on element `i`, in the element's JavaScript type (floats
 * are moved through their bits; `"c"` through its character).
 */
export class Cells {
  readonly spec: Spec
  readonly view: ElementView
  private readonly bits: IntView

  constructor(spec: Spec, buffer: SharedArrayBuffer, byteOffset: number, length: number) {
    this.spec = spec
    this.view = viewOf(spec, buffer, byteOffset, length)
    this.bits = spec.name === "f32"
      ? new Int32Array(buffer, byteOffset, length)
      : spec.name === "f64"
      ? new BigInt64Array(buffer, byteOffset, length)
      : this.view as IntView
  }

  load(i: number): unknown {
    const raw = Atomics.load(this.bits as Int32Array, i) as number | bigint
    return this.fromBits(raw)
  }

  store(i: number, v: unknown): void {
    Atomics.store(this.bits as Int32Array, i, this.toBits(v) as number)
  }

  /**
   * Reads element `i` with a plain load: only under a lock that every writer
   * of the element holds (the lock's atomic take and release order it).
   */
  getLocked(i: number): unknown {
    const v = this.view[i]
    return this.spec.char ? String.fromCharCode(v as number) : v
  }

  /** Writes element `i` with a plain store: only under a lock that every reader and writer holds. */
  setLocked(i: number, v: unknown): void {
    this.view[i] = (this.spec.char ? (v as string).charCodeAt(0) : v) as number
  }

  /**
   * Replaces element `i` with `f(old)` atomically (a compare-and-swap loop on
   * its bits; `f` may run more than once). Returns the new value, or the
   * message of `check` when `f`'s result is rejected (nothing is written then).
   */
  modify(i: number, f: (old: unknown) => unknown, check: (v: unknown) => string | undefined): {
    readonly value: unknown
    readonly error?: string | undefined
  } {
    const bits = this.bits as Int32Array
    for (;;) {
      const raw = Atomics.load(bits, i) as number | bigint
      const next = f(this.fromBits(raw))
      const error = check(next)
      if (error !== undefined) return { value: next, error }
      if (Atomics.compareExchange(bits, i, raw as number, this.toBits(next) as number) === raw) return { value: next }
    }
  }

  private fromBits(raw: number | bigint): unknown {
    switch (this.spec.name) {
      case "f32":
        i32[0] = raw as number
        return f32[0]
      case "f64":
        i64[0] = raw as bigint
        return f64[0]
      default:
        return this.spec.char ? String.fromCharCode(raw as number) : raw
    }
  }

  private toBits(v: unknown): number | bigint {
    switch (this.spec.name) {
      case "f32":
        f32[0] = v as number
        return i32[0]
      case "f64":
        f64[0] = v as number
        return i64[0]
      default:
        return this.spec.char ? (v as string).charCodeAt(0) : v as number | bigint
    }
  }
}

/** The typed array that views elements of `T`. */
export type ViewOf<T extends SharedType> = T extends "i8" | "b" ? Int8Array
  : T extends "u8" | "B" | "c" ? Uint8Array
  : T extends "i16" | "h" ? Int16Array
  : T extends "u16" | "H" ? Uint16Array
  : T extends "i32" | "i" | "l" ? Int32Array
  : T extends "u32" | "I" | "L" ? Uint32Array
  : T extends "f32" | "f" ? Float32Array
  : T extends "f64" | "d" ? Float64Array
  : T extends "i64" | "q" ? BigInt64Array
  : T extends "u64" | "Q" ? BigUint64Array
  : ElementView
