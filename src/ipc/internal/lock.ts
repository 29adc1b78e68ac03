/**
 * How the IPC structures take their one lock word (the cross-worker mutex of
 * `src/internal/mutex.ts`): a short spin on `tryLock` (critical
 * sections here are a few hundred nanoseconds of synchronous code), then a
 * wait that honours the caller's deadline. The section itself runs
 * synchronously, so no fiber ever holds the lock across a yield, and no
 * worker can die inside it (a terminated worker stops only when it returns to
 * its event loop). A lock taken over from a dead holder therefore guards
 * consistent data, and is simply used; a holder that "may still run" (its
 * worker was terminated mid-task) is waited for like a live one, since a
 * running thread always leaves these short sections.
 *
 * Garbage in the lock word: bit 31 is never set by our code, so a word with
 * it set is reported as `SharedStateCorrupted`; any other value looks like a
 * holder, and the deadline bounds the wait for it.
 *
 * @internal
 * @module
 */
import * as Effect from "effect/Effect"
import { wait } from "../../internal/futex.ts"
import { currentOwnerId, isOwnerDead, OWNER_MASK } from "../../internal/owner.ts"
import { SharedStateCorrupted } from "../../shared/errors.ts"
import { CHECK_MS, tryLock, unlock, UNLOCKED, WAITERS } from "../../internal/mutex.ts"

const SPINS = 64
const GARBAGE = 0x80000000 | 0

export { unlock }

/** Tries the lock a few times without yielding. */
export const tryLockSpin = (i32: Int32Array, index: number): boolean => {
  for (let i = 0; i < SPINS; i++) {
    if (tryLock(i32, index)) return true
  }
  return false
}

/** What waiting for the lock ended with, when it did not take it. */
export type LockFailure = "timeout" | SharedStateCorrupted

const corrupted = (structure: string, word: number): SharedStateCorrupted =>
  new SharedStateCorrupted({ structure, detail: `lock word 0x${(word >>> 0).toString(16)} has bit 31 set` })

/**
 * Takes the lock, waiting until `deadline` (`performance.now()` time;
 * `Infinity`: no limit). Succeeds with `undefined` when taken, else with why
 * not. Only the waits go through `restore`.
 */
const acquire = (
  i32: Int32Array,
  index: number,
  deadline: number,
  structure: string,
  restore: <A>(effect: Effect.Effect<A>) => Effect.Effect<A>,
): Effect.Effect<LockFailure | undefined> => {
  const me = currentOwnerId()
  let waited = false
  const loop = (): Effect.Effect<LockFailure | undefined> => {
    for (let spin = 0; spin < SPINS; spin++) {
      const c = Atomics.compareExchange(i32, index, UNLOCKED, waited ? me | WAITERS : me)
      if (c === UNLOCKED) return Effect.succeed(undefined)
      if ((c & GARBAGE) !== 0) return Effect.succeed(corrupted(structure, c))
      if (isOwnerDead(c & OWNER_MASK) && Atomics.compareExchange(i32, index, c, me | WAITERS) === c) {
        return Effect.succeed(undefined)
      }
    }
    const c = Atomics.load(i32, index)
    if (c === UNLOCKED) return loop()
    if ((c & GARBAGE) !== 0) return Effect.succeed(corrupted(structure, c))
    const left = deadline - performance.now()
    if (left <= 0) return Effect.succeed("timeout")
    if ((c & WAITERS) === 0 && Atomics.compareExchange(i32, index, c, c | WAITERS) !== c) return loop()
    waited = true
    return Effect.flatMap(restore(wait(i32, index, c | WAITERS, Math.min(left, CHECK_MS))), loop)
  }
  return Effect.suspend(loop)
}

/**
 * Runs `section` under the lock at `i32[index]`, then `after` on its result
 * once the lock is released (still synchronously, so thread-local scratch
 * written by `section` is intact when `after` reads it). Waits for the lock
 * until `deadline` at most: succeeds with `"timeout"` past it, and with
 * `SharedStateCorrupted` when the lock word is garbage.
 */
export const locked = <A, B>(
  i32: Int32Array,
  index: number,
  section: () => A,
  after: (a: A) => B,
  deadline: number = Infinity,
  structure: string = "queue",
): Effect.Effect<B | LockFailure> =>
  Effect.suspend(() => {
    if (tryLockSpin(i32, index)) return Effect.succeed(after(run(i32, index, section)))
    return Effect.uninterruptibleMask((restore) =>
      Effect.map(
        acquire(i32, index, deadline, structure, restore),
        (failed): B | LockFailure => failed !== undefined ? failed : after(run(i32, index, section)),
      )
    )
  })

const run = <A>(i32: Int32Array, index: number, section: () => A): A => {
  try {
    return section()
  } finally {
    unlock(i32, index)
  }
}
