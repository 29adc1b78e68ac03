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
import { registerReviver } from "../internal/revive.ts"
import { allocate, checkValue, resolve } from "./internal/storage.ts"
import * as stm from "./internal/stm.ts"
import {
  type Canonical,
  canonical,
  type CanonicalOf,
  Cells,
  hidden,
  type SharedType,
  specOf,
  type ValueOf,
} from "./internal/types.ts"

export type { SharedType, ValueOf } from "./internal/types.ts"

const BRAND = "TRef"

/**
 * A shared transactional cell of element type `T`.
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
export class TRef<T extends Canonical = Canonical> implements stm.Cell {
  /** The brand that lets the worker runtime revive a cloned cell. */
  readonly __mp: "TRef" = BRAND
  /** The element type, as given to `make`. */
  readonly type: T
  /** The memory holding the cell: lock, version, and value. */
  readonly buffer: SharedArrayBuffer
  /** A process-wide unique id (commits lock cells in this order). */
  readonly id: number
  /** @internal */
  declare readonly i32: Int32Array
  /** @internal */
  declare readonly cells: Cells

  /** @internal Use `make`. */
  constructor(type: T, buffer: SharedArrayBuffer, id: number) {
    this.type = type
    this.buffer = buffer
    this.id = id
    hidden(this, "i32", new Int32Array(buffer, 0, 4))
    hidden(this, "cells", new Cells(specOf(type)!, buffer, stm.VALUE_OFFSET, 1))
  }

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
  get get(): Effect.Effect<ValueOf<T>> {
    return stm.atomically(Effect.withFiber((fiber) => stm.txRead(fiber.getRef(stm.CurrentTx)!, this))) as Effect.Effect<
      ValueOf<T>
    >
  }

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
  set(v: ValueOf<T>): Effect.Effect<void, InvalidArgument> {
    return stm.atomically(Effect.withFiber((fiber) => {
      const e = checkValue(this.cells.spec, v, "value")
      if (e !== undefined) return Effect.fail(e)
      stm.txWrite(fiber.getRef(stm.CurrentTx)!, this, v)
      return Effect.void
    }))
  }

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
  update(f: (current: ValueOf<T>) => ValueOf<T>): Effect.Effect<ValueOf<T>, InvalidArgument> {
    return stm.atomically(Effect.withFiber((fiber) => {
      const tx = fiber.getRef(stm.CurrentTx)!
      return Effect.flatMap(stm.txRead(tx, this), (current): Effect.Effect<ValueOf<T>, InvalidArgument> => {
        const next = f(current as ValueOf<T>)
        const e = checkValue(this.cells.spec, next, "value")
        if (e !== undefined) return Effect.fail(e)
        stm.txWrite(tx, this, next)
        return Effect.succeed(next)
      })
    }))
  }
}

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
): Effect.Effect<TRef<CanonicalOf<T>>, InvalidArgument> =>
  Effect.flatMap(resolve(type), (spec) =>
    Effect.map(
      allocate(spec, 1, initial === undefined ? undefined : [initial], "initial"),
      (staged) => {
        const buffer = new SharedArrayBuffer(stm.CELL_BYTES)
        const ref = new TRef(canonical(spec) as CanonicalOf<T>, buffer, stm.nextCellId())
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
export const isTRef = (u: unknown): u is TRef => u instanceof TRef

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

registerReviver(BRAND, (plain) => {
  const p = plain as unknown as TRef
  return new TRef(p.type, p.buffer, p.id)
})
