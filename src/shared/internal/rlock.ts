/**
 * The implementation of `RLock` (see `../RLock.ts` for its documentation).
 *
 * @module
 */
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import { currentOwnerId } from "../../internal/owner.ts"
import { registerReviver } from "../../internal/revive.ts"
import { BlockingRefused, type LockAbandoned, NotLockOwner } from "../errors.ts"
import { GuardedLock } from "./guardedLock.ts"
import { BUSY, type Guard, type Held, takeUnscoped } from "./guard.ts"
import { hasHold, holdsOf, withHold } from "./holds.ts"
import * as mutex from "../../internal/mutex.ts"
import { lockSlow, mayBlock, refuseOnMainThread } from "./sync.ts"
import { hidden } from "../../internal/hidden.ts"
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

/** A hold of an `RLock` for `owner`, taken by `fiber` (one object: `withLock` takes one per call). */
class HeldFor implements Held {
  constructor(
    readonly lock: RLockImpl,
    readonly fiber: Fiber.Fiber<unknown, unknown>,
    readonly owner: number,
    readonly abandoned: LockAbandoned | undefined,
  ) {}
  get release(): Effect.Effect<void> {
    return Effect.sync(() => this.releaseNow())
  }
  releaseNow(): void {
    this.lock.releaseAs(this.owner)
  }
  within<A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> {
    return withHold(this.fiber, this.lock.buffer, this.lock.index, this.owner, effect)
  }
}

/** The owner of an unbracketed synchronous take: the running fiber, or the thread's code outside fibers. */
const syncOwner = (): number => Fiber.getCurrent()?.id ?? NO_FIBER

/** The class behind `RLock`. */
export class RLockImpl extends GuardedLock implements RLock {
  /** The brand that lets the worker runtime revive a cloned lock. */
  readonly __mp: "RLock" = BRAND

  /** Use `make`; the lock's three words start at `index`. */
  constructor(buffer: SharedArrayBuffer, index: number) {
    super(buffer, index)
    const i32 = this.i32
    const heldAs = (fiber: Fiber.Fiber<unknown, unknown>, owner: number, abandoned?: LockAbandoned): Held =>
      new HeldFor(this, fiber, owner, abandoned)
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
      // A section that runs without yielding: nothing to record (like `enterSync`), one CAS to take it.
      enter: (fiber) => {
        const me = currentOwnerId()
        if (Atomics.compareExchange(i32, index, mutex.UNLOCKED, me) === mutex.UNLOCKED) return FRESH
        if (mutex.holder(i32, index) !== me) return BUSY
        const owner = i32[index + FIBER]
        if (owner === 0 || owner === fiber.id || hasHold(holdsOf(fiber), buffer, index, owner)) return NESTED
        return BUSY
      },
      exit: (entered) => this.exitSync(entered),
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
   * Enters a bracketed synchronous section (re-entering when the
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

  /** Leaves a section entered with `enterSync`, given what it returned. */
  exitSync(entered: number): void {
    if (entered === FRESH) {
      this.i32[this.index + COUNT] = 0 // forgets takeSync calls left unreleased inside the section
      mutex.unlock(this.i32, this.index)
    } else if (entered === COUNTED) {
      this.releaseOnce()
    }
  }

  /**
   * Takes the lock for `takeSync`, recording the caller as its
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

  /** Drops one level if the lock is held by this thread for `owner`. */
  releaseAs(owner: number): void {
    if (mutex.holder(this.i32, this.index) === currentOwnerId() && this.i32[this.index + FIBER] === owner) {
      this.releaseOnce()
    }
  }

  /**
   * The owner recorded in the lock that `fiber` acts as when this
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

  /** Whether the caller (the running fiber, or code outside fibers) acts as `owner`. */
  actsAs(owner: number): boolean {
    if (owner === syncOwner()) return true
    return owner > 0 && hasHold(holdsOf(), this.buffer, this.index, owner)
  }

  /** Drops one level; frees the lock at the last. The caller owns it. */
  releaseOnce(): void {
    if (--this.i32[this.index + COUNT] === 0) {
      this.i32[this.index + FIBER] = 0
      mutex.unlock(this.i32, this.index)
    }
  }

  /**
   * Frees the lock entirely (for `Condition.wait`); returns what
   * `retake` restores (the owner and the count). The caller owns it.
   */
  releaseAll(): Saved {
    const saved = { owner: this.i32[this.index + FIBER], count: this.i32[this.index + COUNT] }
    this.i32[this.index + COUNT] = 0
    this.i32[this.index + FIBER] = 0
    mutex.unlock(this.i32, this.index)
    return saved
  }

  /** Takes the lock again after `releaseAll`, for the same owner and count. */
  retake(saved: Saved, restore: mutex.Restore): Effect.Effect<LockAbandoned | undefined> {
    return Effect.map(mutex.lockStatus(this.i32, this.index, "rlock", restore), (abandoned) => {
      if (mutex.heldAfter(abandoned)) {
        this.i32[this.index + FIBER] = saved.owner
        this.i32[this.index + COUNT] = saved.count
      }
      return abandoned
    })
  }

  takeSync(): void {
    const abandoned = this.takeSyncUnbracketed()
    if (abandoned !== undefined) throw abandoned
  }

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

  get take(): Effect.Effect<void, LockAbandoned> {
    return takeUnscoped(this.guard)
  }

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

  get isOwned(): Effect.Effect<boolean> {
    return Effect.withFiber((fiber) => Effect.succeed(this.ownerFor(fiber) !== undefined))
  }
}

registerReviver(BRAND, (plain) => {
  const p = plain as unknown as RLockImpl
  return new RLockImpl(p.buffer, p.index)
})
