/**
 * A lock shared by every worker it is passed to: Python's
 * `multiprocessing.Lock`. It lives in one word of a `SharedArrayBuffer`, so
 * it excludes fibers of the same thread and fibers of other workers alike.
 * Waiting never blocks the event loop.
 *
 * Acquisition is scoped (`acquire` in a Scope, or `withLock(effect)`), so an
 * interrupted fiber or a failed effect always releases. Timeouts are Effect
 * timeouts: `lock.acquire.pipe(Effect.timeout("1 second"))`; a wait that is
 * interrupted leaves the lock as it was.
 *
 * Robust: if a worker dies while it holds the lock, the next acquirer takes
 * the lock over and fails with `LockAbandoned` (see there how to recover);
 * Python deadlocks here.
 *
 * Mutual exclusion comes first, though: a lock is taken over only from a
 * worker that has provably stopped (it announced its exit, or was terminated
 * while it ran no task). A worker terminated in the middle of a task (a task
 * timeout, an interrupt that the task ignored) may still be running, inside
 * its critical section: Deno's `Worker.terminate` cannot stop a busy loop.
 * While such a worker holds the lock, every acquirer fails with
 * `LockAbandoned` whose `reason` is `"may-still-run"` and does NOT get the
 * lock; when that thread releases it, the lock works as before.
 *
 * ## The synchronous fast path, for hot loops inside workers
 * An uncontended Effect-path operation is cheap (`value.update` is one
 * Effect step: the lock is taken and left inside it; `withLock` registers
 * its release, takes the lock without waiting and runs the effect), yet
 * each Effect step still costs more than the lock itself. In a worker's
 * synchronous code, `withLockSync(f)` runs a plain
 * function under the lock instead, like Python's `with lock:` (one
 * compare-and-swap when the lock is free; released in a `finally`). It blocks
 * the worker thread (`Atomics.wait`) while another worker holds the lock,
 * which is fine in a worker and is refused on the main thread with
 * `BlockingRefused`: there, blocking would stop the event loop that notices
 * dead workers. Errors are thrown, as the typed instances (`LockAbandoned`,
 * `BlockingRefused`); in an Effect task, `Effect.try` turns them into typed
 * failures. `takeSync`/`releaseSync` are the unbracketed pair.
 *
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * // inside a task, in the worker
 * const work = (lock: mp.Lock.Lock, log: Int32Array) => {
 *   for (let i = 0; i < 100_000; i++) lock.withLockSync(() => log[0]++)
 * }
 * ```
 *
 * @module
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import type { LockAbandoned, NotLockOwner } from "./errors.ts"
import { LockImpl } from "./internal/lock.ts"

/**
 * A cross-worker mutual-exclusion lock. Not re-entrant: a fiber that takes it
 * twice waits for itself (use `RLock`). Ownership is per thread: any fiber of
 * the holding thread may `release` it.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const program = Effect.gen(function* () {
 *   const lock = yield* mp.Lock.make()
 *   yield* lock.withLock(Effect.log("only one worker at a time"))
 * })
 * ```
 */
