/**
 * One element of `Cells` read and written under its lock: the shared bodies
 * of `Value` and `Array` (`update`, `updateSync`, `getSync`, `setSync`).
 * Callers check the index first; the synchronous forms allocate nothing of
 * their own (hot loops in workers call them).
 *
 * @internal
 * @module
 */
import * as Effect from "effect/Effect"
import type { InvalidArgument } from "../../errors.ts"
import type { LockAbandoned } from "../errors.ts"
import { type Guard, withGuardNow } from "./guard.ts"
import type { SyncSection } from "./section.ts"
import { checkValue } from "./storage.ts"
import type { Cells } from "./types.ts"

/**
 * Replaces element `i` with `f(current)` under `guard`; succeeds with the new
 * value. Fails with `InvalidArgument` (nothing written) when it does not fit,
 * and with what `check` returns (before taking the lock), if anything.
 */
export const update = <A, E2 = never>(
  guard: Guard,
  cells: Cells,
  i: number,
  f: (current: A) => A,
  check?: () => E2 | undefined,
): Effect.Effect<A, InvalidArgument | LockAbandoned | E2> =>
  withGuardNow(guard, (): Effect.Effect<A, InvalidArgument> => {
    const next = f(cells.load(i) as A)
    const e = checkValue(cells.spec, next, "value")
    if (e !== undefined) return Effect.fail(e)
    cells.store(i, next)
    return Effect.succeed(next)
  }, check)

/**
 * Replaces element `i` with `f(current)` in a synchronous section of `lock`
 * and returns the new value. Throws `InvalidArgument` (nothing written) and
 * what `enterSync` throws.
 */
export const updateSync = <A>(lock: SyncSection, cells: Cells, i: number, f: (current: A) => A): A => {
  const entered = lock.enterSync()
  try {
    const next = f(cells.getLocked(i) as A)
    const e = checkValue(cells.spec, next, "value")
    if (e !== undefined) throw e
    cells.setLocked(i, next)
    return next
  } finally {
    lock.exitSync(entered)
  }
}

/** Reads element `i` in a synchronous section of `lock`. Throws what `enterSync` throws. */
export const getSync = (lock: SyncSection, cells: Cells, i: number): unknown => {
  const entered = lock.enterSync()
  try {
    return cells.getLocked(i)
  } finally {
    lock.exitSync(entered)
  }
}

/**
 * Writes the already checked value `v` to element `i` in a synchronous
 * section of `lock`. Throws what `enterSync` throws.
 */
export const setSync = (lock: SyncSection, cells: Cells, i: number, v: unknown): void => {
  const entered = lock.enterSync()
  try {
    cells.setLocked(i, v)
  } finally {
    lock.exitSync(entered)
  }
}
