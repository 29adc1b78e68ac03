/**
 * Scoped and bracketed acquisition for every lock-like primitive (Lock, RLock,
 * the locks of Value and Array, Semaphore permits): the acquire waits
 * interruptibly, but from the moment the lock is taken until its release is
 * registered nothing can interrupt; a take-over from a dead holder releases
 * (or, scoped, keeps until the Scope closes) and fails with `LockAbandoned`.
 *
 * @internal
 * @module
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type { LockAbandoned } from "../errors.ts"
import type { Restore } from "../../internal/mutex.ts"

/** What a take gives: how to give it back (never fails), and the `LockAbandoned` to raise, if any. */
export interface Held {
  readonly release: Effect.Effect<void>
  readonly abandoned: LockAbandoned | undefined
  /**
   * Runs the section so that fibers forked inside it count as the owner
   * (see `holds.ts`); absent for locks owned by the whole thread.
   */
  readonly within?: (<A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>) | undefined
}

const inside = <A, E, R>(held: Held, effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  held.within === undefined ? effect : held.within(effect)

/** How to take one lock-like thing for the current fiber; only the waits go through `restore`. */
export interface Guard {
  readonly take: (restore: Restore) => Effect.Effect<Held>
  /** The fast path: takes it synchronously when that is possible right now (called inside the fiber). */
  readonly tryTake?: (() => Held | undefined) | undefined
}

/** Takes the guard in the current Scope; released when the Scope closes, also after `LockAbandoned`. */
export const acquireScoped = (guard: Guard): Effect.Effect<void, LockAbandoned, Scope.Scope> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.flatMap(guard.take(restore), (held) => {
      const registered = Effect.addFinalizer(() => held.release)
      return held.abandoned === undefined ? registered : Effect.andThen(registered, Effect.fail(held.abandoned))
    })
  )

/** Runs `effect` with the guard held; releases it however `effect` ends. */
export const withGuard = <A, E, R>(
  guard: Guard,
  effect: Effect.Effect<A, E, R>,
): Effect.Effect<A, E | LockAbandoned, R> =>
  Effect.uninterruptibleMask((restore) => {
    const fast = guard.tryTake?.()
    if (fast !== undefined) return Effect.ensuring(restore(inside(fast, effect)), fast.release)
    return Effect.flatMap(
      guard.take(restore),
      (held): Effect.Effect<A, E | LockAbandoned, R> =>
        held.abandoned === undefined
          ? Effect.ensuring(restore(inside(held, effect)), held.release)
          : Effect.andThen(held.release, Effect.fail(held.abandoned)),
    )
  })

/** Takes the guard without a Scope; fails with `LockAbandoned` (lock held) on a take-over. */
export const takeUnscoped = (guard: Guard): Effect.Effect<void, LockAbandoned> =>
  Effect.flatMap(
    guard.take(identity),
    (held) => held.abandoned === undefined ? Effect.void : Effect.fail(held.abandoned),
  )

const identity: Restore = (effect) => effect

/** A `Guard` over a plain mutex word. */
export const mutexGuard = (
  lockStatus: (restore: Restore) => Effect.Effect<LockAbandoned | undefined>,
  release: Effect.Effect<void>,
  tryLock?: () => boolean,
): Guard => {
  const ok: Held = { release, abandoned: undefined }
  return {
    tryTake: tryLock === undefined ? undefined : () => tryLock() ? ok : undefined,
    take: (restore) =>
      Effect.map(lockStatus(restore), (abandoned) => abandoned === undefined ? ok : { release, abandoned }),
  }
}
