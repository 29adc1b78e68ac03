/**
 * The implementation of `Lock` (see `../Lock.ts` for its documentation).
 *
 * @module
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { currentOwnerId } from "../../internal/owner.ts"
import { registerReviver } from "../../internal/revive.ts"
import { LockAbandoned, NotLockOwner } from "../errors.ts"
import { acquireScoped, type Guard, mutexGuard, withGuard } from "./guard.ts"
import * as mutex from "../../internal/mutex.ts"
import { runSection } from "./section.ts"
import { lockSync } from "./sync.ts"
import { hidden } from "./types.ts"
import type { Lock } from "../Lock.ts"

const BRAND = "Lock"

/** The class behind `Lock`. */
export class LockImpl implements Lock {
  /** The brand that lets the worker runtime revive a cloned lock. */
  readonly __mp: "Lock" = BRAND
  /** The memory holding the lock word. */
  readonly buffer: SharedArrayBuffer
  /** The Int32 index of the lock word in `buffer`. */
  readonly index: number
  /** @internal */
  declare readonly i32: Int32Array
  /** @internal */
  declare readonly guard: Guard

  /** @internal Use `make`; the word at `index` must be 0 or a valid lock word. */
  constructor(buffer: SharedArrayBuffer, index: number) {
    this.buffer = buffer
    this.index = index
    const i32 = hidden(this, "i32", new Int32Array(buffer))
    hidden(
      this,
      "guard",
      mutexGuard(
        (restore) => mutex.lockStatus(i32, index, "lock", restore),
        Effect.sync(() => void mutex.unlockOwned(i32, index)),
        () => mutex.tryLock(i32, index),
      ),
    )
  }

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
  get acquire(): Effect.Effect<void, LockAbandoned, Scope.Scope> {
    return acquireScoped(this.guard)
  }

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
  withLock<A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | LockAbandoned, R> {
    return withGuard(this.guard, effect)
  }

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
  withLockSync<A>(f: () => A): A {
    return runSection(this, f)
  }

  /**
   * @internal Enters a bracketed synchronous section; pair it with
   * `exitSync` in a `finally`. On `LockAbandoned` the lock is released again
   * before it is thrown. Throws `BlockingRefused`.
   */
  enterSync(): number {
    const abandoned = lockSync(this.i32, this.index, "lock")
    if (abandoned !== undefined) {
      mutex.unlockOwned(this.i32, this.index)
      throw abandoned
    }
    return 0
  }

  /** @internal Leaves a section entered with `enterSync` (its result is for `RLock`'s sake). */
  exitSync(_entered: number): void {
    const me = currentOwnerId()
    // One CAS when nobody waits; otherwise (WAITERS set) the general release, which wakes them.
    if (Atomics.compareExchange(this.i32, this.index, me, mutex.UNLOCKED) !== me) {
      mutex.unlockOwned(this.i32, this.index)
    }
  }

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
  takeSync(): void {
    const abandoned = lockSync(this.i32, this.index, "lock")
    if (abandoned !== undefined) throw abandoned
  }

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
  releaseSync(): void {
    const found = mutex.unlockOwned(this.i32, this.index)
    if (found !== -1) throw new NotLockOwner({ primitive: "lock", ownerId: found, callerId: currentOwnerId() })
  }

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
  get tryAcquire(): Effect.Effect<boolean, LockAbandoned, Scope.Scope> {
    return Effect.uninterruptible(Effect.suspend(() => {
      const r = mutex.tryLockRobust(this.i32, this.index)
      if (r === mutex.BUSY) return Effect.succeed(false)
      const registered = Effect.as(Effect.addFinalizer(() => this.release.pipe(Effect.ignore)), true)
      if (r === mutex.TAKEN) return registered
      return Effect.andThen(
        registered,
        Effect.fail(new LockAbandoned({ primitive: "lock", ownerId: r, reason: "died" })),
      )
    }))
  }

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
  get take(): Effect.Effect<void, LockAbandoned> {
    return mutex.lock(this.i32, this.index, "lock")
  }

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
  get release(): Effect.Effect<void, NotLockOwner> {
    return Effect.suspend(() => {
      const found = mutex.unlockOwned(this.i32, this.index)
      return found === -1
        ? Effect.void
        : Effect.fail(new NotLockOwner({ primitive: "lock", ownerId: found, callerId: currentOwnerId() }))
    })
  }

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
  get isLocked(): Effect.Effect<boolean> {
    return Effect.sync(() => mutex.holder(this.i32, this.index) !== 0)
  }
}

registerReviver(BRAND, (plain) => {
  const p = plain as unknown as LockImpl
  return new LockImpl(p.buffer, p.index)
})
