/**
 * A transactional cell in shared memory: one number that transactions in any
 * worker read and write with `mp.atomically`. A transaction's reads and
 * writes take effect all at once or not at all, and transactions are
 * serializable across workers (see `mp.atomically` for the isolation given).
 *
 * `get`, `set` and `update` inside `atomically` join its transaction; outside
 * one, each is a transaction of its own. Types as for `Value`.
 *
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const program = Effect.gen(function* () {
 *   const from = yield* mp.TRef.make("i32", 100)
 *   const to = yield* mp.TRef.make("i32", 0)
 *   // both cells change together or not at all, whatever other workers do meanwhile
 *   yield* mp.atomically(Effect.gen(function* () {
 *     const balance = yield* from.get
 *     if (balance < 30) return yield* mp.retry() // wait until `from` changes
 *     yield* from.set(balance - 30)
 *     yield* to.update((n) => n + 30)
 *   }))
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
import * as stm from "./internal/stm.ts"
import { type Canonical, canonical, type CanonicalOf, type SharedType, type ValueOf } from "./internal/types.ts"
import { TRefImpl } from "./internal/tref.ts"

export type { SharedType, ValueOf } from "./internal/types.ts"

/**
 * A shared transactional cell of element type `T`, indexed by the canonical
 * name (write `TRef<T>`, which also takes Python's typecodes).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const program = Effect.gen(function* () {
 *   const a = yield* mp.TRef.make("i32", 100)
 *   const b = yield* mp.TRef.make("i32", 0)
 *   yield* mp.atomically(Effect.gen(function* () {
 *     yield* a.update((x) => x - 10)
 *     yield* b.update((x) => x + 10)
 *   }))
 * })
 * ```
 */
export interface TypedTRef<T extends Canonical = Canonical> {
  /** The element type, as given to `make`. */
  readonly type: T
  /**
   * Reads the cell (in the current transaction, or as one of its own).
   *
   * @example
   * ```ts
   * import * as mp from "@mp/multiprocessing"
   *
   * const balance = (account: mp.TRef.TRef<"i32">) => account.get
   * ```
   */
  readonly get: Effect.Effect<ValueOf<T>>
  /**
   * Writes the cell (in the current transaction, or as one of its own).
   * Fails with `InvalidArgument` when `v` does not fit the type.
   *
   * @example
   * ```ts
   * import * as mp from "@mp/multiprocessing"
   *
   * const close = (account: mp.TRef.TRef<"i32">) => account.set(0)
   * ```
   */
  set(v: ValueOf<T>): Effect.Effect<void, InvalidArgument>
  /**
   * Replaces the value with `f(current)` (in the current transaction, or as
   * one of its own); succeeds with the new value.
   *
   * @example
   * ```ts
   * import * as mp from "@mp/multiprocessing"
   *
   * const deposit = (account: mp.TRef.TRef<"i32">, n: number) => account.update((x) => x + n)
   * ```
   */
  update(f: (current: ValueOf<T>) => ValueOf<T>): Effect.Effect<ValueOf<T>, InvalidArgument>
}

/**
 * A shared transactional cell of element type `T`: a type name or a Python typecode, in types as
 * in values (`TRef<"i">` is `TRef<"i32">`, `TRef<"d">` is `TRef<"f64">`).
 * The interface is `TypedTRef`, indexed by the canonical name.
 *
 * @example
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * const balance = (account: mp.TRef.TRef<"i">) => account.get
 * ```
 */
export type TRef<T extends SharedType = Canonical> = TypedTRef<CanonicalOf<T>>

/**
 * Creates a transactional cell of `type` holding `initial` (zero when
 * omitted). Fails with `InvalidArgument` for an unknown type or a value that
 * does not fit it.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const account = Effect.runSync(mp.TRef.make("i32", 100))
 * ```
 */
export const make = <T extends SharedType>(
  type: T,
  initial?: ValueOf<T>,
): Effect.Effect<TRef<T>, InvalidArgument> =>
  Effect.flatMap(resolve(type), (spec) =>
    Effect.map(
      allocate(spec, 1, initial === undefined ? undefined : [initial], "initial"),
      (staged) => {
        const buffer = new SharedArrayBuffer(stm.CELL_BYTES)
        const ref = new TRefImpl(canonical(spec) as CanonicalOf<T>, buffer, stm.nextCellId())
        ref.cells.store(0, staged.load(0))
        return ref
      },
    ))

/**
 * Whether `u` is a `TRef` (also one revived in a worker).
 *
 * @example
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * const check = (u: unknown): boolean => mp.TRef.isTRef(u)
 * ```
 */
export const isTRef = (u: unknown): u is TRef => u instanceof TRefImpl

/**
 * A Schema for a `TRef` in a task's payload or result schema.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const Payload = Schema.Struct({ accounts: Schema.Array(mp.TRef.schema) })
 * ```
 */
export const schema: Schema.declare<TRef> = Schema.declare(isTRef, { title: "TRef", expected: "TRef" })

/**
 * A Schema for a `TRef` of element type `type` (a name or a Python typecode) in a task's payload or result
 * schema: the handler sees a `TRef<type>`, with typed elements, no cast. A cell of another
 * element type fails to cross (`SerializationError`). Throws `InvalidArgument` for an unknown type.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * export const work = mp.Task.make(import.meta.url, "work", {
 *   payload: Schema.Struct({ balance: mp.TRef.schemaOf("q") }),
 *   // p.balance is a TRef<"i64">
 *   handler: (p) => mp.atomically(p.balance.update((n) => n + 1n)),
 * })
 * ```
 */
export const schemaOf = <T extends SharedType>(type: T): Schema.declare<TRef<T>> =>
  typedSchema<TRef<T>>(isTRef, "TRef", type)
