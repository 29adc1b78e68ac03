/**
 * A simplified unbounded queue, like Python's `multiprocessing.SimpleQueue`:
 * `put`, `take` (`get`), `isEmpty`, `close`. Same shared-memory machinery as
 * `Queue`, with fewer knobs.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const program = Effect.gen(function* () {
 *   const queue = yield* mp.SimpleQueue.make<string>()
 *   yield* queue.put("ping")
 *   console.log(yield* queue.get()) // "ping"
 * })
 * ```
 *
 * @module
 */
import type * as Effect from "effect/Effect"
import type * as Schema from "effect/Schema"
import type { InvalidArgument } from "../errors.ts"
import type { SharedStateCorrupted } from "../shared/errors.ts"
import type { DecodeError, EncodeError, QueueClosed } from "./errors.ts"
import type { AnySchema } from "./internal/channel.ts"
import { isQueueOf, makeQueue } from "./internal/queue_impl.ts"
import { queueSchema } from "./internal/queue_schema.ts"

/**
 * An unbounded queue of `A`s shared by the parent and its workers.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const echo = (queue: mp.SimpleQueue.SimpleQueue<string>) => Effect.flatMap(queue.get(), (s) => queue.put(s))
 * ```
 */
export interface SimpleQueue<A> {
  /** Puts an item. Fails with `QueueClosed` after `close`. */
  put(value: A): Effect.Effect<void, QueueClosed | EncodeError | SharedStateCorrupted>
  /** Takes the oldest item, waiting while the queue is empty. `QueueClosed` once closed and drained. */
  take(): Effect.Effect<A, QueueClosed | DecodeError | SharedStateCorrupted>
  /** Python's name for `take`. */
  get(): Effect.Effect<A, QueueClosed | DecodeError | SharedStateCorrupted>
  /** Whether no item is queued now (Python's `empty()`). */
  readonly isEmpty: Effect.Effect<boolean>
  /** Closes the queue for everyone; takers get what is left, then `QueueClosed`. */
  readonly close: Effect.Effect<void>
}

/**
 * Options of `make`.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const options: mp.SimpleQueue.MakeOptions<string> = { schema: Schema.String }
 * ```
 */
export interface MakeOptions<A> {
  /** Encodes and decodes every item (declare the payload with `schema(item)`). */
  readonly schema?: Schema.Codec<A, unknown, never, never> | undefined
}

/**
 * Makes a simple queue.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const program = Effect.gen(function* () {
 *   const queue = yield* mp.SimpleQueue.make<number>()
 * })
 * ```
 */
export const make = <A = unknown>(options?: MakeOptions<A>): Effect.Effect<SimpleQueue<A>, InvalidArgument> =>
  makeQueue<A>("simple", options as MakeOptions<unknown>) as unknown as Effect.Effect<SimpleQueue<A>, InvalidArgument>

/**
 * Whether a value is a queue usable as a `SimpleQueue` (every queue is).
 *
 * @example
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * mp.SimpleQueue.isSimpleQueue(42) // false
 * ```
 */
export const isSimpleQueue = (u: unknown): u is SimpleQueue<unknown> => isQueueOf(u, ["simple", "queue", "joinable"])

/**
 * The schema of a simple queue inside a task payload.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * export const reply = mp.Task.make(import.meta.url, "reply", {
 *   payload: Schema.Struct({ out: mp.SimpleQueue.schema(Schema.String) }),
 *   handler: ({ out }) => out.put("done"),
 * })
 * ```
 */
export const schema = <A = unknown>(item?: Schema.Codec<A, unknown, never, never>): Schema.declare<SimpleQueue<A>> =>
  queueSchema<SimpleQueue<A>>(["simple", "queue", "joinable"], "mp.SimpleQueue", item as AnySchema | undefined)
