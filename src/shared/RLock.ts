/**
 * A re-entrant lock shared across workers: Python's `multiprocessing.RLock`.
 * The fiber that holds it may take it again; it is free once every take was
 * released. Where Python says "thread", read "fiber": the owner is one fiber
 * of one worker, so two fibers of the same worker exclude each other (a fiber
 * forked inside `withLock` is not the owner).
 *
 * Like `Lock`: scoped acquisition, Effect timeouts, never blocks the event
 * loop, and `LockAbandoned` when the holder's worker died.
 *
 * @module
 */
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import { currentOwnerId } from "../internal/owner.ts"
import { registerReviver } from "../internal/revive.ts"
import { type LockAbandoned, NotLockOwner } from "./errors.ts"
import { acquireScoped, type Guard, type Held, takeUnscoped, withGuard } from "./internal/guard.ts"
import * as mutex from "./internal/mutex.ts"
import { hidden } from "./internal/types.ts"

const BRAND = "RLock"
// Int32 words from `index`: the mutex word, the owning fiber's id, the re-entry count.
const FIBER = 1
const COUNT = 2

/**
 * A cross-worker re-entrant lock, owned by one fiber at a time.
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
export class RLock {
  /** The brand that lets the worker runtime revive a cloned lock. */
  readonly __mp: "RLock" = BRAND
  /** The memory holding the lock's three words. */
  readonly buffer: SharedArrayBuffer
  /** The Int32 index of the first word in `buffer`. */
  readonly index: number
  /** @internal */
  declare readonly i32: Int32Array
  /** @internal */
  declare readonly guard: Guard

  /** @internal Use `make`. */
  constructor(buffer: SharedArrayBuffer, index: number) {
    this.buffer = buffer
    this.index = index
    const i32 = hidden(this, "i32", new Int32Array(buffer))
    const takeSync = (id: number): Held | undefined => {
      if (this.ownedBy(id)) {
        i32[index + COUNT]++
      } else if (mutex.tryLock(i32, index)) {
        i32[index + FIBER] = id
        i32[index + COUNT] = 1
      } else {
        return undefined
      }
      return { release: Effect.sync(() => this.releaseFor(id)), abandoned: undefined }
    }
    const guard: Guard = {
      tryTake: () => {
        const fiber = Fiber.getCurrent()
        return fiber === undefined ? undefined : takeSync(fiber.id)
      },
      take: (restore) =>
        Effect.withFiber((fiber) => {
          const id = fiber.id
          const fast = takeSync(id)
          if (fast !== undefined) return Effect.succeed(fast)
          const release = Effect.sync(() => this.releaseFor(id))
          return Effect.map(mutex.lockStatus(i32, index, "rlock", restore), (abandoned) => {
            i32[index + FIBER] = id
            i32[index + COUNT] = 1
            return { release, abandoned }
          })
        }),
    }
    hidden(this, "guard", guard)
  }

  /** @internal Drops one level for fiber `fiberId` if it holds the lock. */
  releaseFor(fiberId: number): void {
    if (this.ownedBy(fiberId)) this.releaseOnce()
  }

  /** @internal Whether fiber `fiberId` of this thread holds the lock. */
  ownedBy(fiberId: number): boolean {
    return mutex.holder(this.i32, this.index) === currentOwnerId() && this.i32[this.index + FIBER] === fiberId
  }

  /** @internal Drops one level; frees the lock at the last. The caller owns it. */
  releaseOnce(): void {
    if (--this.i32[this.index + COUNT] === 0) {
      this.i32[this.index + FIBER] = 0
      mutex.unlock(this.i32, this.index)
    }
  }

  /** @internal Frees the lock entirely (for `Condition.wait`); returns the count to restore. The caller owns it. */
  releaseAll(): number {
    const count = this.i32[this.index + COUNT]
    this.i32[this.index + COUNT] = 0
    this.i32[this.index + FIBER] = 0
    mutex.unlock(this.i32, this.index)
    return count
  }

  /** @internal Takes the lock again after `releaseAll`, with the saved count. */
  retake(count: number, restore: mutex.Restore): Effect.Effect<LockAbandoned | undefined> {
    return Effect.map(this.guard.take(restore), (held) => {
      this.i32[this.index + COUNT] = count
      return held.abandoned
    })
  }

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
   * const critical = (lock: mp.RLock.RLock) => Effect.scoped(Effect.andThen(lock.acquire(), Effect.log("held")))
   * ```
   */
  acquire(): Effect.Effect<void, LockAbandoned, Scope.Scope> {
    return acquireScoped(this.guard)
  }

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
  withLock<A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | LockAbandoned, R> {
    return withGuard(this.guard, effect)
  }

  /**
   * Takes the lock without a Scope: pair every `take` with a `release` from
   * the same fiber. Prefer `acquire` or `withLock`.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import * as mp from "@mp/multiprocessing"
   *
   * const twice = (lock: mp.RLock.RLock) => Effect.all([lock.take(), lock.take(), lock.release(), lock.release()])
   * ```
   */
  take(): Effect.Effect<void, LockAbandoned> {
    return takeUnscoped(this.guard)
  }

  /**
   * Releases one level. Fails with `NotLockOwner` when the calling fiber does
   * not hold the lock (another fiber or worker does, or nobody).
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import * as mp from "@mp/multiprocessing"
   *
   * const once = (lock: mp.RLock.RLock) => Effect.andThen(lock.take(), lock.release())
   * ```
   */
  release(): Effect.Effect<void, NotLockOwner> {
    return Effect.withFiber((fiber) => {
      if (this.ownedBy(fiber.id)) {
        this.releaseOnce()
        return Effect.void
      }
      return Effect.fail(
        new NotLockOwner({
          primitive: "rlock",
          ownerId: mutex.holder(this.i32, this.index),
          callerId: currentOwnerId(),
        }),
      )
    })
  }

  /**
   * Whether the calling fiber holds the lock.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import * as mp from "@mp/multiprocessing"
   *
   * const mine = (lock: mp.RLock.RLock) => lock.withLock(lock.isOwned()) // true
   * ```
   */
  isOwned(): Effect.Effect<boolean> {
    return Effect.withFiber((fiber) => Effect.succeed(this.ownedBy(fiber.id)))
  }
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
export const make = (): Effect.Effect<RLock> => Effect.sync(() => new RLock(new SharedArrayBuffer(12), 0))

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
export const isRLock = (u: unknown): u is RLock => u instanceof RLock

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

registerReviver(BRAND, (plain) => {
  const p = plain as unknown as RLock
  return new RLock(p.buffer, p.index)
})
