/**
 * The check every entry point makes before involving a worker.
 *
 * @module
 */
import * as Effect from "effect/Effect"
import { InvalidArgument } from "../../errors.ts"
import { isTask } from "../Task.ts"

/**
 * Fails with `InvalidArgument` unless `u` is a Task: the check every entry
 * point makes before involving a worker.
 */
export const validate = <T>(u: T, argument = "task"): Effect.Effect<T, InvalidArgument> =>
  isTask(u) ? Effect.succeed(u) : Effect.fail(
    new InvalidArgument({
      argument,
      message: `expected a Task made with mp.Task.make, got ${u === null ? "null" : typeof u}`,
    }),
  )
