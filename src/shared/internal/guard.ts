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
import type * as Fiber from "effect/Fiber"
import type * as Scope from "effect/Scope"
import type { LockAbandoned } from "../errors.ts"
import type { Restore } from "../../internal/mutex.ts"

/** What a take gives: how to give it back (never fails), and the `LockAbandoned` to raise, if any. */
export interface Held {
  readonly release: Effect.Effect<void>
  /** `release` as a plain function, when it is one (the fast path calls it without an Effect step). */
  readonly releaseNow?: (() => void) | undefined
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
  /**
   * The synchronous section, for `withGuardNow`: takes the lock for a section
   * that `fiber` runs to its end without yielding, if that is possible right
   * now (free, or already held for `fiber`); returns what `exit` needs, or
   * `BUSY` (nothing taken) when it would have to wait. Never waits, never
   * takes over from a dead holder (that is the waiting path's business).
   */
  readonly enter?: ((fiber: Fiber.Fiber<unknown, unknown>) => number) | undefined
  /** Leaves a section that `enter` opened, given what it returned. */
  readonly exit?: ((entered: number) => void) | undefined
}

/** `Guard.enter`: the lock could not be taken without waiting. */
export const BUSY = -1

/** Takes the guard in the current Scope; released when the Scope closes, also after `LockAbandoned`. */
export const acquireScoped = (guard: Guard): Effect.Effect<void, LockAbandoned, Scope.Scope> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.flatMap(guard.take(restore), (held) => {
      const registered = Effect.addFinalizer(() => held.release)
      return held.abandoned === undefined ? registered : Effect.andThen(registered, Effect.fail(held.abandoned))
    })
  )

/**
 * Runs `effect` with the guard held; releases it however `effect` ends.
 *
 * The uncontended path costs two plain steps and a finalizer: the release is
 * registered first (`onExit`, which releases only what was taken), then the
 * guard is taken synchronously (`tryTake`) in the same step that starts
 * `effect`, so there is no moment at which the guard is held and its release
 * not registered, and no uninterruptible region is needed: nothing waits.
 * Only when the guard cannot be taken at once does it take the waiting path
 * (`waitThenRun`), which waits interruptibly inside `uninterruptibleMask`.
 */
export const withGuard = <A, E, R>(
  guard: Guard,
  effect: Effect.Effect<A, E, R>,
): Effect.Effect<A, E | LockAbandoned, R> => {
  const tryTake = guard.tryTake
  if (tryTake === undefined) return waitThenRun(guard, effect)
  return Effect.suspend(() => {
    let held: Held | undefined
    return Effect.onExit(
      Effect.suspend((): Effect.Effect<A, E | LockAbandoned, R> => {
        held = tryTake()
        return held === undefined ? waitThenRun(guard, effect) : inside(held, effect)
      }),
      () => {
        const h = held
        if (h === undefined) return Effect.void
        held = undefined
        if (h.releaseNow === undefined) return h.release
        h.releaseNow()
        return Effect.void
      },
    )
  })
}

/** `withGuard`'s waiting path: takes the guard (waiting interruptibly), runs `effect`, releases. */
const waitThenRun = <A, E, R>(
  guard: Guard,
  effect: Effect.Effect<A, E, R>,
): Effect.Effect<A, E | LockAbandoned, R> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.flatMap(
      guard.take(restore),
      (held): Effect.Effect<A, E | LockAbandoned, R> =>
        held.abandoned === undefined
          ? Effect.ensuring(restore(inside(held, effect)), held.release)
          : Effect.andThen(held.release, Effect.fail(held.abandoned)),
    )
  )

/**
 * Runs the synchronous `section` under the guard, in one Effect step when the
 * guard can be entered at once (the common, uncontended case: no
 * `acquireRelease`, no uninterruptible region, no suspension; the section
 * cannot be interrupted because it never yields, and the lock is left in a
 * `finally`). Otherwise, and for guards without `enter`, it is
 * `withGuard(guard, Effect.suspend(section))`: the waiting path with all its
 * guarantees (interruptible wait, `LockAbandoned`).
 *
 * `section` must not wait for anything: it reads or writes shared memory and
 * returns its outcome as an `Exit` (`Effect.succeed`/`Effect.fail`). A
 * `section` that throws is a defect; the lock is released first. `check`
 * runs first, without the lock: an error it returns fails at once (bad input
 * never takes the lock).
 */
export const withGuardNow = <A, E, E2 = never>(
  guard: Guard,
  section: () => Effect.Effect<A, E>,
  check?: () => E2 | undefined,
): Effect.Effect<A, E | E2 | LockAbandoned> => {
  const enter = guard.enter
  if (enter === undefined) {
    if (check === undefined) return withGuard(guard, Effect.suspend(section))
    return Effect.suspend((): Effect.Effect<A, E | E2 | LockAbandoned> => {
      const bad = check()
      return bad !== undefined ? Effect.fail(bad) : withGuard(guard, Effect.suspend(section))
    })
  }
  return Effect.withFiber((fiber): Effect.Effect<A, E | E2 | LockAbandoned> => {
    if (check !== undefined) {
      const bad = check()
      if (bad !== undefined) return Effect.fail(bad)
    }
    const entered = enter(fiber)
    if (entered === BUSY) return withGuard(guard, Effect.suspend(section))
    try {
      return section()
    } finally {
      guard.exit!(entered)
    }
  })
}

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
  releaseNow?: () => void,
): Guard => {
  const ok: Held = { release, releaseNow, abandoned: undefined }
  return {
    tryTake: tryLock === undefined ? undefined : () => tryLock() ? ok : undefined,
    take: (restore) =>
      Effect.map(lockStatus(restore), (abandoned) => abandoned === undefined ? ok : { release, abandoned }),
  }
}
