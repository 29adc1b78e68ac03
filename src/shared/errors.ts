/**
 * The typed errors of shared memory and cross-worker synchronization. Every
 * one is a `Schema.TaggedError`: it has a `_tag`, typed fields, works with
 * `instanceof`, `Effect.catchTag` and `yield*`, and crosses a worker boundary
 * by its schema.
 *
 * Declared in two steps (an explicitly typed base, then the exported class)
 * because JSR rejects the inferred type of `Schema.TaggedError<X>()(...)`.
 *
 * @module
 */
import { registerErrors } from "../errors.ts"
import type * as Cause from "effect/Cause"
import * as Schema from "effect/Schema"

/**
 * Why a lock was found abandoned: its holder's thread `"died"` (the caller now
 * holds the lock), or was terminated while running a task and
 * `"may-still-run"` (Deno cannot stop a busy loop), so the caller was NOT
 * given the lock.
 */
export type LockAbandonedReason = "died" | "may-still-run"

const lockAbandonedFields: {
  readonly primitive: typeof Schema.String
  readonly ownerId: typeof Schema.Number
  readonly reason: Schema.optional<Schema.Literals<["died", "may-still-run"]>>
} = {
  primitive: Schema.String,
  ownerId: Schema.Number,
  reason: Schema.optional(Schema.Literals(["died", "may-still-run"])),
}
const /** @internal */ LockAbandonedBase: Schema.Class<
  LockAbandoned,
  Schema.TaggedStruct<"LockAbandoned", typeof lockAbandonedFields>,
  Cause.YieldableError
> = Schema.TaggedError<LockAbandoned>()("LockAbandoned", lockAbandonedFields)
/**
 * The lock was held by a worker that is gone.
 *
 * - `reason` `"died"` (or absent): the holder's thread has stopped. The caller
 *   now holds the lock (as with a robust mutex's `EOWNERDEAD`): the data it
 *   guards may be half-updated, so repair it before going on. `withLock`
 *   releases the lock and fails with this error; `acquire` keeps the lock
 *   held until its Scope closes, so a caller can repair under the lock.
 * - `reason` `"may-still-run"`: the holder's worker was terminated while it
 *   ran a task, and its thread may still be running inside the critical
 *   section (Deno's `Worker.terminate` cannot stop a busy loop). Taking the
 *   lock over would break mutual exclusion, so the caller does NOT hold it;
 *   the lock becomes usable again if that thread ever releases it. Retry
 *   later, or give up.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const guarded = (lock: mp.Lock.Lock, repair: Effect.Effect<void>, work: Effect.Effect<void>) =>
 *   Effect.scoped(Effect.gen(function* () {
 *     yield* lock.acquire.pipe(
 *       Effect.catchTag("LockAbandoned", (e) => e.reason === "may-still-run" ? Effect.fail(e) : repair),
 *     )
 *     yield* work
 *   }))
 * ```
 */
export class LockAbandoned extends LockAbandonedBase {
  /** Whether the caller holds the lock after this error (false when the old holder may still run). */
  get held(): boolean {
    return this.reason !== "may-still-run"
  }
  /** A readable summary. */
  override get message(): string {
    return this.reason === "may-still-run"
      ? `the ${this.primitive}'s owner (thread ${this.ownerId}) was terminated while holding it and may still ` +
        `be running; the caller does not hold it`
      : `the ${this.primitive}'s owner (thread ${this.ownerId}) died while holding it; the caller now holds it`
  }
}

const notLockOwnerFields = { primitive: Schema.String, ownerId: Schema.Number, callerId: Schema.Number }
const /** @internal */ NotLockOwnerBase: Schema.Class<
  NotLockOwner,
  Schema.TaggedStruct<"NotLockOwner", typeof notLockOwnerFields>,
  Cause.YieldableError
> = Schema.TaggedError<NotLockOwner>()("NotLockOwner", notLockOwnerFields)
/**
 * A lock was released by a thread or fiber that does not hold it (an
 * un-acquired `Lock`, or an `RLock` held by someone else). `ownerId` is 0 when
 * the lock was not held at all.
 *
 * @example
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * const explain = (e: mp.NotLockOwner) => `release by ${e.callerId}, held by ${e.ownerId}`
 * ```
 */
export class NotLockOwner extends NotLockOwnerBase {
  /** A readable summary. */
  override get message(): string {
    return this.ownerId === 0
      ? `cannot release an un-acquired ${this.primitive}`
      : `cannot release a ${this.primitive} held by thread ${this.ownerId} from ${this.callerId}`
  }
}

/** Why a synchronous (`…Sync`) operation refused to block. */
export type BlockingRefusedReason = "main-thread" | "deadlock"

const blockingRefusedFields: {
  readonly primitive: typeof Schema.String
  readonly reason: Schema.Literals<["main-thread", "deadlock"]>
} = {
  primitive: Schema.String,
  reason: Schema.Literals(["main-thread", "deadlock"]),
}
const /** @internal */ BlockingRefusedBase: Schema.Class<
  BlockingRefused,
  Schema.TaggedStruct<"BlockingRefused", typeof blockingRefusedFields>,
  Cause.YieldableError
