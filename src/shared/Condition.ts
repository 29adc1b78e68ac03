/**
 * A condition variable shared across workers: Python's
 * `multiprocessing.Condition`. It is bound to a lock (a fresh `RLock` by
 * default, or the `Lock`/`RLock` you give); `wait` must be called while
 * holding it, releases it while waiting, and takes it back before returning.
 * `notify(n)` wakes up to `n` of the fibers waiting at that moment and
 * `notifyAll` all of them, in any worker.
 *
 * How: the words `[seq, waiting, toWake]` are changed only under the lock. A
 * waiter counts itself in `waiting`, notes `seq`, releases the lock and
 * sleeps on `seq`. `notify(n)` raises `toWake` by up to `n` (never above
 * `waiting`) and bumps `seq`, waking the sleepers; each takes the lock back
 * and claims one unit of `toWake` if it was waiting before that bump, else
 * sleeps again. A waiter interrupted (or timed out) while sleeping takes the
 * lock back (uninterruptibly, as Python does), leaves the count and, if it
 * had been notified, leaves its unit to the others, so no notification is
 * lost. As everywhere, use `waitFor` or re-check your predicate after `wait`.
 *
 * "Holding the lock" follows the lock's ownership: for the default `RLock`,
 * the fiber that took it and every fiber forked inside its `withLock` (so
 * `c.withLock(c.wait.pipe(Effect.timeout(...)))` works: `Effect.timeout`
 * runs `wait` in a child fiber); for a `Lock`, any fiber of the holding
 * thread (as Python lets any thread release a `Lock`).
 *
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const program = Effect.gen(function* () {
 *   const cond = yield* mp.Condition.make() // with a new RLock
 *   const items = yield* mp.RawValue.make("i32", 0)
 *   // a consumer waits, under the lock, until there is an item
 *   const consume = cond.withLock(cond.waitFor(Effect.map(items.get, (n) => n > 0)))
 *   // a producer changes the state under the lock, then notifies
 *   const produce = cond.withLock(Effect.andThen(items.set(1), cond.notifyAll))
 *   yield* Effect.all([consume, produce], { concurrency: "unbounded" })
 * })
 * ```
 *
 * @module
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import type { LockAbandoned, NotLockOwner } from "./errors.ts"
import type { InvalidArgument } from "../errors.ts"
import { checkLockOption, lockOrDefault } from "./internal/lockOption.ts"
import type { Lock } from "./Lock.ts"
import type { RLock } from "./RLock.ts"
import { ConditionImpl } from "./internal/condition.ts"

/**
 * A cross-worker condition variable over a `Lock` or `RLock`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const program = Effect.gen(function* () {
 *   const items = yield* mp.Value.make("i", 0)
 *   const cond = yield* mp.Condition.make()
 *   const consume = cond.withLock(Effect.andThen(
 *     cond.waitFor(Effect.map(items.get, (n) => n > 0)),
 *     items.update((n) => n - 1),
 *   ))
 *   const produce = cond.withLock(Effect.andThen(items.update((n) => n + 1), cond.notify()))
 *   yield* Effect.all([consume, produce], { concurrency: 2 })
 * })
 * ```
 */
export interface Condition {
  /** The lock the condition is bound to. */
  readonly lock: Lock | RLock
  /**
   * Runs `effect` holding the condition's lock.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import * as mp from "@mp/multiprocessing"
   *
   * const signal = (c: mp.Condition.Condition) => c.withLock(c.notifyAll)
   * ```
   */
  withLock<A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | LockAbandoned, R>
  /**
   * Takes the condition's lock for the rest of the current Scope.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import * as mp from "@mp/multiprocessing"
   *
   * const locked = (c: mp.Condition.Condition) => Effect.scoped(Effect.andThen(c.acquire, c.notify()))
   * ```
   */
  readonly acquire: Effect.Effect<void, LockAbandoned, Scope.Scope>
  /**
   * Releases the lock, waits for a `notify`, and takes the lock back. Must be
   * called holding the lock (else `NotLockOwner`). Fails with `LockAbandoned`
   * when taking the lock back took it over from a dead worker (the lock is
   * held then). May return without a matching notify: re-check, or use
   * `waitFor`.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import * as mp from "@mp/multiprocessing"
   *
   * const once = (c: mp.Condition.Condition) => c.withLock(c.wait.pipe(Effect.timeoutOption("1 second")))
   * ```
   */
  readonly wait: Effect.Effect<void, LockAbandoned | NotLockOwner>
  /**
   * Waits until `predicate` succeeds with true, evaluating it under the lock
   * first and after every wake-up. Must be called holding the lock.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import * as mp from "@mp/multiprocessing"
   *
   * const untilPositive = (c: mp.Condition.Condition, v: mp.Value.Value<"i32">) =>
   *   c.withLock(c.waitFor(Effect.map(v.get, (n) => n > 0)))
   * ```
   */
  waitFor<E, R>(predicate: Effect.Effect<boolean, E, R>): Effect.Effect<void, E | LockAbandoned | NotLockOwner, R>
  /**
   * Wakes up to `n` (default 1) of the fibers waiting right now, in any
   * worker. Must be called holding the lock (else `NotLockOwner`).
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import * as mp from "@mp/multiprocessing"
   *
   * const wakeOne = (c: mp.Condition.Condition) => c.withLock(c.notify())
   * ```
   */
  notify(n?: number): Effect.Effect<void, NotLockOwner>
  /**
   * Wakes every fiber waiting right now, in any worker. Must be called
   * holding the lock.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import * as mp from "@mp/multiprocessing"
   *
   * const wakeAll = (c: mp.Condition.Condition) => c.withLock(c.notifyAll)
   * ```
   */
  readonly notifyAll: Effect.Effect<void, NotLockOwner>
}

/**
 * Creates a condition variable over `lock` (a fresh `RLock` by default).
 * Anything else than a `Lock` or an `RLock` is an `InvalidArgument`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const program = Effect.gen(function* () {
 *   const lock = yield* mp.Lock.make()
 *   const cond = yield* mp.Condition.make(lock)
 * })
 * ```
 */
export const make = (lock?: Lock | RLock): Effect.Effect<Condition, InvalidArgument> =>
  Effect.suspend(() => {
    const bad = checkLockOption("lock", lock)
    if (bad !== undefined) return Effect.fail(bad)
    return Effect.succeed(new ConditionImpl(new SharedArrayBuffer(12), lockOrDefault(lock)))
  })

/**
 * Whether `u` is a `Condition` (also one revived in a worker).
 *
 * @example
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * const check = (u: unknown): boolean => mp.Condition.isCondition(u)
 * ```
 */
export const isCondition = (u: unknown): u is Condition => u instanceof ConditionImpl

/**
 * A Schema for a `Condition` in a task's payload or result schema.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const Payload = Schema.Struct({ cond: mp.Condition.schema })
 * ```
 */
export const schema: Schema.declare<Condition> = Schema.declare(isCondition, {
  title: "Condition",
  expected: "Condition",
})
