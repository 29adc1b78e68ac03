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
import { InvalidArgument } from "../errors.ts"
import { registerReviver } from "../internal/revive.ts"
import { SemaphoreOverRelease } from "./errors.ts"
import { acquireScoped, type Guard, type Held, withGuard } from "./internal/guard.ts"
import * as sem from "./internal/semaphore.ts"
import { hidden } from "./internal/types.ts"

const BRAND = "Semaphore"

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
export class Semaphore<E = never> {
  /** The brand that lets the worker runtime revive a cloned semaphore. */
  readonly __mp: "Semaphore" | "BoundedSemaphore" = BRAND
  /** The memory holding the semaphore's words. */
  readonly buffer: SharedArrayBuffer
  /** @internal */
  declare readonly i32: Int32Array
  /** @internal */
  declare readonly guard: Guard

  /** @internal Use `make`. */
  constructor(buffer: SharedArrayBuffer) {
    this.buffer = buffer
    const i32 = hidden(this, "i32", new Int32Array(buffer))
    const held: Held = { release: Effect.sync(() => void sem.release(i32, 0, 1)), abandoned: undefined }
    hidden(this, "guard", { take: (restore) => Effect.as(sem.take(i32, 0, restore), held) } satisfies Guard)
  }

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
  get acquire(): Effect.Effect<void, never, Scope.Scope> {
    return acquireScoped(this.guard) as Effect.Effect<void, never, Scope.Scope>
  }

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
  withPermit<A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> {
    return withGuard(this.guard, effect) as Effect.Effect<A, E, R>
  }

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
  get tryAcquire(): Effect.Effect<boolean, never, Scope.Scope> {
    return Effect.uninterruptible(Effect.suspend(() => {
      if (!sem.tryTake(this.i32, 0)) return Effect.succeed(false)
      return Effect.as(Effect.addFinalizer(() => Effect.sync(() => void sem.release(this.i32, 0, 1))), true)
    }))
  }

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
  get take(): Effect.Effect<void> {
    return sem.take(this.i32, 0, (e) => e)
  }

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
  get release(): Effect.Effect<void, E> {
    return Effect.suspend(() =>
      sem.release(this.i32, 0, 1) ? Effect.void : Effect.fail(new SemaphoreOverRelease({ bound: this.i32[2] }) as E)
    )
  }

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
  get getValue(): Effect.Effect<number> {
    return Effect.sync(() => sem.permits(this.i32, 0))
  }
}

/** @internal Validates a permit count. */
export const checkPermits = (value: number): InvalidArgument | undefined =>
  Number.isInteger(value) && value >= 0 && value < 2 ** 31
    ? undefined
    : new InvalidArgument({ argument: "value", message: `a semaphore value is a non-negative integer, got ${value}` })

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
    return Effect.succeed(new Semaphore(buffer))
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
export const isSemaphore = (u: unknown): u is Semaphore<unknown> => u instanceof Semaphore

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

registerReviver(BRAND, (plain) => new Semaphore((plain as unknown as Semaphore).buffer))
