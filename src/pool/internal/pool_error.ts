/**
 * `PoolError` as a Schema value, re-exported by `Pool.ts` as `Pool.PoolError`.
 *
 * @internal
 * @module
 */
import * as Schema from "effect/Schema"
import {
  MissingMainGuard,
  PoolClosed,
  type PoolError as PoolErrorType,
  RemoteException,
  SerializationError,
  TaskNotFound,
  TaskTimeout,
  WorkerCrashed,
} from "../../errors.ts"

/**
 * `mp.PoolError` as a Schema value: decode or encode any of its members, e.g. to send
 * a task's outcome onwards or to store it. The type of the same name is the
 * union of the classes.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const isOne = Schema.is(mp.Pool.PoolError)
 * console.log(isOne(new mp.PoolClosed({ reason: "closed", message: "the pool is closed" }))) // true
 * ```
 */
export const PoolError: Schema.Codec<PoolErrorType, unknown> = Schema.Union([
  RemoteException,
  WorkerCrashed,
  TaskTimeout,
  SerializationError,
  PoolClosed,
  TaskNotFound,
  MissingMainGuard,
])
