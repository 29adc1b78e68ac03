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
import { Lock } from "../Lock.ts"
import { RLock } from "../RLock.ts"

/** `InvalidArgument` when `value` is neither undefined nor a `Lock` or an `RLock`. */
export const checkLockOption = (argument: string, value: unknown): InvalidArgument | undefined =>
  lockOption(argument, value, (u) => u instanceof Lock || u instanceof RLock)
