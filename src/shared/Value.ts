/**
 * One number in shared memory, guarded by its own lock: Python's
 * `multiprocessing.Value`. Pass it to a worker in a task payload and both
 * sides read and write the same memory.
 *
 * `get`, `set` and `update` take the value's lock (an `RLock` unless you give
 * one), so they compose with sections guarded by `getLock()`:
 * `v.getLock().withLock(Effect.flatMap(v.get, (n) => v.set(n + 1)))` is the
 * Python `with v.get_lock(): v.value += 1`. `update(f)` does the same in one
 * step. For a value without a lock, see `RawValue`.
 *
 * In a worker's hot loop, use the synchronous forms `updateSync`, `getSync`
 * and `setSync`: the same lock and checks, no Effect per call (one
 * compare-and-swap when the lock is free), a blocking wait while another
 * worker holds it. They throw their errors (`LockAbandoned`,
 * `InvalidArgument`) and are refused on the main thread (`BlockingRefused`,
 * see `Lock.withLockSync` for why). Python's `with v.get_lock(): v.value += 1`
 * is then `v.getLock().withLockSync(() => v.setSync(v.getSync() + 1))`.
 *
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * // inside a task, in the worker
 * const work = (v: mp.Value.Value<"i32">) => {
 *   for (let i = 0; i < 100_000; i++) v.updateSync((n) => n + 1)
 * }
 * ```
 *
 * Types: `"i8" "u8" "i16" "u16" "i32" "u32" "f32" "f64" "i64" "u64"` (bigint
 * for the 64-bit integers) and Python's typecodes as aliases (`"i"`, `"d"`,
 * `"c"` for one byte read as a one-character string, …). An unknown type or
 * a value that does not fit is an `InvalidArgument`, never a silent coercion.
 *
 * @module
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import type { InvalidArgument } from "../errors.ts"
import type { LockAbandoned } from "./errors.ts"
import { checkLockOption, lockOrDefault } from "./internal/lockOption.ts"
import { typedSchema } from "./internal/typedSchema.ts"
import { allocate, resolve } from "./internal/storage.ts"
import { type Canonical, canonical, type CanonicalOf, type SharedType, type ValueOf } from "./internal/types.ts"
import type { Lock } from "./Lock.ts"
import type { RLock } from "./RLock.ts"
import { ValueImpl } from "./internal/value.ts"

export type { SharedType, TypeCode, TypeName, ValueOf } from "./internal/types.ts"

/** Options of `make`. */
export interface ValueOptions {
  /**
   * The lock that guards the value: a fresh `RLock` by default; share one to
   * guard several values together. With a plain `Lock`, `get`/`set`/`update`
   * inside `getLock().withLock(...)` would wait for themselves (as in Python).
   */
  readonly lock?: Lock | RLock | undefined
}

/**
 * A shared number of element type `T`, with its own lock.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const program = Effect.gen(function* () {
 *   const counter = yield* mp.Value.make("i", 0)
 *   yield* counter.update((n) => n + 1)
 *   console.log(yield* counter.get) // 1
 * })
 * ```
 */
