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
import { type Canonical, Cells, hidden, specOf, type ValueOf } from "./types.ts"
import type { TypedRawValue } from "../RawValue.ts"

const BRAND = "RawValue"

/** The class behind `TypedRawValue`. */
export class RawValueImpl<T extends Canonical = Canonical> implements TypedRawValue<T> {
  /** The brand that lets the worker runtime revive a cloned value. */
  readonly __mp: "RawValue" = BRAND
  /** The element type, as given to `make`. */
  readonly type: T
  /** The memory holding the number. */
  readonly buffer: SharedArrayBuffer
  /** @internal */
  declare readonly cells: Cells

  /** @internal Use `make`. */
  constructor(type: T, buffer: SharedArrayBuffer) {
    this.type = type
    this.buffer = buffer
    hidden(this, "cells", new Cells(specOf(type)!, buffer, 0, 1))
  }

  /**
   * Reads the value (one atomic load).
   *
   * @example
   * ```ts
   * import * as mp from "@mp/multiprocessing"
   *
   * const read = (v: mp.RawValue.RawValue<"i32">) => v.get
   * ```
   */
  get get(): Effect.Effect<ValueOf<T>> {
    return Effect.sync(() => this.cells.load(0) as ValueOf<T>)
  }

  /**
   * Writes the value (one atomic store). Fails with `InvalidArgument` when
   * `v` does not fit the type.
   *
   * @example
   * ```ts
   * import * as mp from "@mp/multiprocessing"
   *
   * const reset = (v: mp.RawValue.RawValue<"i32">) => v.set(0)
   * ```
   */
  set(v: ValueOf<T>): Effect.Effect<void, InvalidArgument> {
    return Effect.suspend(() => {
      const e = checkValue(this.cells.spec, v, "value")
      if (e !== undefined) return Effect.fail(e)
      this.cells.store(0, v)
      return Effect.void
    })
  }

  /**
   * Replaces the value with `f(current)` atomically (compare-and-swap: `f`
   * may run more than once under contention, so keep it pure); succeeds with
   * the new value.
   *
   * @example
   * ```ts
   * import * as mp from "@mp/multiprocessing"
   *
   * const increment = (v: mp.RawValue.RawValue<"i32">) => v.update((n) => n + 1)
   * ```
   */
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
