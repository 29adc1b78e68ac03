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
import { type Canonical, Cells, hidden, specOf, type ValueOf } from "./types.ts"
import type { TRef } from "../TRef.ts"

const BRAND = "TRef"

/** The class behind `TRef`. */
export class TRefImpl<T extends Canonical = Canonical> implements TRef<T> {
  /** The brand that lets the worker runtime revive a cloned cell. */
  readonly __mp: "TRef" = BRAND
  /** The element type, as given to `make`. */
  readonly type: T
  /** The memory holding the cell: lock, version, and value. */
  readonly buffer: SharedArrayBuffer
  /** A process-wide unique id (commits lock cells in this order). */
  readonly id: number
  declare readonly i32: Int32Array
  declare readonly cells: Cells

  /** Use `make`. */
  constructor(type: T, buffer: SharedArrayBuffer, id: number) {
    this.type = type
    this.buffer = buffer
    this.id = id
    hidden(this, "i32", new Int32Array(buffer, 0, 4))
    hidden(this, "cells", new Cells(specOf(type)!, buffer, stm.VALUE_OFFSET, 1))
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
