/**
 * A counting semaphore shared across workers: Python's
 * `multiprocessing.Semaphore`. `acquire` takes a permit for the current Scope
 * and `withPermit(effect)` around an effect; `take`/`release` are the unscoped
 * pair for signalling between workers. Waiting never blocks the event loop;
 * timeouts are Effect timeouts, and an interrupted wait takes nothing.
 *
 * Not robust: permits held by a worker that dies are not given back (as in
 * Python); use a `Lock` where that matters.
 *
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const program = Effect.gen(function* () {
 *   const slots = yield* mp.Semaphore.make(2) // at most two holders at a time, across all workers
 *   yield* slots.withPermit(Effect.log("one of at most two"))
 * })
 * ```
 *
 * @module
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import type { InvalidArgument } from "../errors.ts"
import * as sem from "./internal/semaphore.ts"
import { checkPermits, SemaphoreImpl } from "./internal/semaphore_impl.ts"

/**
 * A cross-worker counting semaphore. `E` is what `release` can fail with:
 * nothing here, `SemaphoreOverRelease` for a `BoundedSemaphore`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const program = Effect.gen(function* () {
 *   const slots = yield* mp.Semaphore.make(3)
 *   yield* slots.withPermit(Effect.log("at most three of these at once, across workers"))
 * })
 * ```
 */
export interface Semaphore<E = never> {
  /**
   * Takes a permit for the rest of the current Scope.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import * as mp from "@mp/multiprocessing"
   *
   * const limited = (s: mp.Semaphore.Semaphore) => Effect.scoped(Effect.andThen(s.acquire, Effect.log("in")))
   * ```
   */
  readonly acquire: Effect.Effect<void, never, Scope.Scope>
  /**
   * Runs `effect` holding a permit, and gives it back however `effect` ends.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import * as mp from "@mp/multiprocessing"
   *
   * const limited = (s: mp.Semaphore.Semaphore) => s.withPermit(Effect.log("in"))
   * ```
   */
  withPermit<A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R>
  /**
   * Takes a permit for the rest of the current Scope if one is free right
   * now; succeeds with whether it did.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import * as mp from "@mp/multiprocessing"
   *
   * const maybe = (s: mp.Semaphore.Semaphore) => Effect.scoped(s.tryAcquire)
   * ```
   */
  readonly tryAcquire: Effect.Effect<boolean, never, Scope.Scope>
  /**
   * Takes a permit without a Scope (Python's `acquire()`); give it back with
   * `release`, possibly from another worker.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import * as mp from "@mp/multiprocessing"
   *
   * const waitForSignal = (s: mp.Semaphore.Semaphore) => s.take
   * ```
   */
  readonly take: Effect.Effect<void>
  /**
   * Gives a permit back, waking a waiting taker in any worker. (A
   * `BoundedSemaphore` fails with `SemaphoreOverRelease` instead of passing
   * its bound.)
   *
   * @example
   * ```ts
   * import * as mp from "@mp/multiprocessing"
   *
   * const signal = (s: mp.Semaphore.Semaphore) => s.release
   * ```
   */
  readonly release: Effect.Effect<void, E>
  /**
   * The permits free right now (a snapshot).
   *
   * @example
   * ```ts
   * import * as mp from "@mp/multiprocessing"
   *
   * const free = (s: mp.Semaphore.Semaphore) => s.getValue
   * ```
   */
  readonly getValue: Effect.Effect<number>
}

/**
 * Creates a semaphore with `value` permits (default 1). Fails with
 * `InvalidArgument` for a negative or fractional value.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const slots = Effect.runSync(mp.Semaphore.make(4))
 * ```
 */
export const make = (value: number = 1): Effect.Effect<Semaphore, InvalidArgument> =>
  Effect.suspend(() => {
    const e = checkPermits(value)
    if (e !== undefined) return Effect.fail(e)
    const buffer = new SharedArrayBuffer(4 * sem.WORDS)
    sem.init(new Int32Array(buffer), 0, value, 0)
    return Effect.succeed(new SemaphoreImpl(buffer))
  })

/**
 * Whether `u` is a `Semaphore` (a `BoundedSemaphore` is one too).
 *
 * @example
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * const check = (u: unknown): boolean => mp.Semaphore.isSemaphore(u)
 * ```
 */
export const isSemaphore = (u: unknown): u is Semaphore<unknown> => u instanceof SemaphoreImpl

/**
 * A Schema for a `Semaphore` in a task's payload or result schema.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const Payload = Schema.Struct({ slots: mp.Semaphore.schema })
 * ```
 */
export const schema: Schema.declare<Semaphore<unknown>> = Schema.declare(isSemaphore, {
  title: "Semaphore",
  expected: "Semaphore",
})
