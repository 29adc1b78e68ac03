/**
 * A re-entrant lock shared across workers: Python's `multiprocessing.RLock`.
 * The fiber that holds it may take it again; it is free once every take was
 * released. Where Python says "thread", read "fiber": the owner is the fiber
 * that took the lock, together with every fiber forked inside its `withLock`
 * section (the child fibers of `Effect.timeout`, `Effect.race`,
 * `Effect.all({ concurrency })`, `Effect.forkScoped`, …): they may re-enter
 * it, wait on a `Condition` over it, and release the levels they took. Any
 * other fiber, of this worker or another, excludes it as usual. (Ownership
 * passes to children only through `withLock`; after `take` or `acquire`,
 * only the taking fiber is the owner.)
 *
 * Like `Lock`: scoped acquisition, Effect timeouts, never blocks the event
 * loop, and `LockAbandoned` when the holder's worker died.
 *
 * Also like `Lock`, a synchronous fast path for hot loops in a worker's
 * synchronous code: `withLockSync(f)` (re-entrant too), `takeSync`,
 * `releaseSync`; blocking, so refused on the main thread with
 * `BlockingRefused`. A synchronous section re-enters itself (any take
 * nested inside it) and a `withLock` of the running fiber.
 *
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * // inside a task, in the worker
 * const nested = (lock: mp.RLock.RLock) => lock.withLockSync(() => lock.withLockSync(() => "re-entered"))
 * ```
 *
 * @module
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import type { LockAbandoned, NotLockOwner } from "./errors.ts"
import { RLockImpl } from "./internal/rlock.ts"

/**
 * A cross-worker re-entrant lock, owned by one fiber at a time (and the
 * fibers it forks inside its `withLock` sections).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const program = Effect.gen(function* () {
 *   const lock = yield* mp.RLock.make()
 *   yield* lock.withLock(lock.withLock(Effect.log("taken twice by the same fiber")))
 * })
 * ```
 */
export interface RLock {
  /**
   * Takes the lock (again, if this fiber holds it) for the rest of the
   * current Scope. Fails with `LockAbandoned` when it took the lock over from
   * a dead worker; the lock is then held, and released when the Scope closes.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import * as mp from "@mp/multiprocessing"
   *
   * const critical = (lock: mp.RLock.RLock) => Effect.scoped(Effect.andThen(lock.acquire, Effect.log("held")))
   * ```
   */
  readonly acquire: Effect.Effect<void, LockAbandoned, Scope.Scope>
  /**
   * Runs `effect` while holding the lock, and releases this level however
   * `effect` ends. Re-entrant for the same fiber.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import * as mp from "@mp/multiprocessing"
   *
   * const nested = (lock: mp.RLock.RLock) => lock.withLock(lock.withLock(Effect.void))
   * ```
   */
  withLock<A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | LockAbandoned, R>
  /**
   * Runs the synchronous function `f` while holding the lock (re-entering if
   * the caller holds it) and returns its result; releases this level however
   * `f` ends (also when it throws). For hot loops in a worker's synchronous
   * code: no Effect per call, one compare-and-swap when the lock is free, a
   * blocking wait (`Atomics.wait`) while another worker holds it. Takes
   * nested inside `f` re-enter, and so does a `withLockSync` inside the
   * running fiber's `withLock`. `f` must not wait for anything asynchronous:
   * the lock is released when it returns.
   *
   * Throws (as the typed instances) `LockAbandoned` when the previous holder
   * died holding the lock (`f` did not run; the lock is free again), and
   * `BlockingRefused` on the main thread, or when another fiber of this
   * thread holds the lock (waiting for it would block the thread it needs).
   *
   * @example
   * ```ts
   * import * as mp from "@mp/multiprocessing"
   *
   * // in a task running in a worker
   * const count = (lock: mp.RLock.RLock, data: Int32Array, n: number) => {
   *   for (let i = 0; i < n; i++) lock.withLockSync(() => lock.withLockSync(() => data[0]++))
   *   return n
   * }
   * ```
   */
  withLockSync<A>(f: () => A): A
  /**
   * Takes the lock (again, if the caller holds it) from synchronous code;
   * pair every `takeSync` with a `releaseSync` by the same owner. Throws
   * `LockAbandoned` when it took the lock over from a dead worker: the lock
   * is then HELD (repair, then `releaseSync`). Throws `BlockingRefused` as
   * `withLockSync` does (nothing taken then).
   *
   * @example
   * ```ts
   * import * as mp from "@mp/multiprocessing"
   *
   * const twice = (lock: mp.RLock.RLock) => {
   *   lock.takeSync()
   *   lock.takeSync()
   *   lock.releaseSync()
   *   lock.releaseSync()
   * }
   * ```
   */
  takeSync(): void
  /**
   * Releases one level from synchronous code. Throws `NotLockOwner` when the
   * caller (the running fiber, or code outside fibers) does not hold it.
   * Never blocks.
   *
   * @example
   * ```ts
   * import * as mp from "@mp/multiprocessing"
   *
   * const once = (lock: mp.RLock.RLock) => {
   *   lock.takeSync()
   *   lock.releaseSync()
   * }
   * ```
   */
  releaseSync(): void
  /**
   * Takes the lock without a Scope: pair every `take` with a `release` from
   * the same fiber. Prefer `acquire` or `withLock`.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import * as mp from "@mp/multiprocessing"
   *
   * const twice = (lock: mp.RLock.RLock) => Effect.all([lock.take, lock.take, lock.release, lock.release])
   * ```
   */
  readonly take: Effect.Effect<void, LockAbandoned>
  /**
   * Releases one level. Fails with `NotLockOwner` when the calling fiber does
   * not hold the lock (another fiber or worker does, or nobody).
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import * as mp from "@mp/multiprocessing"
   *
   * const once = (lock: mp.RLock.RLock) => Effect.andThen(lock.take, lock.release)
   * ```
   */
  readonly release: Effect.Effect<void, NotLockOwner>
  /**
   * Whether the calling fiber holds the lock.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import * as mp from "@mp/multiprocessing"
   *
   * const mine = (lock: mp.RLock.RLock) => lock.withLock(lock.isOwned) // true
   * ```
   */
  readonly isOwned: Effect.Effect<boolean>
}

/**
 * Creates a re-entrant lock in fresh shared memory.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const lock = Effect.runSync(mp.RLock.make())
 * ```
 */
export const make = (): Effect.Effect<RLock> => Effect.sync(() => new RLockImpl(new SharedArrayBuffer(12), 0))

/**
 * Whether `u` is an `RLock` (also one revived in a worker).
 *
 * @example
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * const check = (u: unknown): boolean => mp.RLock.isRLock(u)
 * ```
 */
export const isRLock = (u: unknown): u is RLock => u instanceof RLockImpl

/**
 * A Schema for an `RLock` in a task's payload or result schema.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const Payload = Schema.Struct({ lock: mp.RLock.schema })
 * ```
 */
export const schema: Schema.declare<RLock> = Schema.declare(isRLock, { title: "RLock", expected: "RLock" })
