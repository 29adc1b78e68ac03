/**
 * The `lock` option of `Value.make`, `Array.make` and `Condition.make`:
 * `undefined` or a `Lock`/`RLock`, else `InvalidArgument` (checked when the
 * object is made, not at its first use).
 *
 * @internal
 * @module
 */
import type { InvalidArgument } from "../../errors.ts"
import { lockOption } from "../../internal/arguments.ts"
import { LockImpl } from "./lock.ts"
import { RLockImpl } from "./rlock.ts"
import type { Lock } from "../Lock.ts"
import type { RLock } from "../RLock.ts"

/** `InvalidArgument` when `value` is neither undefined nor a `Lock` or an `RLock`. */
export const checkLockOption = (argument: string, value: unknown): InvalidArgument | undefined =>
  lockOption(argument, value, (u) => u instanceof LockImpl || u instanceof RLockImpl)

/** The lock given (checked by `checkLockOption`), or a fresh `RLock`: the default lock of values, arrays and conditions. */
export const lockOrDefault = (lock: Lock | RLock | undefined): LockImpl | RLockImpl =>
  (lock as LockImpl | RLockImpl | undefined) ?? new RLockImpl(new SharedArrayBuffer(12), 0)
