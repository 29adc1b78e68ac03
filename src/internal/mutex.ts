/**
 * A raw cross-worker mutex in one `Int32Array` slot: the building block of
 * every lock, Value, Condition, TRef commit and IPC structure in this library.
 * Robust: a waiter that finds the holder dead (see `src/internal/owner.ts`)
 * takes the lock over and learns it through `LockAbandoned`.
 *
 * ## Take-over only from a thread that has stopped
 * Mutual exclusion comes first. A holder whose worker was terminated while
 * it ran a task may still be running (Deno's `Worker.terminate` cannot stop
 * a busy loop), possibly inside its critical section: such a holder is never
 * treated as dead. An acquirer that finds the lock held by it gets
 * `LockAbandoned` with reason `"may-still-run"` and does NOT hold the lock
 * (`heldAfter` says so); once that thread releases, the lock is free as
 * usual. Only a holder known to have stopped (`isOwnerDead`) is taken over.
 *
 * ## Memory layout (one Int32 word, initially 0)
 *
 * ```
 *  bit 31      bit 30     bits 29 .. 0
 * +----------+----------+------------------------------------+
 * | (unused) | WAITERS  | owner id of the holding thread     |
 * +----------+----------+------------------------------------+
 * ```
 * - `0`: unlocked.
 * - `owner`: locked by thread `owner` (`currentOwnerId()`), nobody waits.
 * - `owner | WAITERS`: locked, and someone may be waiting: `unlock` must wake.
 *
 * Recording the owner in the same word as the state makes taking the lock and
 * recording who holds it one atomic step (no window where a lock is held by
 * nobody known), exactly like Linux robust futexes (TID in the futex word).
 * Ownership is per thread: two fibers of one thread exclude each other (the
 * second waits), but `unlock` cannot tell them apart.
 *
 * ## Waiting
 * `lock` spins briefly, then sets `WAITERS` and waits with `Atomics.waitAsync`
 * (through `futex.wait`, so the event loop runs on) in slices of `CHECK_MS`:
 * after each slice it re-checks whether the holder died (nobody notifies a
 * dead holder's waiters). `unlock` wakes all waiters when `WAITERS` was set;
 * they race again and the losers set `WAITERS` again. Interrupting a waiting
 * `lock` changes nothing but possibly a stale `WAITERS` bit (one spare wake).
 *
 * ## Recovering from `LockAbandoned`
 * `lock` (and `lockBlocking` with `"abandoned"`) returns with the lock HELD by
 * the caller. The guarded data may be half-updated: repair it, then `unlock`
 * as usual. Nothing else needs resetting.
 *
 * @internal
 * @module
 */
import * as Effect from "effect/Effect"
import { currentOwnerId, isOwnerDead, isOwnerMayStillRun, OWNER_MASK } from "./owner.ts"
import { notifyAll, wait, waitBlocking } from "./futex.ts"
import { LockAbandoned } from "../shared/errors.ts"

/** The lock word of an unlocked mutex. */
export const UNLOCKED = 0
/** Set in the lock word when a waiter may be sleeping. */
export const WAITERS = 0x40000000
/** How long a waiter sleeps before it checks whether the holder died. */
export const CHECK_MS = 100

const SPINS = 100

/** The owner id in a lock word (0 when unlocked). */
export const ownerOf = (word: number): number => word & OWNER_MASK

/** The owner id of the thread holding the mutex, or 0. */
export const holder = (i32: Int32Array, index: number): number => Atomics.load(i32, index) & OWNER_MASK

/** Whether this thread holds the mutex. */
export const isHeldByCurrentThread = (i32: Int32Array, index: number): boolean =>
  holder(i32, index) === currentOwnerId()

/** Takes the mutex if it is free. Never waits. */
export const tryLock = (i32: Int32Array, index: number): boolean =>
  Atomics.compareExchange(i32, index, UNLOCKED, currentOwnerId()) === UNLOCKED

