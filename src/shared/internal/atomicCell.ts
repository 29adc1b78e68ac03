/**
 * The lock-free `update` of `RawValue` and `RawArray`: a compare-and-swap
 * loop on one element of `Cells`, its rejection turned into a typed failure.
 *
 * @internal
 * @module
 */
import * as Effect from "effect/Effect"
import { InvalidArgument } from "../../errors.ts"
import { type Cells, invalid } from "./types.ts"

/**
 * Replaces element `i` with `f(current)` atomically (`f` may run more than
 * once); succeeds with the new value, or fails with `InvalidArgument` when it
 * does not fit (nothing written). Callers check the index first.
 */
export const update = <A>(cells: Cells, i: number, f: (current: A) => A): Effect.Effect<A, InvalidArgument> => {
  const r = cells.modify(i, f as (v: unknown) => unknown, (v) => invalid(cells.spec, v))
  return r.error === undefined
    ? Effect.succeed(r.value as A)
    : Effect.fail(new InvalidArgument({ argument: "value", message: r.error }))
}
