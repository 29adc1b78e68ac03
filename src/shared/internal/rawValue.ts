/**
 * The implementation of `TypedRawValue` (see `../RawValue.ts` for its documentation).
 *
 * @module
 */
import * as Effect from "effect/Effect"
import type { InvalidArgument } from "../../errors.ts"
import { registerReviver } from "../../internal/revive.ts"
import * as atomicCell from "./atomicCell.ts"
import { checkValue } from "./storage.ts"
import type { Canonical, ValueOf } from "./types.ts"
import { TypedCells } from "./typedCells.ts"
import type { TypedRawValue } from "../RawValue.ts"

const BRAND = "RawValue"

/** The class behind `TypedRawValue`. */
export class RawValueImpl<T extends Canonical = Canonical> extends TypedCells<T> implements TypedRawValue<T> {
  /** The brand that lets the worker runtime revive a cloned value. */
  readonly __mp: "RawValue" = BRAND

  /** Use `make`. */
  constructor(type: T, buffer: SharedArrayBuffer) {
    super(type, buffer, 0, 1)
  }

  get get(): Effect.Effect<ValueOf<T>> {
    return Effect.sync(() => this.cells.load(0) as ValueOf<T>)
  }

  set(v: ValueOf<T>): Effect.Effect<void, InvalidArgument> {
    return Effect.suspend(() => {
      const e = checkValue(this.cells.spec, v, "value")
      if (e !== undefined) return Effect.fail(e)
      this.cells.store(0, v)
      return Effect.void
    })
  }

  update(f: (current: ValueOf<T>) => ValueOf<T>): Effect.Effect<ValueOf<T>, InvalidArgument> {
    return Effect.suspend(() => {
      return atomicCell.update(this.cells, 0, f)
    })
  }
}

registerReviver(BRAND, (plain) => {
  const p = plain as unknown as RawValueImpl
  return new RawValueImpl(p.type, p.buffer)
})