/**
 * Takes the mutex if it is free, or over from a dead holder. Never waits.
 * Returns `TAKEN`, `BUSY`, or (a positive number) the id of the dead owner it
 * took the mutex over from; the mutex is held then.
 */
export const tryLockRobust = (i32: Int32Array, index: number): number => {
  const me = currentOwnerId()
  const c = Atomics.compareExchange(i32, index, UNLOCKED, me)
  if (c === UNLOCKED) return TAKEN
  const owner = c & OWNER_MASK
  if (isOwnerDead(owner) && Atomics.compareExchange(i32, index, c, me | (c & WAITERS)) === c) return owner
  return BUSY
}

/** `tryLockRobust`: taken. */
export const TAKEN = 0
/** `tryLockRobust`: held by a live thread. */
export const BUSY = -1

let lastDead = 0

/** The owner of the last `"abandoned"` (or `"may-still-run"`) result of this thread. */
export const lastAbandonedOwner = (): number => lastDead

/**
 * Whether the caller holds the mutex after an acquisition that reported
 * `abandoned` (always, unless the old holder may still run).
 */
export const heldAfter = (abandoned: LockAbandoned | undefined): boolean =>
  abandoned === undefined || abandoned.reason !== "may-still-run"

/**
 * One step of acquisition: `"ok"`/`"abandoned"` when taken (abandoned leaves
 * the dead owner in `lastDead`), `"may-still-run"` when the holder was
 * terminated mid-task (not taken; its id in `lastDead`), `UNLOCKED` to try
 * again at once, otherwise the word (with `WAITERS` set) to wait on.
 */
const step = (
  i32: Int32Array,
  index: number,
  me: number,
  waited: boolean,
  waitForMayStillRun = false,
): number | "ok" | "abandoned" | "may-still-run" => {
  const mine = waited ? me | WAITERS : me
  for (let spin = 0; spin < SPINS; spin++) {
    const c = Atomics.compareExchange(i32, index, UNLOCKED, mine)
    if (c === UNLOCKED) return "ok"
    const owner = c & OWNER_MASK
    if (isOwnerMayStillRun(owner)) {
      if (!waitForMayStillRun) {
        lastDead = owner
        return "may-still-run"
      }
    } else if (isOwnerDead(owner)) {
      if (Atomics.compareExchange(i32, index, c, me | WAITERS) === c) {
        lastDead = owner
        return "abandoned"
      }
      continue
    }
    if (spin < SPINS - 1 && !waited) continue
    if ((c & WAITERS) !== 0) return c
    if (Atomics.compareExchange(i32, index, c, c | WAITERS) === c) return c | WAITERS
  }
  return UNLOCKED // raced every time: the caller tries again
}

/** Runs an effect interruptibly inside an `uninterruptibleMask` (or as is). */
export type Restore = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>

const asIs: Restore = (effect) => effect

/**
 * Takes the mutex, waiting without blocking the event loop. Fails with
 * `LockAbandoned` when it took the mutex over from a dead holder: the mutex is
 * then held by the caller (see the module doc).
 *
 * Only the waits go through `restore`: run `lock` inside `uninterruptibleMask`
 * and pass its `restore`, and an interruption can land only while waiting,
 * never between taking the mutex and your code that will release it.
 */
export const lock = (
  i32: Int32Array,
  index: number,
  primitive: string = "lock",
  restore: Restore = asIs,
): Effect.Effect<void, LockAbandoned> =>
  Effect.flatMap(lockStatus(i32, index, primitive, restore), (e) => e === undefined ? Effect.void : Effect.fail(e))

/**
 * Like `lock`, but reports a take-over from a dead holder as its result (the
 * `LockAbandoned` to raise) instead of failing; `undefined` otherwise. The
 * mutex is held when it succeeds, except with a `LockAbandoned` whose reason
 * is `"may-still-run"` (see `heldAfter`). With `waitForMayStillRun`, such a
 * holder is waited for like a live one instead: for the library's own short
 * synchronous sections, which a running thread always leaves.
 */
