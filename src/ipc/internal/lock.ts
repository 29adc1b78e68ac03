/**
 * How the IPC structures take their one lock word (the cross-worker mutex of
 * `src/shared/internal/mutex.ts`): a short spin on `tryLock` (critical
 * sections here are a few hundred nanoseconds of synchronous code), then the
 * mutex's waiting `lock`. The section itself runs synchronously, so no fiber
 * ever holds the lock across a yield, and no worker can die inside it (a
 * terminated worker stops only when it returns to its event loop). A lock
 * taken over from a dead holder (`LockAbandoned`) therefore guards
 * consistent data, and is simply used.
 *
 * @internal
 * @module
 */
import * as Effect from "effect/Effect"
import { lock, tryLock, unlock } from "../../shared/internal/mutex.ts"

const SPINS = 64

export { unlock }

/** Tries the lock a few times without yielding. */
export const tryLockSpin = (i32: Int32Array, index: number): boolean => {
  for (let i = 0; i < SPINS; i++) {
    if (tryLock(i32, index)) return true
  }
  return false
}

const acquire = (i32: Int32Array, index: number): Effect.Effect<void> =>
  Effect.catchTag(lock(i32, index, "IPC lock"), "LockAbandoned", () => Effect.void)

/**
 * Runs `section` under the lock at `i32[index]`, then `after` on its result
 * once the lock is released (still synchronously, so thread-local scratch
 * written by `section` is intact when `after` reads it).
 */
export const locked = <A, B>(
  i32: Int32Array,
  index: number,
  section: () => A,
  after: (a: A) => B,
): Effect.Effect<B> =>
  Effect.suspend(() => {
    if (tryLockSpin(i32, index)) return Effect.succeed(after(run(i32, index, section)))
    return Effect.uninterruptibleMask((restore) =>
      Effect.flatMap(restore(acquire(i32, index)), () => Effect.succeed(after(run(i32, index, section))))
    )
  })

const run = <A>(i32: Int32Array, index: number, section: () => A): A => {
  try {
    return section()
  } finally {
    unlock(i32, index)
  }
}
