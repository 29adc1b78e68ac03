/**
 * One number in shared memory without a lock: Python's
 * `multiprocessing.RawValue`. Every `get` and `set` is a single atomic load or
 * store (floats included), and `update(f)` is an atomic compare-and-swap loop,
 * so even without a lock no update is lost; but a section spanning several
 * operations needs a `Lock` of its own (or use `Value`).
 *
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const program = Effect.gen(function* () {
 *   const hits = yield* mp.RawValue.make("u32", 0)
 *   yield* hits.update((n) => n + 1) // one atomic compare-and-swap, no lock
 *   console.log(yield* hits.get) // 1
 * })
 * ```
 *
 * @module
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import type { InvalidArgument } from "../errors.ts"
import { typedSchema } from "./internal/typedSchema.ts"
import { allocate, resolve } from "./internal/storage.ts"
import { type Canonical, canonical, type CanonicalOf, type SharedType, type ValueOf } from "./internal/types.ts"
import { RawValueImpl } from "./internal/rawValue.ts"

export type { SharedType, ValueOf } from "./internal/types.ts"

/**
 * A shared number of element type `T`, without a lock.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const program = Effect.gen(function* () {
 *   const hits = yield* mp.RawValue.make("u32", 0)
 *   yield* hits.update((n) => n + 1) // atomic
 * })
 * ```
 */
export interface TypedRawValue<T extends Canonical = Canonical> {
  /** The element type, as given to `make`. */
  readonly type: T
  /**
   * Reads the value (one atomic load).
   *
   * @example
   * ```ts
   * import * as mp from "@mp/multiprocessing"
   *
   * const read = (v: mp.RawValue.RawValue<"i32">) => v.get
   * ```
   */
  readonly get: Effect.Effect<ValueOf<T>>
  /**
   * Writes the value (one atomic store). Fails with `InvalidArgument` when
   * `v` does not fit the type.
   *
   * @example
   * ```ts
   * import * as mp from "@mp/multiprocessing"
   *
   * const reset = (v: mp.RawValue.RawValue<"i32">) => v.set(0)
   * ```
   */
  set(v: ValueOf<T>): Effect.Effect<void, InvalidArgument>
  /**
   * Replaces the value with `f(current)` atomically (compare-and-swap: `f`
   * may run more than once under contention, so keep it pure); succeeds with
   * the new value.
   *
   * @example
   * ```ts
   * import * as mp from "@mp/multiprocessing"
   *
   * const increment = (v: mp.RawValue.RawValue<"i32">) => v.update((n) => n + 1)
   * ```
   */
  update(f: (current: ValueOf<T>) => ValueOf<T>): Effect.Effect<ValueOf<T>, InvalidArgument>
}

/**
 * A shared number without a lock of element type `T`: a type name or a Python typecode, in types as
 * in values (`RawValue<"i">` is `RawValue<"i32">`, `RawValue<"d">` is `RawValue<"f64">`).
 * The interface is `TypedRawValue`, indexed by the canonical name.
 */
export type RawValue<T extends SharedType = Canonical> = TypedRawValue<CanonicalOf<T>>

/**
 * Creates a lock-free shared value of `type` holding `initial` (zero when
 * omitted). Fails with `InvalidArgument` for an unknown type or a value that
 * does not fit it.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const flag = Effect.runSync(mp.RawValue.make("u8", 1))
 * ```
 */
export const make = <T extends SharedType>(
  type: T,
  initial?: ValueOf<T>,
): Effect.Effect<RawValue<T>, InvalidArgument> =>
  Effect.flatMap(resolve(type), (spec) =>
    Effect.map(
      allocate(spec, 1, initial === undefined ? undefined : [initial], "initial"),
      (cells) => new RawValueImpl(canonical(spec) as CanonicalOf<T>, cells.view.buffer as SharedArrayBuffer),
    ))

/**
 * Whether `u` is a `RawValue` (also one revived in a worker).
 *
 * @example
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * const check = (u: unknown): boolean => mp.RawValue.isRawValue(u)
 * ```
 */
export const isRawValue = (u: unknown): u is RawValue => u instanceof RawValueImpl

/**
 * A Schema for a `RawValue` in a task's payload or result schema.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const Payload = Schema.Struct({ hits: mp.RawValue.schema })
 * ```
 */
export const schema: Schema.declare<RawValue> = Schema.declare(isRawValue, { title: "RawValue", expected: "RawValue" })

/**
 * A Schema for a `RawValue` of element type `type` (a name or a Python typecode) in a task's payload or result
 * schema: the handler sees a `RawValue<type>`, with typed elements, no cast. A value of another
 * element type fails to cross (`SerializationError`). Throws `InvalidArgument` for an unknown type.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * export const work = mp.Task.make(import.meta.url, "work", {
 *   payload: Schema.Struct({ hits: mp.RawValue.schemaOf("u32") }),
 *   // p.hits is a RawValue<"u32">
 *   handler: (p) => p.hits.update((n) => n + 1),
 * })
 * ```
 */
export const schemaOf = <T extends SharedType>(type: T): Schema.declare<RawValue<T>> =>
  typedSchema<RawValue<T>>(isRawValue, "RawValue", type)
