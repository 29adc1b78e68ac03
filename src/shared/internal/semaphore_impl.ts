/**
 * The implementation of `Semaphore` (see `../Semaphore.ts` for its documentation).
 *
 * @module
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { InvalidArgument } from "../../errors.ts"
import { registerReviver } from "../../internal/revive.ts"
import { SemaphoreOverRelease } from "../errors.ts"
import { acquireScoped, type Guard, type Held, withGuard } from "./guard.ts"
import * as sem from "./semaphore.ts"
import { hidden } from "../../internal/hidden.ts"
import type { Semaphore } from "../Semaphore.ts"
import type { BoundedSemaphore } from "../BoundedSemaphore.ts"

const BRAND = "Semaphore"

/** The class behind `Semaphore`. */
export class SemaphoreImpl<E = never> implements Semaphore<E> {
  /** The brand that lets the worker runtime revive a cloned semaphore. */
  readonly __mp: "Semaphore" | "BoundedSemaphore" = BRAND
  /** The memory holding the semaphore's words. */
  readonly buffer: SharedArrayBuffer
  declare readonly i32: Int32Array
  declare readonly guard: Guard

  /** Use `make`. */
  constructor(buffer: SharedArrayBuffer) {
    this.buffer = buffer
    const i32 = hidden(this, "i32", new Int32Array(buffer))
    const releaseNow = () => void sem.release(i32, 0, 1)
    const held: Held = { release: Effect.sync(releaseNow), releaseNow, abandoned: undefined }
    hidden(
      this,
      "guard",
      {
        take: (restore) => Effect.as(sem.take(i32, 0, restore), held),
        tryTake: () => sem.tryTake(i32, 0) ? held : undefined,
      } satisfies Guard,
    )
  }

  get acquire(): Effect.Effect<void, never, Scope.Scope> {
    return acquireScoped(this.guard) as Effect.Effect<void, never, Scope.Scope>
  }

  withPermit<A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> {
    return withGuard(this.guard, effect) as Effect.Effect<A, E, R>
  }

  get tryAcquire(): Effect.Effect<boolean, never, Scope.Scope> {
    return Effect.uninterruptible(Effect.suspend(() => {
      if (!sem.tryTake(this.i32, 0)) return Effect.succeed(false)
      return Effect.as(Effect.addFinalizer(() => Effect.sync(() => void sem.release(this.i32, 0, 1))), true)
    }))
  }

  get take(): Effect.Effect<void> {
    return sem.take(this.i32, 0, (e) => e)
  }

  get release(): Effect.Effect<void, E> {
    return Effect.suspend(() =>
      sem.release(this.i32, 0, 1) ? Effect.void : Effect.fail(new SemaphoreOverRelease({ bound: this.i32[2] }) as E)
    )
  }

  get getValue(): Effect.Effect<number> {
    return Effect.sync(() => sem.permits(this.i32, 0))
  }
}

/** `InvalidArgument` unless `value` is a valid number of permits (an integer from 0 to 2**31 - 1). */
export const checkPermits = (value: number): InvalidArgument | undefined =>
  Number.isInteger(value) && value >= 0 && value < 2 ** 31
    ? undefined
    : new InvalidArgument({ argument: "value", message: `a semaphore value is a non-negative integer, got ${value}` })

registerReviver(BRAND, (plain) => new SemaphoreImpl((plain as unknown as SemaphoreImpl).buffer))

/** The class behind `BoundedSemaphore`. */
export class BoundedSemaphoreImpl extends SemaphoreImpl<SemaphoreOverRelease> implements BoundedSemaphore {
  override readonly __mp: "BoundedSemaphore" = "BoundedSemaphore"

  get bound(): number {
    return this.i32[2]
  }
}

registerReviver(
  "BoundedSemaphore",
  (plain) => new BoundedSemaphoreImpl((plain as unknown as BoundedSemaphoreImpl).buffer),
)