export interface Lock {
  /**
   * Takes the lock for the rest of the current Scope. Fails with
   * `LockAbandoned` when it took the lock over from a dead worker; the lock is
   * then held, and still released when the Scope closes.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import * as mp from "@mp/multiprocessing"
   *
   * const critical = (lock: mp.Lock.Lock) =>
   *   Effect.scoped(Effect.gen(function* () {
   *     yield* lock.acquire
   *     // ... exclusive work ...
   *   }))
   * ```
   */
  readonly acquire: Effect.Effect<void, LockAbandoned, Scope.Scope>
  /**
   * Runs `effect` while holding the lock, and releases it however `effect`
   * ends. Fails with `LockAbandoned` (without running `effect`, lock released)
   * when the previous holder died holding it.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import * as mp from "@mp/multiprocessing"
   *
   * const append = (lock: mp.Lock.Lock, log: Array<string>) => lock.withLock(Effect.sync(() => log.push("x")))
   * ```
   */
  withLock<A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | LockAbandoned, R>
  /**
   * Runs the synchronous function `f` while holding the lock and returns its
   * result; releases the lock however `f` ends (also when it throws). For hot
   * loops in a worker's synchronous code (Python's `with lock:`): no Effect
   * per call, one compare-and-swap when the lock is free, a blocking wait
   * (`Atomics.wait`) while another worker holds it. `f` must not wait for
   * anything asynchronous: the lock is released when it returns.
   *
   * Throws (as the typed instances):
   * - `LockAbandoned` when the previous holder died holding the lock; `f` did
   *   not run and the lock is free again (as with `withLock`). To repair
   *   under the lock, use `takeSync`. With reason `"may-still-run"` (the
   *   holder was terminated mid-task), `f` did not run and the lock stays
   *   with that thread.
   * - `BlockingRefused` on the main thread (always, so that behaviour does
   *   not depend on timing: blocking there stops the event loop that notices
   *   dead workers; use `withLock`), or when this thread already holds the
   *   lock (a second take would wait for itself).
   *
   * @example
   * ```ts
   * import * as mp from "@mp/multiprocessing"
   *
   * // in a task running in a worker
   * const count = (lock: mp.Lock.Lock, data: Int32Array, n: number) => {
   *   for (let i = 0; i < n; i++) lock.withLockSync(() => data[0]++)
   *   return n
   * }
   * ```
   */
  withLockSync<A>(f: () => A): A
  /**
   * Takes the lock from synchronous code, blocking this worker thread while
   * another holds it; pair it with `releaseSync`. Throws `LockAbandoned` when
   * it took the lock over from a dead worker: the lock is then HELD, so
   * repair the data and `releaseSync` (unless its reason is
   * `"may-still-run"`: then nothing was taken). Throws `BlockingRefused` as
   * `withLockSync` does (nothing taken then).
   *
   * @example
   * ```ts
   * import * as mp from "@mp/multiprocessing"
   *
   * const guarded = (lock: mp.Lock.Lock, repair: () => void, work: () => void) => {
   *   try {
   *     lock.takeSync()
   *   } catch (e) {
   *     if (!(e instanceof mp.LockAbandoned)) throw e
   *     repair() // held here
   *   }
   *   try {
   *     work()
   *   } finally {
   *     lock.releaseSync()
   *   }
   * }
   * ```
   */
  takeSync(): void
  /**
   * Releases the lock from synchronous code. Throws `NotLockOwner` when this
   * thread does not hold it. Never blocks, so it works on any thread.
   *
   * @example
   * ```ts
   * import * as mp from "@mp/multiprocessing"
   *
   * const handOff = (lock: mp.Lock.Lock) => {
   *   lock.takeSync()
   *   lock.releaseSync()
   * }
   * ```
   */
  releaseSync(): void
  /**
   * Takes the lock for the rest of the current Scope if it is free right now;
   * succeeds with whether it did. Never waits.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import * as mp from "@mp/multiprocessing"
   *
   * const maybe = (lock: mp.Lock.Lock) =>
   *   Effect.scoped(Effect.gen(function* () {
   *     if (yield* lock.tryAcquire) yield* Effect.log("got it")
   *   }))
   * ```
   */
  readonly tryAcquire: Effect.Effect<boolean, LockAbandoned, Scope.Scope>
  /**
   * Takes the lock without a Scope: pair it with `release`. Prefer `acquire`
   * or `withLock`, which cannot forget the release.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import * as mp from "@mp/multiprocessing"
   *
   * const handOff = (lock: mp.Lock.Lock) => Effect.andThen(lock.take, lock.release)
   * ```
   */
  readonly take: Effect.Effect<void, LockAbandoned>
  /**
   * Releases the lock. Fails with `NotLockOwner` when this thread does not
   * hold it.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import * as mp from "@mp/multiprocessing"
   *
   * const handOff = (lock: mp.Lock.Lock) => Effect.andThen(lock.take, lock.release)
   * ```
   */
  readonly release: Effect.Effect<void, NotLockOwner>
  /**
   * Whether some thread holds the lock right now (a snapshot).
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import * as mp from "@mp/multiprocessing"
   *
   * const report = (lock: mp.Lock.Lock) => Effect.map(lock.isLocked, (held) => held ? "busy" : "free")
   * ```
   */
  readonly isLocked: Effect.Effect<boolean>
}

/**
 * Creates a lock in fresh shared memory.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const lock = Effect.runSync(mp.Lock.make())
 * ```
 */
export const make = (): Effect.Effect<Lock> => Effect.sync(() => new LockImpl(new SharedArrayBuffer(4), 0))

/**
 * Whether `u` is a `Lock` (also one revived in a worker).
 *
 * @example
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * const check = (u: unknown): boolean => mp.Lock.isLock(u)
 * ```
 */
export const isLock = (u: unknown): u is Lock => u instanceof LockImpl

/**
 * A Schema for a `Lock` in a task's payload or result schema. The worker
 * revives shared objects before decoding, so the check passes on both sides.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const Payload = Schema.Struct({ lock: mp.Lock.schema, n: Schema.Number })
 * ```
 */
export const schema: Schema.declare<Lock> = Schema.declare(isLock, { title: "Lock", expected: "Lock" })