export const lockStatus = (
  i32: Int32Array,
  index: number,
  primitive: string = "lock",
  restore: Restore = asIs,
  waitForMayStillRun: boolean = false,
): Effect.Effect<LockAbandoned | undefined> =>
  Effect.suspend(() => {
    const me = currentOwnerId()
    const loop = (waited: boolean): Effect.Effect<LockAbandoned | undefined> => {
      const r = step(i32, index, me, waited, waitForMayStillRun)
      if (r === "ok") return Effect.succeed(undefined)
      if (r === "abandoned") return Effect.succeed(new LockAbandoned({ primitive, ownerId: lastDead, reason: "died" }))
      if (r === "may-still-run") {
        return Effect.succeed(new LockAbandoned({ primitive, ownerId: lastDead, reason: "may-still-run" }))
      }
      if (r === UNLOCKED) return Effect.suspend(() => loop(waited))
      return Effect.flatMap(restore(wait(i32, index, r, CHECK_MS)), () => loop(true))
    }
    return loop(false)
  })

/**
 * Releases the mutex, whoever holds it, and wakes the waiters if any. For
 * callers that know they hold it (see `unlockOwned` otherwise).
 */
export const unlock = (i32: Int32Array, index: number): void => {
  if ((Atomics.exchange(i32, index, UNLOCKED) & WAITERS) !== 0) notifyAll(i32, index)
}

/**
 * Releases the mutex only if this thread holds it. Returns the owner id found
 * when it did not (0 when the mutex was free), or -1 when released.
 */
export const unlockOwned = (i32: Int32Array, index: number): number => {
  const me = currentOwnerId()
  for (;;) {
    const c = Atomics.load(i32, index)
    if ((c & OWNER_MASK) !== me) return c & OWNER_MASK
    if (Atomics.compareExchange(i32, index, c, UNLOCKED) === c) {
      if ((c & WAITERS) !== 0) notifyAll(i32, index)
      return -1
    }
  }
}

/**
 * Takes the mutex, blocking the calling thread (`Atomics.wait`): only for
 * worker threads, or where blocking is the point. Returns `"ok"`,
 * `"abandoned"` (taken over from a dead holder; now held),
 * `"may-still-run"` (held by a thread terminated mid-task; not taken),
 * `"timed-out"`, or `"deadlock"` when this thread already holds it (blocking
 * would never end).
 */
export const lockBlocking = (
  i32: Int32Array,
  index: number,
  timeoutMs: number = Infinity,
): "ok" | "abandoned" | "may-still-run" | "timed-out" | "deadlock" => {
  const me = currentOwnerId()
  const deadline = timeoutMs === Infinity ? Infinity : performance.now() + timeoutMs
  let waited = false
  for (;;) {
    const r = step(i32, index, me, waited)
    if (r === "ok" || r === "abandoned" || r === "may-still-run") return r
    if (r === UNLOCKED) continue
    if ((r & OWNER_MASK) === me) return "deadlock"
    const left = deadline - performance.now()
    if (left <= 0) return "timed-out"
    waitBlocking(i32, index, r, Math.min(left, CHECK_MS))
    waited = true
  }
}

/**
 * Waits until the mutex is free (or its holder is dead), without taking it.
 * Sets `WAITERS` so that `unlock` wakes this waiter; only the waits go
 * through `restore`.
 */
export const awaitFree = (i32: Int32Array, index: number, restore: Restore = asIs): Effect.Effect<void> =>
  Effect.suspend(function loop(): Effect.Effect<void> {
    for (let spin = 0; spin < SPINS; spin++) {
      const c = Atomics.load(i32, index)
      if (c === UNLOCKED || isOwnerDead(c & OWNER_MASK)) return Effect.void
    }
    const c = Atomics.load(i32, index)
    if (c === UNLOCKED || isOwnerDead(c & OWNER_MASK)) return Effect.void
    if ((c & WAITERS) === 0 && Atomics.compareExchange(i32, index, c, c | WAITERS) !== c) return loop()
    return Effect.flatMap(restore(wait(i32, index, c | WAITERS, CHECK_MS)), loop)
  })
