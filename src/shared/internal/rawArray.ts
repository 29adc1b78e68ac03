/**
 * The implementation of `TypedRawArray` (see `../RawArray.ts` for its documentation).
 *
 * @module
 */
import * as Effect from "effect/Effect"
import type { InvalidArgument } from "../../errors.ts"
import { registerReviver } from "../../internal/revive.ts"
import type { IndexOutOfRange } from "../errors.ts"
import * as atomicCell from "./atomicCell.ts"
import { checkIndex, checkValue } from "./storage.ts"
import type { Canonical, ValueOf, ViewOf } from "./types.ts"
import { TypedCells } from "./typedCells.ts"
import type { TypedRawArray } from "../RawArray.ts"

const BRAND = "RawArray"

/** The class behind `TypedRawArray`. */
export class RawArrayImpl<T extends Canonical = Canonical> extends TypedCells<T> implements TypedRawArray<T> {
  /** The brand that lets the worker runtime revive a cloned array. */
  readonly __mp: "RawArray" = BRAND
  /** The number of elements. */
  readonly length: number

  /** Use `make`. */
  constructor(type: T, buffer: SharedArrayBuffer, length: number) {
    super(type, buffer, 0, length)
    this.length = length
  }

  get(i: number): Effect.Effect<ValueOf<T>, IndexOutOfRange> {
    return Effect.suspend(() => {
      const e = checkIndex(i, this.length)
      return e !== undefined ? Effect.fail(e) : Effect.succeed(this.cells.load(i) as ValueOf<T>)
    })
  }

  set(i: number, v: ValueOf<T>): Effect.Effect<void, IndexOutOfRange | InvalidArgument> {
    return Effect.suspend((): Effect.Effect<void, IndexOutOfRange | InvalidArgument> => {
      const e = checkIndex(i, this.length) ?? checkValue(this.cells.spec, v, "value")
      if (e !== undefined) return Effect.fail(e)
      this.cells.store(i, v)
      return Effect.void
    })
  }

  update(
    i: number,
    f: (current: ValueOf<T>) => ValueOf<T>,
  ): Effect.Effect<ValueOf<T>, IndexOutOfRange | InvalidArgument> {
    return Effect.suspend((): Effect.Effect<ValueOf<T>, IndexOutOfRange | InvalidArgument> => {
      const e = checkIndex(i, this.length)
      if (e !== undefined) return Effect.fail(e)
      return atomicCell.update(this.cells, i, f)
    })
  }

  get toArray(): Effect.Effect<Array<ValueOf<T>>> {
    return Effect.sync(() => {
      const out: Array<ValueOf<T>> = []
      for (let i = 0; i < this.length; i++) out.push(this.cells.load(i) as ValueOf<T>)
      return out
    })
  }

  view(): ViewOf<T> {
    return this.cells.view as ViewOf<T>
  }
}

registerReviver(BRAND, (plain) => {
  const p = plain as unknown as RawArrayImpl
  return new RawArrayImpl(p.type, p.buffer, p.length)
})
