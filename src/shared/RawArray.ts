/**
 * A fixed-length array of numbers in shared memory without a lock: Python's
 * `multiprocessing.RawArray`. Element reads and writes are single atomic
 * operations and `update(i, f)` is a compare-and-swap loop; anything spanning
 * several elements needs a `Lock` of its own (or use `Array`). `view()` gives
 * a typed array over the same memory for bulk numeric work.
 *
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const program = Effect.gen(function* () {
 *   const samples = yield* mp.RawArray.make("f64", [0, 0, 0, 0])
 *   yield* samples.set(0, 1.5)
 *   const view = samples.view() // a Float64Array over the same shared memory
 *   console.log(view[0]) // 1.5
 * })
 * ```
 *
 * @module
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { InvalidArgument } from "../errors.ts"
import type { IndexOutOfRange } from "./errors.ts"
import { typedSchema } from "./internal/typedSchema.ts"
import { allocate, lengthAndValues, resolve } from "./internal/storage.ts"
import {
  type Canonical,
  canonical,
  type CanonicalOf,
  type SharedType,
  type ValueOf,
  type ViewOf,
} from "./internal/types.ts"
import { RawArrayImpl } from "./internal/rawArray.ts"

export type { SharedType, ValueOf, ViewOf } from "./internal/types.ts"

/**
 * A shared fixed-length array of element type `T`, without a lock.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const program = Effect.gen(function* () {
 *   const pixels = yield* mp.RawArray.make("u8", 640 * 480)
 *   pixels.view().fill(255)
 * })
 * ```
 */
export interface TypedRawArray<T extends Canonical = Canonical> {
  /** The element type, as given to `make`. */
  readonly type: T
  /** The number of elements. */
  readonly length: number
  /**
   * Reads element `i` (one atomic load). Fails with `IndexOutOfRange`.
   *
   * @example
   * ```ts
   * import * as mp from "@mp/multiprocessing"
   *
   * const first = (a: mp.RawArray.RawArray<"i32">) => a.get(0)
   * ```
   */
  get(i: number): Effect.Effect<ValueOf<T>, IndexOutOfRange>
  /**
   * Writes element `i` (one atomic store). Fails with `IndexOutOfRange`, or
   * `InvalidArgument` when `v` does not fit the type.
   *
   * @example
   * ```ts
   * import * as mp from "@mp/multiprocessing"
   *
   * const clearFirst = (a: mp.RawArray.RawArray<"i32">) => a.set(0, 0)
   * ```
   */
  set(i: number, v: ValueOf<T>): Effect.Effect<void, IndexOutOfRange | InvalidArgument>
  /**
   * Replaces element `i` with `f(current)` atomically (compare-and-swap: `f`
   * may run more than once, so keep it pure); succeeds with the new value.
   *
   * @example
   * ```ts
   * import * as mp from "@mp/multiprocessing"
   *
   * const bump = (a: mp.RawArray.RawArray<"u32">, i: number) => a.update(i, (x) => x + 1)
   * ```
   */
  update(
    i: number,
    f: (current: ValueOf<T>) => ValueOf<T>,
  ): Effect.Effect<ValueOf<T>, IndexOutOfRange | InvalidArgument>
  /**
   * A copy of every element (each read atomically; not a snapshot of the
   * whole array when others write meanwhile).
   *
   * @example
   * ```ts
   * import * as mp from "@mp/multiprocessing"
   *
   * const copy = (a: mp.RawArray.RawArray<"f64">) => a.toArray
   * ```
   */
  readonly toArray: Effect.Effect<Array<ValueOf<T>>>
  /**
   * A typed array over the same shared memory, for bulk numeric work.
   *
   * @example
   * ```ts
   * import * as mp from "@mp/multiprocessing"
   *
   * const total = (a: mp.RawArray.RawArray<"f64">) => a.view().reduce((s, x) => s + x, 0)
   * ```
   */
  view(): ViewOf<T>
}

/**
 * A shared array without a lock of element type `T`: a type name or a Python typecode, in types as
 * in values (`RawArray<"i">` is `RawArray<"i32">`, `RawArray<"d">` is `RawArray<"f64">`).
 * The interface is `TypedRawArray`, indexed by the canonical name.
 */
export type RawArray<T extends SharedType = Canonical> = TypedRawArray<CanonicalOf<T>>

/**
 * Creates a lock-free shared array of `type`: `lengthOrValues` is a length
 * (zero-filled) or the initial elements. Fails with `InvalidArgument`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const xs = Effect.runSync(mp.RawArray.make("f64", [1, 2, 3]))
 * ```
 */
export const make = <T extends SharedType>(
  type: T,
  lengthOrValues: number | ReadonlyArray<ValueOf<T>>,
): Effect.Effect<RawArray<T>, InvalidArgument> =>
  Effect.flatMap(resolve(type), (spec) => {
    const split = lengthAndValues(lengthOrValues)
    if (split instanceof InvalidArgument) return Effect.fail(split)
    const { length, values } = split
    return Effect.map(
      allocate(spec, length, values, "lengthOrValues"),
      (cells) => new RawArrayImpl(canonical(spec) as CanonicalOf<T>, cells.view.buffer as SharedArrayBuffer, length),
    )
  })

/**
 * Whether `u` is a `RawArray` (also one revived in a worker).
 *
 * @example
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * const check = (u: unknown): boolean => mp.RawArray.isRawArray(u)
 * ```
 */
export const isRawArray = (u: unknown): u is RawArray => u instanceof RawArrayImpl

/**
 * A Schema for a `RawArray` in a task's payload or result schema.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const Payload = Schema.Struct({ pixels: mp.RawArray.schema })
 * ```
 */
export const schema: Schema.declare<RawArray> = Schema.declare(isRawArray, { title: "RawArray", expected: "RawArray" })

/**
 * A Schema for a `RawArray` of element type `type` (a name or a Python typecode) in a task's payload or result
 * schema: the handler sees a `RawArray<type>`, with typed elements and a typed `view()`, no cast. An array of another
 * element type fails to cross (`SerializationError`). Throws `InvalidArgument` for an unknown type.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * export const work = mp.Task.make(import.meta.url, "work", {
 *   payload: Schema.Struct({ pixels: mp.RawArray.schemaOf("B") }),
 *   // p.pixels.view() is a Uint8Array
 *   handler: (p) => p.pixels.view().fill(255).length,
 * })
 * ```
 */
export const schemaOf = <T extends SharedType>(type: T): Schema.declare<RawArray<T>> =>
  typedSchema<RawArray<T>>(isRawArray, "RawArray", type)
