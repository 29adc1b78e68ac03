/**
 * A semaphore that refuses to be released past its initial value: Python's
 * `multiprocessing.BoundedSemaphore`. Releasing too many times fails with
 * `SemaphoreOverRelease` (and gives nothing back), which catches a release
 * without a matching acquire. Everything else is `Semaphore`.
 *
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const program = Effect.gen(function* () {
 *   const s = yield* mp.BoundedSemaphore.make(1)
 *   yield* s.take
 *   yield* s.release
 *   const error = yield* Effect.flip(s.release) // one release too many
 *   console.log(error._tag) // "SemaphoreOverRelease"
 * })
 * ```
 *
 * @module
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import type { InvalidArgument } from "../errors.ts"
import type { SemaphoreOverRelease } from "./errors.ts"
import * as sem from "./internal/semaphore.ts"
import { BoundedSemaphoreImpl, checkPermits } from "./internal/semaphore_impl.ts"
import type { Semaphore } from "./Semaphore.ts"

/**
 * A cross-worker semaphore whose value never exceeds its bound.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const program = Effect.gen(function* () {
 *   const s = yield* mp.BoundedSemaphore.make(2)
 *   const e = yield* Effect.flip(s.release) // SemaphoreOverRelease: nothing was taken
 * })
 * ```
 */
export interface BoundedSemaphore extends Semaphore<SemaphoreOverRelease> {
  /**
   * The bound: the initial value, which the value never exceeds.
   *
   * @example
   * ```ts
   * import * as mp from "@mp/multiprocessing"
   *
   * const max = (s: mp.BoundedSemaphore.BoundedSemaphore) => s.bound
   * ```
   */
  readonly bound: number
}

/**
 * Creates a bounded semaphore with `value` permits (default 1), which is also
 * its bound. Fails with `InvalidArgument` for a value that is not a positive
 * integer.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const s = Effect.runSync(mp.BoundedSemaphore.make(3))
 * ```
 */
export const make = (value: number = 1): Effect.Effect<BoundedSemaphore, InvalidArgument> =>
  Effect.suspend(() => {
    const e = checkPermits(value === 0 ? -1 : value)
    if (e !== undefined) return Effect.fail(e)
    const buffer = new SharedArrayBuffer(4 * sem.WORDS)
    sem.init(new Int32Array(buffer), 0, value, value)
    return Effect.succeed(new BoundedSemaphoreImpl(buffer))
  })

/**
 * Whether `u` is a `BoundedSemaphore`.
 *
 * @example
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * const check = (u: unknown): boolean => mp.BoundedSemaphore.isBoundedSemaphore(u)
 * ```
 */
export const isBoundedSemaphore = (u: unknown): u is BoundedSemaphore => u instanceof BoundedSemaphoreImpl

/**
 * A Schema for a `BoundedSemaphore` in a task's payload or result schema.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const Payload = Schema.Struct({ slots: mp.BoundedSemaphore.schema })
 * ```
 */
export const schema: Schema.declare<BoundedSemaphore> = Schema.declare(isBoundedSemaphore, {
  title: "BoundedSemaphore",
  expected: "BoundedSemaphore",
})
