/**
 * A queue that also counts unfinished work, like Python's
 * `multiprocessing.JoinableQueue`: every `put` adds one unfinished task,
 * consumers call `taskDone` after handling an item, and `join` waits until
 * every item put has been marked done.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const program = Effect.gen(function* () {
 *   const jobs = yield* mp.JoinableQueue.make<number>()
 *   yield* jobs.putAll([1, 2, 3])
 *   // ...consumers in workers: take, work, then taskDone()
 *   yield* jobs.join // returns once all three were marked done
 * })
 * ```
 *
 * @module
 */
import type * as Effect from "effect/Effect"
import type * as Schema from "effect/Schema"
import type { InvalidArgument } from "../errors.ts"
import type { TaskDoneTooManyTimes } from "./errors.ts"
import type { AnySchema } from "./internal/channel.ts"
import { isQueueOf, makeQueue } from "./internal/queue_impl.ts"
import { queueSchema } from "./internal/queue_schema.ts"
import type { MakeOptions as QueueMakeOptions, Queue } from "./Queue.ts"

/**
 * A queue with `taskDone` and `join`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const worker = (jobs: mp.JoinableQueue.JoinableQueue<number>) =>
 *   Effect.forever(Effect.gen(function* () {
 *     const job = yield* jobs.take()
 *     console.log("working on", job)
 *     yield* jobs.taskDone()
 *   }))
 * ```
 */
export interface JoinableQueue<A> extends Queue<A> {
  /**
   * Marks `count` (default 1) taken items as handled. Fails with
   * `TaskDoneTooManyTimes` (and changes nothing) when fewer are unfinished,
   * and with `InvalidArgument` when `count` is not a positive integer.
   */
  taskDone(count?: number): Effect.Effect<void, TaskDoneTooManyTimes | InvalidArgument>
  /** Waits until every item put so far has been marked done. */
  readonly join: Effect.Effect<void>
  /** How many items were put and not yet marked done. */
  readonly unfinished: Effect.Effect<number>
}

/**
 * Options of `make` (the same as `Queue`'s).
 *
 * @example
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * const options: mp.JoinableQueue.MakeOptions<string> = { capacity: 10 }
 * ```
 */
export type MakeOptions<A> = QueueMakeOptions<A>

/**
 * Makes a joinable queue.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const program = Effect.gen(function* () {
 *   const jobs = yield* mp.JoinableQueue.make<string>({ capacity: 100 })
 * })
 * ```
 */
export const make = <A = unknown>(options?: MakeOptions<A>): Effect.Effect<JoinableQueue<A>, InvalidArgument> =>
  makeQueue<A>("joinable", options as MakeOptions<unknown>) as unknown as Effect.Effect<
    JoinableQueue<A>,
    InvalidArgument
  >

/**
 * Whether a value is a joinable queue.
 *
 * @example
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * mp.JoinableQueue.isJoinableQueue({}) // false
 * ```
 */
export const isJoinableQueue = (u: unknown): u is JoinableQueue<unknown> => isQueueOf(u, ["joinable"])

/**
 * The schema of a joinable queue inside a task payload.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * export const consume = mp.Task.make(import.meta.url, "consume", {
 *   payload: Schema.Struct({ jobs: mp.JoinableQueue.schema(Schema.Number) }),
 *   handler: ({ jobs }) => Effect.flatMap(jobs.take(), () => jobs.taskDone()),
 * })
 * ```
 */
export const schema = <A = unknown>(item?: Schema.Codec<A, unknown, never, never>): Schema.declare<JoinableQueue<A>> =>
  queueSchema<JoinableQueue<A>>(["joinable"], "mp.JoinableQueue", item as AnySchema | undefined)
