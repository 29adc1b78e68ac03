/**
 * The implementation of `TypedSharedArray` (see `../Array.ts` for its documentation).
 *
 * @module
 */
import * as Effect from "effect/Effect"
import type { InvalidArgument } from "../../errors.ts"
import { registerReviver, revive } from "../../internal/revive.ts"
import { IndexOutOfRange, type LockAbandoned } from "../errors.ts"
import { withGuardNow } from "./guard.ts"
import * as lockedCell from "./lockedCell.ts"
import { checkIndex, checkValue } from "./storage.ts"
import type { Canonical, ValueOf, ViewOf } from "./types.ts"
import { TypedCells } from "./typedCells.ts"
import type { LockImpl } from "./lock.ts"
import type { RLockImpl } from "./rlock.ts"
import type { TypedSharedArray } from "../Array.ts"

const BRAND = "Array"

/** The class behind `TypedSharedArray`. */
export class SharedArrayImpl<T extends Canonical = Canonical> extends TypedCells<T> implements TypedSharedArray<T> {
  /** The brand that lets the worker runtime revive a cloned array. */
  readonly __mp: "Array" = BRAND
  /** The number of elements. */
  readonly length: number
  /** The lock that guards it. */
  readonly lock: LockImpl | RLockImpl

  /** Use `make`. */
  constructor(type: T, buffer: SharedArrayBuffer, length: number, lock: LockImpl | RLockImpl) {
    super(type, buffer, 0, length)
    this.length = length
    this.lock = lock
  }

  get(i: number): Effect.Effect<ValueOf<T>, IndexOutOfRange | LockAbandoned> {
    return withGuardNow(
      this.lock.guard,
      () => Effect.succeed(this.cells.load(i) as ValueOf<T>),
      () => checkIndex(i, this.length),
    )
  }

  set(i: number, v: ValueOf<T>): Effect.Effect<void, IndexOutOfRange | InvalidArgument | LockAbandoned> {
    return withGuardNow(this.lock.guard, () => {
      this.cells.store(i, v)
      return Effect.void
    }, () => checkIndex(i, this.length) ?? checkValue(this.cells.spec, v, "value"))
  }

  update(
    i: number,
    f: (current: ValueOf<T>) => ValueOf<T>,
  ): Effect.Effect<ValueOf<T>, IndexOutOfRange | InvalidArgument | LockAbandoned> {
    return lockedCell.update(this.lock.guard, this.cells, i, f, () => checkIndex(i, this.length))
  }

  updateSync(i: number, f: (current: ValueOf<T>) => ValueOf<T>): ValueOf<T> {
    const bad = checkIndex(i, this.length)
    if (bad !== undefined) throw bad
    return lockedCell.updateSync(this.lock, this.cells, i, f)
  }

  getSync(i: number): ValueOf<T> {
    const bad = checkIndex(i, this.length)
    if (bad !== undefined) throw bad
    return lockedCell.getSync(this.lock, this.cells, i) as ValueOf<T>
  }

  setSync(i: number, v: ValueOf<T>): void {
    const bad = checkIndex(i, this.length) ?? checkValue(this.cells.spec, v, "value")
    if (bad !== undefined) throw bad
    lockedCell.setSync(this.lock, this.cells, i, v)
  }

  get toArray(): Effect.Effect<Array<ValueOf<T>>, LockAbandoned> {
    return withGuardNow(this.lock.guard, () => {
      const out: Array<ValueOf<T>> = []
      for (let i = 0; i < this.length; i++) out.push(this.cells.load(i) as ValueOf<T>)
      return Effect.succeed(out)
    })
  }

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
      return withGuardNow(this.lock.guard, () => {
        for (let i = 0; i < values.length; i++) this.cells.store(offset + i, values[i])
        return Effect.void
      })
    })
  }

  view(): ViewOf<T> {
    return this.cells.view as ViewOf<T>
  }

  getLock(): LockImpl | RLockImpl {
    return this.lock
  }
}

registerReviver(BRAND, (plain) => {
  const p = plain as unknown as SharedArrayImpl
  return new SharedArrayImpl(p.type, p.buffer, p.length, revive(p.lock) as LockImpl | RLockImpl)
})
