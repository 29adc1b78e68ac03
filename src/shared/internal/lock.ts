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
import { GuardedLock } from "./guardedLock.ts"
import { BUSY, mutexGuard } from "./guard.ts"
import * as mutex from "../../internal/mutex.ts"
import { lockSync } from "./sync.ts"
import { hidden } from "../../internal/hidden.ts"
import type { Lock } from "../Lock.ts"

const BRAND = "Lock"

/** The class behind `Lock`. */
export class LockImpl extends GuardedLock implements Lock {
  /** The brand that lets the worker runtime revive a cloned lock. */
  readonly __mp: "Lock" = BRAND

  /** Use `make`; the word at `index` must be 0 or a valid lock word. */
  constructor(buffer: SharedArrayBuffer, index: number) {
    super(buffer, index)
    const i32 = this.i32
    hidden(this, "guard", {
      ...mutexGuard(
        (restore) => mutex.lockStatus(i32, index, "lock", restore),
        Effect.sync(() => void mutex.unlockOwned(i32, index)),
        () => mutex.tryLock(i32, index),
        () => void mutex.unlockOwned(i32, index),
      ),
      enter: () => mutex.tryLock(i32, index) ? 0 : BUSY,
      exit: (entered: number) => this.exitSync(entered),
    })
  }

  /**
   * Enters a bracketed synchronous section; pair it with
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

  /** Leaves a section entered with `enterSync` (its result is for `RLock`'s sake). */
  exitSync(_entered: number): void {
    const me = currentOwnerId()
    // One CAS when nobody waits; otherwise (WAITERS set) the general release, which wakes them.
    if (Atomics.compareExchange(this.i32, this.index, me, mutex.UNLOCKED) !== me) {
      mutex.unlockOwned(this.i32, this.index)
    }
  }

  takeSync(): void {
    const abandoned = lockSync(this.i32, this.index, "lock")
    if (abandoned !== undefined) throw abandoned
  }

  releaseSync(): void {
    const found = mutex.unlockOwned(this.i32, this.index)
    if (found !== -1) throw new NotLockOwner({ primitive: "lock", ownerId: found, callerId: currentOwnerId() })
  }

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

  get take(): Effect.Effect<void, LockAbandoned> {
    return mutex.lock(this.i32, this.index, "lock")
  }

  get release(): Effect.Effect<void, NotLockOwner> {
    return Effect.suspend(() => {
      const found = mutex.unlockOwned(this.i32, this.index)
      return found === -1
        ? Effect.void
        : Effect.fail(new NotLockOwner({ primitive: "lock", ownerId: found, callerId: currentOwnerId() }))
    })
  }

  get isLocked(): Effect.Effect<boolean> {
    return Effect.sync(() => mutex.holder(this.i32, this.index) !== 0)
  }
}

registerReviver(BRAND, (plain) => {
  const p = plain as unknown as LockImpl
  return new LockImpl(p.buffer, p.index)
})
