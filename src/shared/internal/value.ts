/**
 * The implementation of `TypedValue` (see `../Value.ts` for its documentation).
 *
 * @module
 */
import * as Effect from "effect/Effect"
import type { InvalidArgument } from "../../errors.ts"
import { registerReviver, revive } from "../../internal/revive.ts"
import type { LockAbandoned } from "../errors.ts"
import { withGuard } from "./guard.ts"
import * as lockedCell from "./lockedCell.ts"
import { checkValue } from "./storage.ts"
import { type Canonical, Cells, hidden, specOf, type ValueOf } from "./types.ts"
import type { LockImpl } from "./lock.ts"
import type { RLockImpl } from "./rlock.ts"
import type { TypedValue } from "../Value.ts"

const BRAND = "Value"

/** The class behind `TypedValue`. */
export class ValueImpl<T extends Canonical = Canonical> implements TypedValue<T> {
  /** The brand that lets the worker runtime revive a cloned value. */
  readonly __mp: "Value" = BRAND
  /** The element type, as given to `make`. */
  readonly type: T
  /** The memory holding the number. */
  readonly buffer: SharedArrayBuffer
  /** The lock that guards it. */
  readonly lock: LockImpl | RLockImpl
  /** @internal */
  declare readonly cells: Cells

  /** @internal Use `make`. */
  constructor(type: T, buffer: SharedArrayBuffer, lock: LockImpl | RLockImpl) {
    this.type = type
    this.buffer = buffer
    this.lock = lock
    hidden(this, "cells", new Cells(specOf(type)!, buffer, 0, 1))
  }

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
  get get(): Effect.Effect<ValueOf<T>, LockAbandoned> {
    return withGuard(this.lock.guard, Effect.sync(() => this.cells.load(0) as ValueOf<T>))
  }

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
  set(v: ValueOf<T>): Effect.Effect<void, InvalidArgument | LockAbandoned> {
    return Effect.suspend((): Effect.Effect<void, InvalidArgument | LockAbandoned> => {
      const e = checkValue(this.cells.spec, v, "value")
      return e !== undefined ? Effect.fail(e) : withGuard(this.lock.guard, Effect.sync(() => this.cells.store(0, v)))
    })
  }

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
  update(f: (current: ValueOf<T>) => ValueOf<T>): Effect.Effect<ValueOf<T>, InvalidArgument | LockAbandoned> {
    return lockedCell.update(this.lock.guard, this.cells, 0, f)
  }

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
  updateSync(f: (current: ValueOf<T>) => ValueOf<T>): ValueOf<T> {
    return lockedCell.updateSync(this.lock, this.cells, 0, f)
  }

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
  getSync(): ValueOf<T> {
    return lockedCell.getSync(this.lock, this.cells, 0) as ValueOf<T>
  }

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
  setSync(v: ValueOf<T>): void {
    const e = checkValue(this.cells.spec, v, "value")
    if (e !== undefined) throw e
    lockedCell.setSync(this.lock, this.cells, 0, v)
  }

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
  getLock(): LockImpl | RLockImpl {
    return this.lock
  }
}

registerReviver(BRAND, (plain) => {
  const p = plain as unknown as ValueImpl
  return new ValueImpl(p.type, p.buffer, revive(p.lock) as LockImpl | RLockImpl)
})
