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
import { QueueFull } from "../../ipc/errors.ts"
import { ModuleMismatch, NoRunners } from "../../cluster/errors.ts"

/** Every member of `PoolError`, as classes (the type is the union in `errors.ts`). */
const poolErrorClasses = [
  RemoteException,
  WorkerCrashed,
  TaskTimeout,
  SerializationError,
  PoolClosed,
  TaskNotFound,
  MissingMainGuard,
  QueueFull,
  NoRunners,
  ModuleMismatch,
] as const

/**
 * Whether `u` is one of the errors a pool or process adds to a task's own
 * typed error (`PoolError`); `InvalidArgument` (a bad call) is not one. Use it
 * to tell the pool's failures from the task's in `Effect.catchIf` or when
 * reading an `Exit`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * declare const parse: mp.Task.Task<string, number, Error> // a Task exported by your tasks module
 *
 * const program = (pool: mp.Pool.Pool) =>
 *   pool.apply(parse, "42").pipe(
 *     Effect.catchIf(mp.isPoolError, (e) => Effect.succeed(-1)), // the task's own Error still fails
 *   )
 * ```
 */
export const isPoolError = (u: unknown): u is PoolErrorType => poolErrorClasses.some((c) => u instanceof c)

/** `PoolError` as a Schema value: documented where `Pool.ts` exports it, as `Pool.PoolError`. */
export const PoolError: Schema.Codec<PoolErrorType, unknown> = Schema.Union(poolErrorClasses)
