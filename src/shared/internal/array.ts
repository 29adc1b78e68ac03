/**
 * The implementation of `TypedSharedArray` (see `../Array.ts` for its documentation).
 *
 * @module
 */
import * as Effect from "effect/Effect"
import type { InvalidArgument } from "../../errors.ts"
import { registerReviver, revive } from "../../internal/revive.ts"
import { IndexOutOfRange, type LockAbandoned } from "../errors.ts"
import { withGuard } from "./guard.ts"
import * as lockedCell from "./lockedCell.ts"
import { checkIndex, checkValue } from "./storage.ts"
import { type Canonical, Cells, hidden, specOf, type ValueOf, type ViewOf } from "./types.ts"
import type { LockImpl } from "./lock.ts"
import type { RLockImpl } from "./rlock.ts"
import type { TypedSharedArray } from "../Array.ts"

const BRAND = "Array"

/** The class behind `TypedSharedArray`. */
export class SharedArrayImpl<T extends Canonical = Canonical> implements TypedSharedArray<T> {
  /** The brand that lets the worker runtime revive a cloned array. */
  readonly __mp: "Array" = BRAND
  /** The element type, as given to `make`. */
  readonly type: T
  /** The memory holding the elements. */
  readonly buffer: SharedArrayBuffer
  /** The number of elements. */
  readonly length: number
  /** The lock that guards it. */
  readonly lock: LockImpl | RLockImpl
  /** @internal */
  declare readonly cells: Cells

  /** @internal Use `make`. */
  constructor(type: T, buffer: SharedArrayBuffer, length: number, lock: LockImpl | RLockImpl) {
    this.type = type
    this.buffer = buffer
    this.length = length
    this.lock = lock
    hidden(this, "cells", new Cells(specOf(type)!, buffer, 0, length))
  }

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
  get(i: number): Effect.Effect<ValueOf<T>, IndexOutOfRange | LockAbandoned> {
    return Effect.suspend((): Effect.Effect<ValueOf<T>, IndexOutOfRange | LockAbandoned> => {
      const e = checkIndex(i, this.length)
      if (e !== undefined) return Effect.fail(e)
      return withGuard(this.lock.guard, Effect.sync(() => this.cells.load(i) as ValueOf<T>))
    })
  }

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
  set(i: number, v: ValueOf<T>): Effect.Effect<void, IndexOutOfRange | InvalidArgument | LockAbandoned> {
    return Effect.suspend((): Effect.Effect<void, IndexOutOfRange | InvalidArgument | LockAbandoned> => {
      const e = checkIndex(i, this.length) ?? checkValue(this.cells.spec, v, "value")
      if (e !== undefined) return Effect.fail(e)
      return withGuard(this.lock.guard, Effect.sync(() => this.cells.store(i, v)))
    })
  }

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
  ): Effect.Effect<ValueOf<T>, IndexOutOfRange | InvalidArgument | LockAbandoned> {
    return Effect.suspend((): Effect.Effect<ValueOf<T>, IndexOutOfRange | InvalidArgument | LockAbandoned> => {
      const e = checkIndex(i, this.length)
      if (e !== undefined) return Effect.fail(e)
      return lockedCell.update(this.lock.guard, this.cells, i, f)
    })
  }

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
  updateSync(i: number, f: (current: ValueOf<T>) => ValueOf<T>): ValueOf<T> {
    const bad = checkIndex(i, this.length)
    if (bad !== undefined) throw bad
    return lockedCell.updateSync(this.lock, this.cells, i, f)
  }

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
  getSync(i: number): ValueOf<T> {
    const bad = checkIndex(i, this.length)
    if (bad !== undefined) throw bad
    return lockedCell.getSync(this.lock, this.cells, i) as ValueOf<T>
  }

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
  setSync(i: number, v: ValueOf<T>): void {
    const bad = checkIndex(i, this.length) ?? checkValue(this.cells.spec, v, "value")
    if (bad !== undefined) throw bad
    lockedCell.setSync(this.lock, this.cells, i, v)
  }

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
  get toArray(): Effect.Effect<Array<ValueOf<T>>, LockAbandoned> {
    return withGuard(
      this.lock.guard,
      Effect.sync(() => {
        const out: Array<ValueOf<T>> = []
        for (let i = 0; i < this.length; i++) out.push(this.cells.load(i) as ValueOf<T>)
        return out
      }),
    )
  }

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
    offset: number = 0,
  ): Effect.Effect<void, IndexOutOfRange | InvalidArgument | LockAbandoned> {
    return Effect.suspend((): Effect.Effect<void, IndexOutOfRange | InvalidArgument | LockAbandoned> => {
      if (!Number.isInteger(offset) || offset < 0 || offset + values.length > this.length) {
        const index = Number.isInteger(offset) && offset >= 0 ? offset + values.length - 1 : offset
        return Effect.fail(new IndexOutOfRange({ index, length: this.length }))
      }
      for (let i = 0; i < values.length; i++) {
        const bad = checkValue(this.cells.spec, values[i], `values[${i}]`)
        if (bad !== undefined) return Effect.fail(bad)
      }
      return withGuard(
        this.lock.guard,
        Effect.sync(() => {
          for (let i = 0; i < values.length; i++) this.cells.store(offset + i, values[i])
        }),
      )
    })
  }

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
  view(): ViewOf<T> {
    return this.cells.view as ViewOf<T>
  }

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
  getLock(): LockImpl | RLockImpl {
    return this.lock
  }
}

registerReviver(BRAND, (plain) => {
  const p = plain as unknown as SharedArrayImpl
  return new SharedArrayImpl(p.type, p.buffer, p.length, revive(p.lock) as LockImpl | RLockImpl)
})