> = Schema.TaggedError<BlockingRefused>()("BlockingRefused", blockingRefusedFields)
/**
 * A synchronous lock operation (`withLockSync`, `updateSync`, `getSync`, …)
 * refused to run because blocking could never end well:
 *
 * - `"main-thread"`: the `…Sync` operations are for worker threads. On the
 *   main thread a blocking wait would stop the event loop, and with it the
 *   code that notices a dead worker, so a lock held by a worker that dies
 *   would hang the program for good. There, use the Effect API (`withLock`,
 *   `update`), which waits without blocking.
 * - `"deadlock"`: this same thread already holds the lock (another fiber is
 *   inside its critical section, or a plain `Lock` was taken twice), so
 *   blocking would wait for itself. Python hangs here.
 *
 * Nothing was taken when it is thrown.
 *
 * @example
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * const explain = (e: mp.BlockingRefused) => e.reason === "main-thread" ? "use withLock here" : "already held"
 * ```
 */
export class BlockingRefused extends BlockingRefusedBase {
  /** A readable summary. */
  override get message(): string {
    return this.reason === "main-thread"
      ? `a synchronous ${this.primitive} operation may block, which is refused on the main thread ` +
        `(it would stop the event loop that notices dead workers); use the Effect API there`
      : `the ${this.primitive} is already held by this thread (another fiber, or a second take of a ` +
        `non-reentrant lock): blocking would never end`
  }
}

const overReleaseFields = { bound: Schema.Number }
const /** @internal */ SemaphoreOverReleaseBase: Schema.Class<
  SemaphoreOverRelease,
  Schema.TaggedStruct<"SemaphoreOverRelease", typeof overReleaseFields>,
  Cause.YieldableError
> = Schema.TaggedError<SemaphoreOverRelease>()("SemaphoreOverRelease", overReleaseFields)
/**
 * A `BoundedSemaphore` was released more times than it was acquired (its
 * value would exceed its bound). Python raises `ValueError` here.
 *
 * @example
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * const explain = (e: mp.SemaphoreOverRelease) => `released past the bound ${e.bound}`
 * ```
 */
export class SemaphoreOverRelease extends SemaphoreOverReleaseBase {
  /** A readable summary. */
  override get message(): string {
    return `semaphore released too many times (bound ${this.bound})`
  }
}

/** Why a barrier is broken. */
export type BrokenBarrierReason = "aborted" | "timeout" | "interrupted" | "reset" | "abandoned" | "action-failed"

const brokenBarrierFields: {
  readonly reason: Schema.Literals<["aborted", "timeout", "interrupted", "reset", "abandoned", "action-failed"]>
  readonly detail: Schema.optional<Schema.String>
} = {
  reason: Schema.Literals(["aborted", "timeout", "interrupted", "reset", "abandoned", "action-failed"]),
  detail: Schema.optional(Schema.String),
}
const /** @internal */ BrokenBarrierBase: Schema.Class<
  BrokenBarrier,
  Schema.TaggedStruct<"BrokenBarrier", typeof brokenBarrierFields>,
  Cause.YieldableError
> = Schema.TaggedError<BrokenBarrier>()("BrokenBarrier", brokenBarrierFields)
/**
 * The barrier is broken: a party aborted it, timed out or was interrupted
 * while waiting, it was reset under waiting parties, or its `action` failed
 * (`"action-failed"`, with the failure in `detail`). Every waiter and every
 * later `wait` fails with this error until `reset` (Python's
 * `BrokenBarrierError`).
 *
 * @example
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * const explain = (e: mp.BrokenBarrier) => `barrier broken (${e.reason})`
 * ```
 */
export class BrokenBarrier extends BrokenBarrierBase {
  /** A readable summary. */
  override get message(): string {
    return `the barrier is broken (${this.reason})${this.detail === undefined ? "" : `: ${this.detail}`}`
  }
}

const indexFields = { index: Schema.Number, length: Schema.Number }
const /** @internal */ IndexOutOfRangeBase: Schema.Class<
  IndexOutOfRange,
  Schema.TaggedStruct<"IndexOutOfRange", typeof indexFields>,
  Cause.YieldableError
> = Schema.TaggedError<IndexOutOfRange>()("IndexOutOfRange", indexFields)
/**
 * An index into a shared array was not an integer in `0 .. length - 1`.
 *
 * @example
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * const explain = (e: mp.IndexOutOfRange) => `index ${e.index} outside 0..${e.length - 1}`
 * ```
 */
export class IndexOutOfRange extends IndexOutOfRangeBase {
  /** A readable summary. */
  override get message(): string {
    return `index ${this.index} is out of range for an array of length ${this.length}`
  }
}

const corruptedFields = { structure: Schema.String, detail: Schema.String }
const /** @internal */ SharedStateCorruptedBase: Schema.Class<
  SharedStateCorrupted,
  Schema.TaggedStruct<"SharedStateCorrupted", typeof corruptedFields>,
  Cause.YieldableError
> = Schema.TaggedError<SharedStateCorrupted>()("SharedStateCorrupted", corruptedFields)
/**
 * The bookkeeping words of a shared structure (a queue's ring, a pipe, a
 * lock word, a manager's log) hold values that no correct writer produces:
 * some code wrote over the shared memory. Nothing was read or written past
 * the check; the structure is not repaired.
 *
 * @example
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * const explain = (e: mp.SharedStateCorrupted) => `${e.structure} is corrupted: ${e.detail}`
 * ```
 */
export class SharedStateCorrupted extends SharedStateCorruptedBase {
  /** A readable summary. */
  override get message(): string {
    return `the shared state of a ${this.structure} is corrupted: ${this.detail}`
  }
}

registerErrors([
  LockAbandoned,
  NotLockOwner,
  BlockingRefused,
  SemaphoreOverRelease,
  BrokenBarrier,
  IndexOutOfRange,
  SharedStateCorrupted,
])
