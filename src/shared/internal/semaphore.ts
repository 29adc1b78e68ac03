/**
 * The engine of `Semaphore` and `BoundedSemaphore`: a counter of permits in a
 * shared word and a count of sleeping takers.
 *
 * Layout (Int32 words from `index`): `[permits, sleepers, bound]` (`bound` is
 * 0 for an unbounded semaphore). A taker that finds no permit registers as a
 * sleeper, then waits while `permits === 0`; a releaser adds permits, then
 * wakes the sleepers if any. Both sides use sequentially consistent atomics,
 * so either the releaser sees the sleeper or the sleeper sees the permit.
 * Semaphores have no owner, so they are not robust: permits taken by a worker
 * that dies are gone (as in Python).
 *
 * @internal
 * @module
 */
import * as Effect from "effect/Effect"
import { notifyAll, wait } from "../../internal/futex.ts"
import type { Restore } from "../../internal/mutex.ts"

const PERMITS = 0
const SLEEPERS = 1
const BOUND = 2

/** Number of Int32 words a semaphore needs. */
export const WORDS = 3

/** Initializes a semaphore's words. */
export const init = (i32: Int32Array, index: number, permits: number, bound: number): void => {
  i32[index + PERMITS] = permits
  i32[index + SLEEPERS] = 0
  i32[index + BOUND] = bound
}

/** Takes a permit if one is free. Never waits. */
export const tryTake = (i32: Int32Array, index: number): boolean => {
  for (;;) {
    const v = Atomics.load(i32, index + PERMITS)
    if (v <= 0) return false
    if (Atomics.compareExchange(i32, index + PERMITS, v, v - 1) === v) return true
  }
}

/** Takes a permit, waiting (only the waits go through `restore`). */
export const take = (i32: Int32Array, index: number, restore: Restore): Effect.Effect<void> =>
  Effect.suspend(function loop(): Effect.Effect<void> {
    if (tryTake(i32, index)) return Effect.void
    Atomics.add(i32, index + SLEEPERS, 1)
    return Effect.flatMap(
      Effect.ensuring(
        restore(wait(i32, index + PERMITS, 0)),
        Effect.sync(() => void Atomics.sub(i32, index + SLEEPERS, 1)),
      ),
      loop,
    )
  })

/**
 * Gives `n` permits back. Returns false (and gives nothing back) when that
 * would exceed the bound of a bounded semaphore.
 */
export const release = (i32: Int32Array, index: number, n: number): boolean => {
  const bound = i32[index + BOUND]
  if (bound > 0) {
    for (;;) {
      const v = Atomics.load(i32, index + PERMITS)
      if (v + n > bound) return false
      if (Atomics.compareExchange(i32, index + PERMITS, v, v + n) === v) break
    }
  } else {
    Atomics.add(i32, index + PERMITS, n)
  }
  if (Atomics.load(i32, index + SLEEPERS) > 0) notifyAll(i32, index + PERMITS)
  return true
}

/** The permits free right now. */
export const permits = (i32: Int32Array, index: number): number => Atomics.load(i32, index + PERMITS)
