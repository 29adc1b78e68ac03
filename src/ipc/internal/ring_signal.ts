/**
 * The shared signalling of a ring's two sides: sequence words to wait on,
 * closing, and the checks that report a corrupted ring as a value.
 *
 * @internal
 * @module
 */
import * as Effect from "effect/Effect"
import { notifyAll, wait } from "../../internal/futex.ts"
import { SharedStateCorrupted } from "../../shared/errors.ts"
import { locked } from "./lock.ts"
import { CLOSED, type CLOSED_BY_READER, CLOSED_BY_WRITER, LOCK, PUT_SEQ, type Ring, TAKE_SEQ } from "./ring.ts"

/** Runs a section of the ring, turning `SharedStateCorrupted` thrown by its checks into its result. */
export const guarded = <A>(section: () => A): A | SharedStateCorrupted => {
  try {
    return section()
  } catch (e) {
    return corruptedOrThrow(e)
  }
}

/** `e` when it is the `SharedStateCorrupted` of a ring's checks; rethrows anything else (`guarded`, inlined). */
export const corruptedOrThrow = (e: unknown): SharedStateCorrupted => {
  if (e instanceof SharedStateCorrupted) return e
  throw e
}

/**
 * Counts a change on `seq` and wakes whoever waits for it. `c[waiters]` is a
 * flag that a waiter raises before it sleeps and the first waker after that
 * lowers (and notifies every waiter): one notify per sleep, however many
 * items are put before the sleeper runs again.
 */
export const wake = (ring: Ring, seq: number, waiters: number): void => {
  const c = ring.ctl
  Atomics.add(c, seq, 1)
  if (Atomics.load(c, waiters) !== 0 && Atomics.exchange(c, waiters, 0) !== 0) notifyAll(c, seq)
}

/**
 * Waits (at most `ms`) while `c[index]` is still `seq`, with the flag
 * `c[waiters]` raised (see `wake`); then runs `then`. No wake-up is lost: a
 * change made before the flag was seen makes the wait return at once (its
 * value is no longer `seq`), one made after it notifies.
 */
export const waitOn = <A>(
  c: Int32Array,
  index: number,
  seq: number,
  waiters: number,
  ms: number,
  then: () => Effect.Effect<A>,
): Effect.Effect<A> => {
  Atomics.store(c, waiters, 1)
  return Effect.flatMap(wait(c, index, seq, ms), then)
}

/** Marks the ring closed from one side and wakes every waiter. */
export const closeRing = (ring: Ring, side: typeof CLOSED_BY_WRITER | typeof CLOSED_BY_READER): void => {
  const c = ring.ctl
  Atomics.or(c, CLOSED, side)
  Atomics.add(c, PUT_SEQ, 1)
  Atomics.add(c, TAKE_SEQ, 1)
  notifyAll(c, PUT_SEQ)
  notifyAll(c, TAKE_SEQ)
}

/**
 * Shuts the ring down from the writing side at once (Python's
 * `shutdown(immediate=True)`): under the lock, marks it closed and drops what
 * is queued, then wakes every waiter. Returns how many items were dropped.
 */
export const shutdownNow = (ring: Ring): Effect.Effect<number, SharedStateCorrupted> => {
  const c = ring.ctl
  return Effect.flatMap(
    locked(c, LOCK, () => {
      Atomics.or(c, CLOSED, CLOSED_BY_WRITER)
      return guarded(() => ring.clear())
    }, (n) => n),
    (n): Effect.Effect<number, SharedStateCorrupted> => {
      closeRing(ring, CLOSED_BY_WRITER)
      if (typeof n === "number") return Effect.succeed(n)
      // "timeout" cannot happen without a deadline; a corrupted lock word or ring is reported.
      return Effect.fail(
        n instanceof SharedStateCorrupted
          ? n
          : new SharedStateCorrupted({ structure: "queue", detail: "the lock could not be taken" }),
      )
    },
  )
}

/** A deadline in `performance.now()` time from a timeout in ms (`undefined`: none). */
export const deadlineOf = (timeoutMs: number | undefined): number =>
  timeoutMs === undefined ? Infinity : performance.now() + timeoutMs
