/**
 * The synchronous fast path of every lock (`withLockSync`, `updateSync`, …):
 * one compare-and-swap when the mutex is free; otherwise a blocking wait
 * (`Atomics.wait`, in slices that re-check for a dead holder), which only a
 * worker thread may do.
 *
 * Why the main thread is refused (always, not only under contention): a dead
 * worker is noticed by the event loop of the thread that spawned it, normally
 * the main thread. Blocked in `Atomics.wait`, that thread would never learn
 * that the holder died, and a robust lock would hang like Python's. Refusing
 * every call there, even an uncontended one, keeps the behaviour independent
 * of timing: code that works in a test cannot start failing under load.
 * (A worker that spawns workers of its own is in the same position for its
 * children; it is not refused, so its synchronous sections should not wait
 * on locks its own children hold.)
 *
 * In a worker, a waiter blocks in slices of `mutex.CHECK_MS` and re-checks
 * the owner table between them, so it learns of a holder's death (recorded by
 * the parent's event loop) within one slice.
 *
 * @internal
 * @module
 */
import { currentOwnerId } from "../../internal/owner.ts"
import { BlockingRefused, LockAbandoned } from "../errors.ts"
import * as mutex from "../../internal/mutex.ts"

/** Whether this thread may block: a Deno worker, not the main thread. */
export const mayBlock: boolean = typeof (globalThis as Record<string, unknown>).WorkerGlobalScope === "function"

/** Throws `BlockingRefused` (`"main-thread"`). */
export const refuseOnMainThread = (primitive: string): never => {
  throw new BlockingRefused({ primitive, reason: "main-thread" })
}

/**
 * Takes the mutex, blocking this worker thread while another thread holds it.
 * Call it after a failed fast-path CAS. Returns the `LockAbandoned` to raise
 * when it took the mutex over from a dead holder (held then) or found it held
 * by a thread that may still run (not held then, see `mutex.heldAfter`),
 * else undefined.
 * Throws `BlockingRefused` (`"deadlock"`) when this thread holds the mutex.
 */
export const lockSlow = (i32: Int32Array, index: number, primitive: string): LockAbandoned | undefined => {
  if (mutex.holder(i32, index) !== currentOwnerId()) {
    switch (mutex.lockBlocking(i32, index)) {
      case "ok":
        return undefined
      case "abandoned":
        return new LockAbandoned({ primitive, ownerId: mutex.lastAbandonedOwner(), reason: "died" })
      case "may-still-run":
        return new LockAbandoned({ primitive, ownerId: mutex.lastAbandonedOwner(), reason: "may-still-run" })
    }
  }
  throw new BlockingRefused({ primitive, reason: "deadlock" })
}

/**
 * Takes the mutex for synchronous code: one CAS when it is free, else
 * `lockSlow`. Throws `BlockingRefused` on the main thread.
 */
export const lockSync = (i32: Int32Array, index: number, primitive: string): LockAbandoned | undefined => {
  if (!mayBlock) refuseOnMainThread(primitive)
  if (Atomics.compareExchange(i32, index, mutex.UNLOCKED, currentOwnerId()) === mutex.UNLOCKED) return undefined
  return lockSlow(i32, index, primitive)
}
