/**
 * The implementation of `Condition` (see `../Condition.ts` for its documentation).
 *
 * @module
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import type * as Scope from "effect/Scope"
import { notifyAll as futexNotifyAll, wait as futexWait } from "../../internal/futex.ts"
import { currentOwnerId } from "../../internal/owner.ts"
import { registerReviver, revive } from "../../internal/revive.ts"
import { type LockAbandoned, NotLockOwner } from "../errors.ts"
import * as mutex from "../../internal/mutex.ts"
import { hidden } from "../../internal/hidden.ts"
import type { LockImpl } from "./lock.ts"
import { RLockImpl } from "./rlock.ts"
import type { Condition } from "../Condition.ts"

const BRAND = "Condition"
const SEQ = 0
const WAITING = 1
const TO_WAKE = 2

const owns = (lock: LockImpl | RLockImpl, fiber: Fiber.Fiber<unknown, unknown>): boolean =>
  lock instanceof RLockImpl ? lock.ownerFor(fiber) !== undefined : mutex.isHeldByCurrentThread(lock.i32, lock.index)

/** What a waiter saves when it releases the lock: an `RLock`'s owner and count, or nothing for a `Lock`. */
type Saved = ReturnType<RLockImpl["releaseAll"]> | undefined

const releaseFully = (lock: LockImpl | RLockImpl): Saved => {
  if (lock instanceof RLockImpl) return lock.releaseAll()
  mutex.unlock(lock.i32, lock.index)
  return undefined
}

const retake = (lock: LockImpl | RLockImpl, saved: Saved): Effect.Effect<LockAbandoned | undefined> =>
  lock instanceof RLockImpl ? lock.retake(saved!, (e) => e) : mutex.lockStatus(lock.i32, lock.index, "lock")

/** The class behind `Condition`. */
export class ConditionImpl implements Condition {
  /** The brand that lets the worker runtime revive a cloned condition. */
  readonly __mp: "Condition" = BRAND
  /** The memory holding the condition's words. */
  readonly buffer: SharedArrayBuffer
  /** The lock the condition is bound to. */
  readonly lock: LockImpl | RLockImpl
  declare readonly i32: Int32Array

  /** Use `make`. */
  constructor(buffer: SharedArrayBuffer, lock: LockImpl | RLockImpl) {
    this.buffer = buffer
    this.lock = lock
    hidden(this, "i32", new Int32Array(buffer))
  }

  withLock<A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | LockAbandoned, R> {
    return this.lock.withLock(effect)
  }

  get acquire(): Effect.Effect<void, LockAbandoned, Scope.Scope> {
    return this.lock.acquire
  }

  get wait(): Effect.Effect<void, LockAbandoned | NotLockOwner> {
    const i32 = this.i32
    const lock = this.lock
    return Effect.withFiber((fiber): Effect.Effect<void, LockAbandoned | NotLockOwner> => {
      if (!owns(lock, fiber)) return Effect.fail(this.notOwner())
      return Effect.uninterruptibleMask((restore) => {
        Atomics.add(i32, WAITING, 1)
        const sleep = (seq: number, saved: Saved): Effect.Effect<void, LockAbandoned> =>
          Effect.flatMap(
            Effect.exit(restore(futexWait(i32, SEQ, seq))),
            (slept) =>
              Effect.flatMap(retake(lock, saved), (abandoned): Effect.Effect<void, LockAbandoned> => {
                if (!mutex.heldAfter(abandoned)) {
                  // Held by a thread that may still run: not ours, so leave without touching the words.
                  Atomics.sub(i32, WAITING, 1)
                  return Effect.fail(abandoned!)
                }
                if (Exit.isFailure(slept)) {
                  // Interrupted: leave, and leave any notification to the others.
                  const waiting = Atomics.sub(i32, WAITING, 1) - 1
                  if (Atomics.load(i32, TO_WAKE) > waiting) Atomics.store(i32, TO_WAKE, waiting)
                  return slept
                }
                const now = Atomics.load(i32, SEQ)
                if (now !== seq && Atomics.load(i32, TO_WAKE) > 0) {
                  Atomics.sub(i32, TO_WAKE, 1)
                  Atomics.sub(i32, WAITING, 1)
                  return abandoned === undefined ? Effect.void : Effect.fail(abandoned)
                }
                if (abandoned !== undefined) {
                  Atomics.sub(i32, WAITING, 1)
                  return Effect.fail(abandoned)
                }
                return sleep(now, releaseFully(lock))
              }),
          )
        const seq = Atomics.load(i32, SEQ)
        return sleep(seq, releaseFully(lock))
      })
    })
  }

  waitFor<E, R>(predicate: Effect.Effect<boolean, E, R>): Effect.Effect<void, E | LockAbandoned | NotLockOwner, R> {
    const loop: Effect.Effect<void, E | LockAbandoned | NotLockOwner, R> = Effect.flatMap(
      predicate,
      (ok) => ok ? Effect.void : Effect.andThen(this.wait, loop),
    )
    return loop
  }

  notify(n: number = 1): Effect.Effect<void, NotLockOwner> {
    return Effect.withFiber((fiber) => {
      if (!owns(this.lock, fiber)) return Effect.fail(this.notOwner())
      const i32 = this.i32
      const waiting = Atomics.load(i32, WAITING)
      const before = Atomics.load(i32, TO_WAKE)
      const after = Math.min(before + Math.max(0, Math.floor(n)), waiting)
      if (after > before) {
        Atomics.store(i32, TO_WAKE, after)
        Atomics.add(i32, SEQ, 1)
        futexNotifyAll(i32, SEQ)
      }
      return Effect.void
    })
  }

  get notifyAll(): Effect.Effect<void, NotLockOwner> {
    return this.notify(2 ** 31 - 1)
  }

  /** The error for a caller that does not hold the lock. */
  private notOwner(): NotLockOwner {
    return new NotLockOwner({
      primitive: "condition's lock",
      ownerId: mutex.holder(this.lock.i32, this.lock.index),
      callerId: currentOwnerId(),
    })
  }
}

registerReviver(BRAND, (plain) => {
  const p = plain as unknown as ConditionImpl
  return new ConditionImpl(p.buffer, revive(p.lock) as LockImpl | RLockImpl)
})
