/**
 * The implementation of `RLock` (see `../RLock.ts` for its documentation).
 *
 * @module
 */
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import type * as Scope from "effect/Scope"
import { currentOwnerId } from "../../internal/owner.ts"
import { registerReviver } from "../../internal/revive.ts"
import { BlockingRefused, type LockAbandoned, NotLockOwner } from "../errors.ts"
import { acquireScoped, type Guard, type Held, takeUnscoped, withGuard } from "./guard.ts"
import { hasHold, holdsOf, withHold } from "./holds.ts"
import * as mutex from "../../internal/mutex.ts"
import { runSection } from "./section.ts"
import { lockSlow, mayBlock, refuseOnMainThread } from "./sync.ts"
import { hidden } from "./types.ts"
import type { RLock } from "../RLock.ts"

const BRAND = "RLock"
// Int32 words from `index`: the mutex word, the owning fiber's id, the re-entry count.
const FIBER = 1
const COUNT = 2
// The owner recorded for synchronous code running outside any fiber (fiber ids are positive).
const NO_FIBER = -1
// A bracketed synchronous section (`withLockSync`, `Value.updateSync`, …) takes the mutex and leaves the owner
// word at 0 (no fiber has id 0) and the count at 0: that is the whole fast path, one CAS to take and one exchange
// to release. Such a section runs to its end without yielding, so while this thread holds the mutex with owner 0,
// any take on this thread is nested inside the section and re-enters it. `enterSync` says how it took the lock:
const FRESH = 0 // took the mutex: `exitSync` releases it
const NESTED = 1 // inside a section of this thread: nothing to undo
const COUNTED = 2 // re-entered a hold with an owner (the running fiber's `withLock`, a `takeSync`): one level

/** What `releaseAll` saves for `retake`. */
interface Saved {
  readonly owner: number
  readonly count: number
}

/** The owner of an unbracketed synchronous take: the running fiber, or the thread's code outside fibers. */
const syncOwner = (): number => Fiber.getCurrent()?.id ?? NO_FIBER

