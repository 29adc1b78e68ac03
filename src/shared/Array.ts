/**
 * A fixed-length array of numbers in shared memory, guarded by its own lock:
 * Python's `multiprocessing.Array`. Pass it to a worker in a task payload and
 * both sides read and write the same memory.
 *
 * `get`, `set`, `update`, `toArray` and `setAll` take the array's lock (an
 * `RLock` unless you give one); `getLock()` guards longer sections. `view()`
 * is a typed array over the same memory for bulk numeric work, with no
 * locking at all: take the lock yourself around it when others write. For an
 * array without a lock, see `RawArray`. Types as for `Value`.
 *
 * In a worker's hot loop, use the synchronous forms `updateSync(i, f)`,
 * `getSync(i)` and `setSync(i, v)`: the same lock and checks, no Effect per
 * call, a blocking wait while another worker holds the lock; they throw
 * their errors and are refused on the main thread (`BlockingRefused`, see
 * `Lock.withLockSync`). `getLock().withLockSync(() => ...)` guards a longer
 * synchronous section, e.g. around `view()`.
 *
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * // inside a task, in the worker
 * const histogram = (bins: mp.Array.SharedArray<"u32">, xs: ReadonlyArray<number>) => {
 *   for (const x of xs) bins.updateSync(x % bins.length, (n) => n + 1)
 * }
 * ```
 *
 * @module
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { InvalidArgument } from "../errors.ts"
import type { IndexOutOfRange, LockAbandoned } from "./errors.ts"
import { checkLockOption, lockOrDefault } from "./internal/lockOption.ts"
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
import type { Lock } from "./Lock.ts"
import type { RLock } from "./RLock.ts"
import { SharedArrayImpl } from "./internal/array.ts"

export type { SharedType, ValueOf, ViewOf } from "./internal/types.ts"

/** Options of `make`. */
export interface ArrayOptions {
  /** The lock that guards the array: a fresh `RLock` by default. */
  readonly lock?: Lock | RLock | undefined
}

/**
 * A shared fixed-length array of element type `T`, with its own lock.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const program = Effect.gen(function* () {
 *   const arr = yield* mp.Array.make("d", [1, 2, 3])
 *   yield* arr.update(0, (x) => x * 10)
 *   console.log(yield* arr.toArray) // [10, 2, 3]
 * })
 * ```
 */
export interface TypedSharedArray<T extends Canonical = Canonical> {
  /** The element type, as given to `make`. */
  readonly type: T
  /** The number of elements. */
  readonly length: number
  /** The lock that guards it. */
  readonly lock: Lock | RLock
  /**
   * Reads element `i` (under the lock). Fails with `IndexOutOfRange`.
   *
   * @example
   * ```ts
   * import * as mp from "@mp/multiprocessing"
   *
   * const first = (a: mp.Array.SharedArray<"i32">) => a.get(0)
   * ```
   */
  get(i: number): Effect.Effect<ValueOf<T>, IndexOutOfRange | LockAbandoned>
  /**
   * Writes element `i` (under the lock). Fails with `IndexOutOfRange`, or
   * `InvalidArgument` when `v` does not fit the type.
   *
   * @example
   * ```ts
   * import * as mp from "@mp/multiprocessing"
   *
   * const clearFirst = (a: mp.Array.SharedArray<"i32">) => a.set(0, 0)
   * ```
   */
  set(i: number, v: ValueOf<T>): Effect.Effect<void, IndexOutOfRange | InvalidArgument | LockAbandoned>
  /**
   * Replaces element `i` with `f(current)` under the lock; succeeds with the
   * new value.
   *
   * @example
   * ```ts
   * import * as mp from "@mp/multiprocessing"
   *
   * const bump = (a: mp.Array.SharedArray<"i32">, i: number) => a.update(i, (x) => x + 1)
   * ```
   */
  update(
    i: number,
    f: (current: ValueOf<T>) => ValueOf<T>,
  ): Effect.Effect<ValueOf<T>, IndexOutOfRange | InvalidArgument | LockAbandoned>
  /**
   * Replaces element `i` with `f(current)` under the lock and returns the new
   * value, synchronously: for hot loops in a worker (no Effect per call; one
   * compare-and-swap when the lock is free; a blocking wait otherwise). The
   * lock is released however `f` ends. Throws, as the typed instances:
   * `IndexOutOfRange`, `InvalidArgument` (nothing written), `LockAbandoned`
   * (the previous holder died; `f` did not run; the lock is free again),
   * `BlockingRefused` on the main thread (use `update` there).
   *
   * @example
   * ```ts
   * import * as mp from "@mp/multiprocessing"
   *
   * // in a task running in a worker
   * const bump = (a: mp.Array.SharedArray<"i32">, i: number) => a.updateSync(i, (x) => x + 1)
   * ```
   */
  updateSync(i: number, f: (current: ValueOf<T>) => ValueOf<T>): ValueOf<T>
  /**
   * Reads element `i` under the lock, synchronously (see `updateSync` for
   * when, and what it throws).
   *
   * @example
   * ```ts
   * import * as mp from "@mp/multiprocessing"
   *
   * // in a task running in a worker
   * const first = (a: mp.Array.SharedArray<"i32">) => a.getSync(0)
   * ```
   */
  getSync(i: number): ValueOf<T>
  /**
   * Writes element `i` under the lock, synchronously (see `updateSync` for
   * when, and what it throws). Throws `IndexOutOfRange`, or
   * `InvalidArgument` when `v` does not fit the type (nothing written).
   *
   * @example
   * ```ts
   * import * as mp from "@mp/multiprocessing"
   *
   * // in a task running in a worker
   * const clearFirst = (a: mp.Array.SharedArray<"i32">) => a.setSync(0, 0)
   * ```
   */
  setSync(i: number, v: ValueOf<T>): void
  /**
   * A consistent copy of every element (taken under the lock): Python's `arr[:]`.
   *
   * @example
   * ```ts
   * import * as mp from "@mp/multiprocessing"
   *
   * const snapshot = (a: mp.Array.SharedArray<"f64">) => a.toArray
   * ```
   */
  readonly toArray: Effect.Effect<Array<ValueOf<T>>, LockAbandoned>
  /**
   * Writes `values` from index `offset` (default 0) in one locked step.
   * Fails with `IndexOutOfRange` when they do not fit, or `InvalidArgument`
   * for a value of the wrong type; nothing is written then.
   *
   * @example
   * ```ts
   * import * as mp from "@mp/multiprocessing"
   *
   * const fill = (a: mp.Array.SharedArray<"i32">) => a.setAll([1, 2, 3])
   * ```
   */
  setAll(
    values: ReadonlyArray<ValueOf<T>>,
    offset?: number,
  ): Effect.Effect<void, IndexOutOfRange | InvalidArgument | LockAbandoned>
  /**
   * A typed array over the same shared memory, for bulk numeric work. No
   * locking: hold `getLock()` around it when other workers write.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import * as mp from "@mp/multiprocessing"
   *
   * const sum = (a: mp.Array.SharedArray<"f64">) => a.getLock().withLock(Effect.sync(() => a.view().reduce((s, x) => s + x, 0)))
   * ```
   */
  view(): ViewOf<T>
  /**
   * The lock that guards the array (Python's `get_lock()`).
   *
   * @example
   * ```ts
   * import * as mp from "@mp/multiprocessing"
   *
   * const lockOf = (a: mp.Array.SharedArray<"i32">) => a.getLock()
   * ```
   */
  getLock(): Lock | RLock
}

