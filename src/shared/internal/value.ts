/**
 * The implementation of `TypedValue` (see `../Value.ts` for its documentation).
 *
 * @module
 */
import * as Effect from "effect/Effect"
import type { InvalidArgument } from "../../errors.ts"
import { registerReviver, revive } from "../../internal/revive.ts"
import type { LockAbandoned } from "../errors.ts"
import { withGuardNow } from "./guard.ts"
import * as lockedCell from "./lockedCell.ts"
import { checkValue } from "./storage.ts"
import type { Canonical, ValueOf } from "./types.ts"
import { TypedCells } from "./typedCells.ts"
import type { LockImpl } from "./lock.ts"
import type { RLockImpl } from "./rlock.ts"
import type { TypedValue } from "../Value.ts"

const BRAND = "Value"

/** The class behind `TypedValue`. */
export class ValueImpl<T extends Canonical = Canonical> extends TypedCells<T> implements TypedValue<T> {
  /** The brand that lets the worker runtime revive a cloned value. */
  readonly __mp: "Value" = BRAND
  /** The lock that guards it. */
  readonly lock: LockImpl | RLockImpl

  /** Use `make`. */
  constructor(type: T, buffer: SharedArrayBuffer, lock: LockImpl | RLockImpl) {
    super(type, buffer, 0, 1)
    this.lock = lock
  }

  get get(): Effect.Effect<ValueOf<T>, LockAbandoned> {
    return withGuardNow(this.lock.guard, () => Effect.succeed(this.cells.load(0) as ValueOf<T>))
  }

  set(v: ValueOf<T>): Effect.Effect<void, InvalidArgument | LockAbandoned> {
    return withGuardNow(this.lock.guard, () => {
      this.cells.store(0, v)
      return Effect.void
    }, () => checkValue(this.cells.spec, v, "value"))
  }

  update(f: (current: ValueOf<T>) => ValueOf<T>): Effect.Effect<ValueOf<T>, InvalidArgument | LockAbandoned> {
    return lockedCell.update(this.lock.guard, this.cells, 0, f)
  }

  updateSync(f: (current: ValueOf<T>) => ValueOf<T>): ValueOf<T> {
    return lockedCell.updateSync(this.lock, this.cells, 0, f)
  }

  getSync(): ValueOf<T> {
    return lockedCell.getSync(this.lock, this.cells, 0) as ValueOf<T>
  }

  setSync(v: ValueOf<T>): void {
    const e = checkValue(this.cells.spec, v, "value")
    if (e !== undefined) throw e
    lockedCell.setSync(this.lock, this.cells, 0, v)
  }

  getLock(): LockImpl | RLockImpl {
    return this.lock
  }
}

registerReviver(BRAND, (plain) => {
  const p = plain as unknown as ValueImpl
  return new ValueImpl(p.type, p.buffer, revive(p.lock) as LockImpl | RLockImpl)
})
