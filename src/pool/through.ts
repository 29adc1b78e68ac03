/**
 * `Pool.through`, a pipeable stream stage that runs each element on a pool,
 * and its options.
 *
 * @module
 */
import * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import type { InvalidArgument, PoolError } from "../errors.ts"
import { checkKeys, invalid, optionalBoolean, optionKeys, positiveInt } from "../internal/arguments.ts"
import type * as Task from "../task/Task.ts"
import { validate as validateTask } from "../task/internal/validate.ts"
import type { AnyTask } from "../task/Task.ts"
import type { Pool } from "./interface.ts"
import { throughStream } from "./internal/through.ts"

/**
 * Options of `Pool.through`.
 *
 * @example
 * ```ts
 * import { Schedule } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const options: mp.Pool.ThroughOptions = { concurrency: 4, ordered: false, retry: Schedule.recurs(2) }
 * ```
 */
export interface ThroughOptions {
  /** The most tasks (or, with `chunkSize`, groups of payloads) in flight at once (default: the pool's `size`). */
  readonly concurrency?: number | undefined
  /** Emit in input order (default `true`) or as the tasks finish (`false`). */
  readonly ordered?: boolean | undefined
  /**
   * Send payloads in groups of this many (default 1). A group waits until it is
   * full or the input ends, so use it for fast, plentiful input.
   */
  readonly chunkSize?: number | undefined
  /**
   * Run a failed item again, as this `Schedule` says (e.g. `Schedule.recurs(2)`:
   * at most three attempts). An interrupted item is not retried. When the
   * schedule runs out, the item's last failure counts.
   */
  // deno-lint-ignore no-explicit-any
  readonly retry?: Schedule.Schedule<unknown, any> | undefined
  /**
   * `true`: emit one `Exit` per payload, and a failing item does not end the
   * stream. Default `false`: the first failure (in emitted order) ends the
   * stream after every result before it.
   */
  readonly exits?: boolean | undefined
}

/**
 * Every key `Pool.through` accepts; any other key is refused with `InvalidArgument`.
 *
 * @example
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * console.log(mp.Pool.throughOptionKeys.includes("retry")) // true
 * ```
 */
// Every key of ThroughOptions is listed: adding one to the interface without listing it is a compile error.
export const throughOptionKeys: ReadonlyArray<string> = optionKeys<ThroughOptions>()([
  "concurrency",
  "ordered",
  "chunkSize",
  "retry",
  "exits",
])

/**
 * A pipeable stream stage that runs each element through `task` on `pool`:
 * at most `concurrency` tasks in flight, in input order or not (`ordered`),
 * each failed item retried as `retry` says, failures ending the stream or
 * (with `exits: true`) emitted as `Exit`s. Interrupting the stream (or
 * failing it downstream) interrupts the tasks in flight, in their workers too.
 * Bad options fail the stream at once with `InvalidArgument`. `pool.imap` is
 * the Python-named form without the options.
 *
 * @example
 * ```ts
 * import { Effect, Schedule, Stream } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * declare const resize: mp.Task.Task<string, Uint8Array, Error> // a Task exported by your tasks module
 *
 * const program = (pool: mp.Pool.Pool, files: Stream.Stream<string>) =>
 *   files.pipe(
 *     mp.Pool.through(pool, resize, { concurrency: 4, ordered: false, retry: Schedule.recurs(2) }),
 *     Stream.runCount,
 *   )
 * ```
 */
export const through: {
  <P, A, E>(
    pool: Pool,
    task: Task.Task<P, A, E>,
    options: ThroughOptions & { readonly exits: true },
  ): <E2, R2>(
    self: Stream.Stream<P, E2, R2>,
  ) => Stream.Stream<Exit.Exit<A, E | PoolError | InvalidArgument>, E2 | InvalidArgument, R2>
  <P, A, E>(
    pool: Pool,
    task: Task.Task<P, A, E>,
    options?: ThroughOptions & { readonly exits?: false | undefined },
  ): <E2, R2>(self: Stream.Stream<P, E2, R2>) => Stream.Stream<A, E | E2 | PoolError | InvalidArgument, R2>
  <P, A, E>(
    pool: Pool,
    task: Task.Task<P, A, E>,
    options?: ThroughOptions,
  ): <E2, R2>(
    self: Stream.Stream<P, E2, R2>,
  ) => Stream.Stream<A | Exit.Exit<A, E | PoolError | InvalidArgument>, E | E2 | PoolError | InvalidArgument, R2>
} = (
  pool: Pool,
  // deno-lint-ignore no-explicit-any
  task: Task.Task<any, any, any>,
  options?: ThroughOptions,
  // deno-lint-ignore no-explicit-any
): <E2, R2>(self: Stream.Stream<any, E2, R2>) => Stream.Stream<any, any, R2> =>
// deno-lint-ignore no-explicit-any
<E2, R2>(self: Stream.Stream<unknown, E2, R2>): Stream.Stream<any, any, R2> =>
  Stream.unwrap(Effect.map(
    Effect.all([
      checkKeys("options", options, throughOptionKeys),
      validateTask(task),
      positiveInt("concurrency", options?.concurrency),
      positiveInt("chunkSize", options?.chunkSize),
      optionalBoolean("ordered", options?.ordered),
      optionalBoolean("exits", options?.exits),
      options?.retry === undefined || Schedule.isSchedule(options.retry)
        ? Effect.void
        : Effect.fail(invalid("retry", "a Schedule", options.retry)),
    ]),
    ([, t, concurrency, chunkSize, ordered, exits]) =>
      throughStream(pool, t as AnyTask, {
        concurrency: concurrency ?? pool.size,
        chunkSize: chunkSize ?? 1,
        ordered: ordered ?? true,
        exits: exits ?? false,
        retry: options?.retry,
      }, self),
  ))
