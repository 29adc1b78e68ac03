/**
 * Shared memory and synchronization across workers: values and arrays in
 * `SharedArrayBuffer`s, locks, semaphores, events, conditions, barriers, and
 * transactional cells with `atomically`. Every object here can be put in a
 * task payload (with or without schemas) and works on the other side against
 * the same memory. Constructors are Effects (`mp.Lock.make()`), as allocating
 * shared memory is an effect; waiting never blocks the event loop.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const program = Effect.gen(function* () {
 *   const counter = yield* mp.Value.make("i", 0)
 *   const lock = yield* mp.Lock.make()
 *   yield* lock.withLock(counter.update((n) => n + 1))
 * })
 * ```
 *
 * @module
 */
// A statement between the module doc and the first `export * as`: otherwise `deno doc` shows the
// module doc as that namespace's description instead of the namespace's own module doc.
export {}

export * as Value from "./Value.ts"
export * as Array from "./Array.ts"
export * as RawValue from "./RawValue.ts"
export * as RawArray from "./RawArray.ts"
export * as Lock from "./Lock.ts"
export * as RLock from "./RLock.ts"
export * as Semaphore from "./Semaphore.ts"
export * as BoundedSemaphore from "./BoundedSemaphore.ts"
export * as Event from "./Event.ts"
export * as Condition from "./Condition.ts"
export * as Barrier from "./Barrier.ts"
export * as TRef from "./TRef.ts"
export { atomically, retry } from "./stm.ts"
export {
  BlockingRefused,
  type BlockingRefusedReason,
  BrokenBarrier,
  type BrokenBarrierReason,
  IndexOutOfRange,
  LockAbandoned,
  type LockAbandonedReason,
  NotLockOwner,
  SemaphoreOverRelease,
  SharedStateCorrupted,
} from "./errors.ts"