/**
 * A shared array of element type `T`: a type name or a Python typecode, in types as
 * in values (`SharedArray<"i">` is `SharedArray<"i32">`, `SharedArray<"d">` is `SharedArray<"f64">`).
 * The interface is `TypedSharedArray`, indexed by the canonical name.
 */
export type SharedArray<T extends SharedType = Canonical> = TypedSharedArray<CanonicalOf<T>>

/**
 * Creates a shared array of `type`: `lengthOrValues` is either a length
 * (zero-filled) or the initial elements. Fails with `InvalidArgument` for an
 * unknown type, a bad length or an element that does not fit the type.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const program = Effect.gen(function* () {
 *   const zeros = yield* mp.Array.make("i", 10)
 *   const xs = yield* mp.Array.make("d", [0.5, 1.5])
 * })
 * ```
 */
export const make = <T extends SharedType>(
  type: T,
  lengthOrValues: number | ReadonlyArray<ValueOf<T>>,
  options?: ArrayOptions,
): Effect.Effect<SharedArray<T>, InvalidArgument> =>
  Effect.flatMap(resolve(type), (spec) => {
    const split = lengthAndValues(lengthOrValues)
    if (split instanceof InvalidArgument) return Effect.fail(split)
    const bad = checkLockOption("options.lock", options?.lock)
    if (bad !== undefined) return Effect.fail(bad)
    const { length, values } = split
    return Effect.map(
      allocate(spec, length, values, "lengthOrValues"),
      (cells) =>
        new SharedArrayImpl(
          canonical(spec) as CanonicalOf<T>,
          cells.view.buffer as SharedArrayBuffer,
          length,
          lockOrDefault(options?.lock),
        ),
    )
  })

/**
 * Whether `u` is a shared `Array` (also one revived in a worker).
 *
 * @example
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * const check = (u: unknown): boolean => mp.Array.isArray(u)
 * ```
 */
export const isArray = (u: unknown): u is SharedArray => u instanceof SharedArrayImpl

/**
 * A Schema for a shared `Array` in a task's payload or result schema.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const Payload = Schema.Struct({ data: mp.Array.schema })
 * ```
 */
export const schema: Schema.declare<SharedArray> = Schema.declare(isArray, { title: "Array", expected: "Array" })

/**
 * A Schema for an `Array` of element type `type` (a name or a Python typecode) in a task's payload or result
 * schema: the handler sees a `SharedArray<type>`, with typed elements and a typed `view()`, no cast. An array of another
 * element type fails to cross (`SerializationError`). Throws `InvalidArgument` for an unknown type.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * export const work = mp.Task.make(import.meta.url, "work", {
 *   payload: Schema.Struct({ samples: mp.Array.schemaOf("d") }),
 *   // p.samples.view() is a Float64Array
 *   handler: (p) => p.samples.view().reduce((s, x) => s + x, 0),
 * })
 * ```
 */
export const schemaOf = <T extends SharedType>(type: T): Schema.declare<SharedArray<T>> =>
  typedSchema<SharedArray<T>>(isArray, "Array", type)
