/**
 * What `context.addFinalizer` takes, and its check: shared by the worker
 * runtime (`worker/runner/finalizers.ts`) and `Pool.layerInline`.
 *
 * @internal
 * @module
 */
import * as Effect from "effect/Effect"
import { InvalidArgument } from "../../errors.ts"

/** A finalizer: an Effect, or a function that may return a Promise or an Effect. */
export type Finalizer = Effect.Effect<unknown, unknown> | (() => unknown)

/** `addFinalizer`'s check of its argument: throws `InvalidArgument` unless it is a function or an Effect. */
export const checkFinalizer = (finalizer: unknown): Finalizer => {
  if (Effect.isEffect(finalizer) || typeof finalizer === "function") return finalizer as Finalizer
  throw new InvalidArgument({
    argument: "finalizer",
    message:
      `Cannot add a finalizer as 'finalizer' must be a function or an Effect: current value is ${typeof finalizer}`,
  })
}
