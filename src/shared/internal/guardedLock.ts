/**
 * What `Lock` and `RLock` share: the lock's words in shared memory, and the
 * scoped, bracketed and synchronous-section forms built on each one's
 * `Guard` and `enterSync`/`exitSync`.
 *
 * @internal
 * @module
 */
import type * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type { LockAbandoned } from "../errors.ts"
import { acquireScoped, type Guard, withGuard } from "./guard.ts"
import { runSection, type SyncSection } from "./section.ts"
import { hidden } from "../../internal/hidden.ts"

/** The base of `LockImpl` and `RLockImpl`. */
export abstract class GuardedLock implements SyncSection {
  /** The memory holding the lock's words. */
  readonly buffer: SharedArrayBuffer
  /** The Int32 index of the first word in `buffer`. */
  readonly index: number
  /** `buffer` as Int32 words (a per-thread view; not cloned). */
  declare readonly i32: Int32Array
  /** How fibers take the lock; set by the subclass's constructor. */
  declare readonly guard: Guard

  constructor(buffer: SharedArrayBuffer, index: number) {
    this.buffer = buffer
    this.index = index
    hidden(this, "i32", new Int32Array(buffer))
  }

  abstract enterSync(): number
  abstract exitSync(entered: number): void

  get acquire(): Effect.Effect<void, LockAbandoned, Scope.Scope> {
    return acquireScoped(this.guard)
  }

  withLock<A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | LockAbandoned, R> {
    return withGuard(this.guard, effect)
  }

  withLockSync<A>(f: () => A): A {
    return runSection(this, f)
  }
}