/** The class behind `RLock`. */
export class RLockImpl implements RLock {
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
    const heldAs = (fiber: Fiber.Fiber<unknown, unknown>, owner: number, abandoned?: LockAbandoned): Held => ({
      release: Effect.sync(() => this.releaseAs(owner)),
      abandoned,
      within: (effect) => withHold(fiber, buffer, index, owner, effect),
    })
    const takeFast = (fiber: Fiber.Fiber<unknown, unknown>): Held | undefined => {
      const owner = this.ownerFor(fiber)
      if (owner !== undefined) {
        i32[index + COUNT]++
        return heldAs(fiber, owner)
      }
      if (!mutex.tryLock(i32, index)) return undefined
      i32[index + FIBER] = fiber.id
      i32[index + COUNT] = 1
      return heldAs(fiber, fiber.id)
    }
    const guard: Guard = {
      tryTake: () => {
        const fiber = Fiber.getCurrent()
        return fiber === undefined ? undefined : takeFast(fiber)
      },
      take: (restore) =>
        Effect.withFiber((fiber) => {
          const fast = takeFast(fiber)
          if (fast !== undefined) return Effect.succeed(fast)
          return Effect.map(mutex.lockStatus(i32, index, "rlock", restore), (abandoned): Held => {
            if (!mutex.heldAfter(abandoned)) return { release: Effect.void, abandoned }
            i32[index + FIBER] = fiber.id
            i32[index + COUNT] = 1
            return heldAs(fiber, fiber.id, abandoned)
          })
        }),
    }
    hidden(this, "guard", guard)
  }

  /**
   * @internal Enters a bracketed synchronous section (re-entering when the
   * caller holds the lock); pass the result to `exitSync` in a `finally`. One
   * CAS when the lock is free, else a blocking wait. On `LockAbandoned` the
   * lock is released again before it is thrown. Throws `BlockingRefused`.
   */
  enterSync(): number {
    if (!mayBlock) refuseOnMainThread("rlock")
    const i32 = this.i32
    const index = this.index
    const me = currentOwnerId()
    if (Atomics.compareExchange(i32, index, mutex.UNLOCKED, me) === mutex.UNLOCKED) return FRESH
    if (mutex.holder(i32, index) === me) {
      const owner = i32[index + FIBER]
      if (owner === 0) return NESTED
      if (!this.actsAs(owner)) throw new BlockingRefused({ primitive: "rlock", reason: "deadlock" })
      i32[index + COUNT]++
      return COUNTED
    }
    const abandoned = lockSlow(i32, index, "rlock")
    if (abandoned !== undefined) {
      if (mutex.heldAfter(abandoned)) {
        i32[index + FIBER] = 0
        i32[index + COUNT] = 0
        mutex.unlock(i32, index)
      }
      throw abandoned
    }
    i32[index + FIBER] = 0
    i32[index + COUNT] = 0
    return FRESH
  }

  /** @internal Leaves a section entered with `enterSync`, given what it returned. */
  exitSync(entered: number): void {
    if (entered === FRESH) {
      this.i32[this.index + COUNT] = 0 // forgets takeSync calls left unreleased inside the section
      mutex.unlock(this.i32, this.index)
    } else if (entered === COUNTED) {
      this.releaseOnce()
    }
  }

  /**
   * @internal Takes the lock for `takeSync`, recording the caller as its
   * owner (or, inside a synchronous section, counting the level). Returns the
   * `LockAbandoned` to raise (the lock is held then).
   */
  takeSyncUnbracketed(): LockAbandoned | undefined {
    if (!mayBlock) refuseOnMainThread("rlock")
    const i32 = this.i32
    const index = this.index
    const me = currentOwnerId()
    const id = syncOwner()
    let abandoned: LockAbandoned | undefined
    if (Atomics.compareExchange(i32, index, mutex.UNLOCKED, me) !== mutex.UNLOCKED) {
      if (mutex.holder(i32, index) === me) {
        const owner = i32[index + FIBER]
        if (owner !== 0 && !this.actsAs(owner)) throw new BlockingRefused({ primitive: "rlock", reason: "deadlock" })
        i32[index + COUNT]++
        return undefined
      }
      abandoned = lockSlow(i32, index, "rlock")
      if (!mutex.heldAfter(abandoned)) return abandoned
    }
    i32[index + FIBER] = id
    i32[index + COUNT] = 1
    return abandoned
  }

  /** @internal Drops one level if the lock is held by this thread for `owner`. */
  releaseAs(owner: number): void {
    if (mutex.holder(this.i32, this.index) === currentOwnerId() && this.i32[this.index + FIBER] === owner) {
      this.releaseOnce()
    }
  }

  /**
   * @internal The owner recorded in the lock that `fiber` acts as when this
   * thread holds the lock for it: its own id, or the owner of a section it
   * runs inside (or was forked in, see `holds.ts`); `undefined` otherwise.
   */
  ownerFor(fiber: Fiber.Fiber<unknown, unknown> | undefined): number | undefined {
    if (mutex.holder(this.i32, this.index) !== currentOwnerId()) return undefined
    const owner = this.i32[this.index + FIBER]
    if (owner === 0) return undefined
    if (owner === (fiber?.id ?? NO_FIBER)) return owner
    return fiber !== undefined && hasHold(holdsOf(fiber), this.buffer, this.index, owner) ? owner : undefined
  }

  /** @internal Whether the caller (the running fiber, or code outside fibers) acts as `owner`. */
  actsAs(owner: number): boolean {
    if (owner === syncOwner()) return true
    return owner > 0 && hasHold(holdsOf(), this.buffer, this.index, owner)
  }

  /** @internal Drops one level; frees the lock at the last. The caller owns it. */
  releaseOnce(): void {
    if (--this.i32[this.index + COUNT] === 0) {
      this.i32[this.index + FIBER] = 0
      mutex.unlock(this.i32, this.index)
    }
  }

  /**
   * @internal Frees the lock entirely (for `Condition.wait`); returns what
   * `retake` restores (the owner and the count). The caller owns it.
   */
  releaseAll(): Saved {
    const saved = { owner: this.i32[this.index + FIBER], count: this.i32[this.index + COUNT] }
    this.i32[this.index + COUNT] = 0
    this.i32[this.index + FIBER] = 0
    mutex.unlock(this.i32, this.index)
    return saved
  }

  /** @internal Takes the lock again after `releaseAll`, for the same owner and count. */
  retake(saved: Saved, restore: mutex.Restore): Effect.Effect<LockAbandoned | undefined> {
    return Effect.map(mutex.lockStatus(this.i32, this.index, "rlock", restore), (abandoned) => {
      if (mutex.heldAfter(abandoned)) {
        this.i32[this.index + FIBER] = saved.owner
        this.i32[this.index + COUNT] = saved.count
      }
      return abandoned
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
   * const critical = (lock: mp.RLock.RLock) => Effect.scoped(Effect.andThen(lock.acquire, Effect.log("held")))
   * ```
   */
  get acquire(): Effect.Effect<void, LockAbandoned, Scope.Scope> {
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
  withLockSync<A>(f: () => A): A {
    return runSection(this, f)
  }

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
  takeSync(): void {
    const abandoned = this.takeSyncUnbracketed()
    if (abandoned !== undefined) throw abandoned
  }

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
  releaseSync(): void {
    const i32 = this.i32
    const index = this.index
    if (mutex.holder(i32, index) === currentOwnerId()) {
      const owner = i32[index + FIBER]
      // Inside a synchronous section (owner 0), only the levels `takeSync` added can be released.
      if (owner === 0 ? i32[index + COUNT] > 0 : this.actsAs(owner)) {
        if (owner === 0) i32[index + COUNT]--
        else this.releaseOnce()
        return
      }
    }
    throw new NotLockOwner({ primitive: "rlock", ownerId: mutex.holder(i32, index), callerId: currentOwnerId() })
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
   * const twice = (lock: mp.RLock.RLock) => Effect.all([lock.take, lock.take, lock.release, lock.release])
   * ```
   */
  get take(): Effect.Effect<void, LockAbandoned> {
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
   * const once = (lock: mp.RLock.RLock) => Effect.andThen(lock.take, lock.release)
   * ```
   */
  get release(): Effect.Effect<void, NotLockOwner> {
    return Effect.withFiber((fiber) => {
      if (this.ownerFor(fiber) !== undefined) {
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
   * const mine = (lock: mp.RLock.RLock) => lock.withLock(lock.isOwned) // true
   * ```
   */
  get isOwned(): Effect.Effect<boolean> {
    return Effect.withFiber((fiber) => Effect.succeed(this.ownerFor(fiber) !== undefined))
  }
}

registerReviver(BRAND, (plain) => {
  const p = plain as unknown as RLockImpl
  return new RLockImpl(p.buffer, p.index)
})