export interface TypedValue<T extends Canonical = Canonical> {
  /** The element type, as given to `make`. */
  readonly type: T
  /** The lock that guards it. */
  readonly lock: Lock | RLock
  /**
   * Reads the value (under its lock).
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import * as mp from "@mp/multiprocessing"
   *
   * const show = (v: mp.Value.Value<"f64">) => Effect.map(v.get, (x) => `value: ${x}`)
   * ```
   */
  readonly get: Effect.Effect<ValueOf<T>, LockAbandoned>
  /**
   * Writes the value (under its lock). Fails with `InvalidArgument` when `v`
   * does not fit the type; nothing is written then.
   *
   * @example
   * ```ts
   * import * as mp from "@mp/multiprocessing"
   *
   * const reset = (v: mp.Value.Value<"i32">) => v.set(0)
   * ```
   */
  set(v: ValueOf<T>): Effect.Effect<void, InvalidArgument | LockAbandoned>
  /**
   * Replaces the value with `f(current)` under the lock, so concurrent
   * updates from any worker never lose each other; succeeds with the new
   * value. Fails with `InvalidArgument` (nothing written) when `f`'s result
   * does not fit the type.
   *
   * @example
   * ```ts
   * import * as mp from "@mp/multiprocessing"
   *
   * const increment = (v: mp.Value.Value<"i32">) => v.update((n) => n + 1)
   * ```
   */
  update(f: (current: ValueOf<T>) => ValueOf<T>): Effect.Effect<ValueOf<T>, InvalidArgument | LockAbandoned>
  /**
   * Replaces the value with `f(current)` under the lock and returns the new
   * value, synchronously: for hot loops in a worker (no Effect per call; one
   * compare-and-swap when the lock is free; a blocking wait otherwise). The
   * lock is released however `f` ends. Throws, as the typed instances:
   * `InvalidArgument` when `f`'s result does not fit the type (nothing
   * written), `LockAbandoned` when the lock's previous holder died (`f` did
   * not run; the lock is free again), `BlockingRefused` on the main thread
   * (use `update` there) or when this thread already holds a plain `Lock`
   * given as the value's lock.
   *
   * @example
   * ```ts
   * import * as mp from "@mp/multiprocessing"
   *
   * // in a task running in a worker
   * const count = (v: mp.Value.Value<"i32">, n: number) => {
   *   for (let i = 0; i < n; i++) v.updateSync((x) => x + 1)
   *   return n
   * }
   * ```
   */
  updateSync(f: (current: ValueOf<T>) => ValueOf<T>): ValueOf<T>
  /**
   * Reads the value under its lock, synchronously (see `updateSync` for
   * when, and what it throws).
   *
   * @example
   * ```ts
   * import * as mp from "@mp/multiprocessing"
   *
   * // in a worker, inside a section of the value's (default, re-entrant) lock
   * const double = (v: mp.Value.Value<"i32">) => v.getLock().withLockSync(() => v.setSync(v.getSync() * 2))
   * ```
   */
  getSync(): ValueOf<T>
  /**
   * Writes the value under its lock, synchronously (see `updateSync` for
   * when, and what it throws). Throws `InvalidArgument` when `v` does not fit
   * the type; nothing is written then.
   *
   * @example
   * ```ts
   * import * as mp from "@mp/multiprocessing"
   *
   * // in a task running in a worker
   * const reset = (v: mp.Value.Value<"i32">) => v.setSync(0)
   * ```
   */
  setSync(v: ValueOf<T>): void
  /**
   * The lock that guards the value, for sections that span several
   * operations (Python's `get_lock()`).
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import * as mp from "@mp/multiprocessing"
   *
   * const double = (v: mp.Value.Value<"i32">) =>
   *   v.getLock().withLock(Effect.flatMap(v.get, (n) => v.set(n * 2)))
   * ```
   */
  getLock(): Lock | RLock
}

/**
 * A shared number of element type `T`: a type name or a Python typecode, in types as
 * in values (`Value<"i">` is `Value<"i32">`, `Value<"d">` is `Value<"f64">`).
 * The interface is `TypedValue`, indexed by the canonical name.
 */
export type Value<T extends SharedType = Canonical> = TypedValue<CanonicalOf<T>>

/**
 * Creates a shared value of `type` holding `initial` (zero when omitted).
 * Fails with `InvalidArgument` for an unknown type or an initial value that
 * does not fit it.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const program = Effect.gen(function* () {
 *   const num = yield* mp.Value.make("d", 0.0)
 *   const big = yield* mp.Value.make("u64", 2n ** 40n)
 *   const ch = yield* mp.Value.make("c", "a")
 * })
 * ```
 */
export const make = <T extends SharedType>(
  type: T,
  initial?: ValueOf<T>,
  options?: ValueOptions,
): Effect.Effect<Value<T>, InvalidArgument> =>
  Effect.flatMap(resolve(type), (spec) => {
    const bad = checkLockOption("options.lock", options?.lock)
    if (bad !== undefined) return Effect.fail(bad)
    return Effect.map(
      allocate(spec, 1, initial === undefined ? undefined : [initial], "initial"),
      (cells) =>
        new ValueImpl(
          canonical(spec) as CanonicalOf<T>,
          cells.view.buffer as SharedArrayBuffer,
          lockOrDefault(options?.lock),
        ),
    )
  })

/**
 * Whether `u` is a `Value` (also one revived in a worker).
 *
 * @example
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * const check = (u: unknown): boolean => mp.Value.isValue(u)
 * ```
 */
export const isValue = (u: unknown): u is Value => u instanceof ValueImpl

/**
 * A Schema for a `Value` in a task's payload or result schema.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const Payload = Schema.Struct({ counter: mp.Value.schema })
 * ```
 */
export const schema: Schema.declare<Value> = Schema.declare(isValue, { title: "Value", expected: "Value" })

/**
 * A Schema for a `Value` of element type `type` (a name or a Python typecode) in a task's payload or result
 * schema: the handler sees a `Value<type>`, with typed elements, no cast. A value of another
 * element type fails to cross (`SerializationError`). Throws `InvalidArgument` for an unknown type.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * export const work = mp.Task.make(import.meta.url, "work", {
 *   payload: Schema.Struct({ counter: mp.Value.schemaOf("i") }),
 *   // p.counter is a Value<"i32">
 *   handler: (p) => p.counter.update((n) => n + 1),
 * })
 * ```
 */
export const schemaOf = <T extends SharedType>(type: T): Schema.declare<Value<T>> =>
  typedSchema<Value<T>>(isValue, "Value", type)
