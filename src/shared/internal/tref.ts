/**
 * The implementation of `TRef` (see `../TRef.ts` for its documentation).
 *
 * @module
 */
import * as Effect from "effect/Effect"
import type { InvalidArgument } from "../../errors.ts"
import { registerReviver } from "../../internal/revive.ts"
import { checkValue } from "./storage.ts"
import * as stm from "./stm.ts"
import { hidden } from "../../internal/hidden.ts"
import type { Canonical, ValueOf } from "./types.ts"
import { TypedCells } from "./typedCells.ts"
import type { TypedTRef } from "../TRef.ts"

const BRAND = "TRef"

/** The class behind `TRef`. */
export class TRefImpl<T extends Canonical = Canonical> extends TypedCells<T> implements TypedTRef<T> {
  /** The brand that lets the worker runtime revive a cloned cell. */
  readonly __mp: "TRef" = BRAND
  /** A process-wide unique id (commits lock cells in this order). */
  readonly id: number
  /** The cell's lock and version words (`buffer` holds them before the value). */
  declare readonly i32: Int32Array

  /** Use `make`. */
  constructor(type: T, buffer: SharedArrayBuffer, id: number) {
    super(type, buffer, stm.VALUE_OFFSET, 1)
    this.id = id
    hidden(this, "i32", new Int32Array(buffer, 0, 4))
  }

  get get(): Effect.Effect<ValueOf<T>> {
    return stm.atomically(Effect.withFiber((fiber) => stm.txRead(fiber.getRef(stm.CurrentTx)!, this))) as Effect.Effect<
      ValueOf<T>
    >
  }

  set(v: ValueOf<T>): Effect.Effect<void, InvalidArgument> {
    return stm.atomically(Effect.withFiber((fiber) => {
      const e = checkValue(this.cells.spec, v, "value")
      if (e !== undefined) return Effect.fail(e)
      stm.txWrite(fiber.getRef(stm.CurrentTx)!, this, v)
      return Effect.void
    }))
  }

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

registerReviver(BRAND, (plain) => {
  const p = plain as unknown as TRefImpl
  return new TRefImpl(p.type, p.buffer, p.id)
})
