/**
 * A process-safe FIFO queue, like Python's `multiprocessing.Queue`:
 * multi-producer and multi-consumer across the parent and any number of
 * workers. Items live in a ring buffer in shared memory (no message per item
 * through a hub); waiting for room or for an item never blocks the event
 * loop. Pass the queue inside a task payload and use it on the other side.
 *
 * Values cross with the queue's `schema` when it has one, otherwise by a
 * structured-clone-equivalent encoding (fast paths for numbers, strings and
 * small plain data). A value that cannot be encoded fails that `put`, and
 * nothing already queued is lost.
 *
 * `stage` and `stageBatches` run a long-lived pipeline stage between two
 * queues (take, apply, put, close when the input ends, stop the neighbours
 * when it fails), one per Process.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const program = Effect.gen(function* () {
 *   const queue = yield* mp.Queue.make<string>({ capacity: 100 })
 *   yield* queue.put("hello")
 *   console.log(yield* queue.take()) // "hello"
 * })
 * ```
 *
 * @module
 */
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import type * as Schema from "effect/Schema"
import type * as Stream from "effect/Stream"
import type { InvalidArgument } from "../errors.ts"
import type { SharedStateCorrupted } from "../shared/errors.ts"
import type { DecodeError, EncodeError, QueueClosed, QueueEmpty, QueueFull } from "./errors.ts"
import type { AnySchema } from "./internal/channel.ts"
import { isQueueOf, makeQueue, type QueueImpl } from "./internal/queue_impl.ts"
import { attachSchema, queueSchema } from "./internal/queue_schema.ts"

/**
 * Options of `put` with a time limit.
 *
 * @example
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * const options: mp.Queue.PutOptions = { timeout: "100 millis" }
 * ```
 */
export interface PutOptions {
  /** How long to wait for room; then the put fails with `QueueFull` and nothing is queued. */
  readonly timeout: Duration.Input
}

/**
 * Options of `take` with a time limit.
 *
 * @example
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * const options: mp.Queue.TakeOptions = { timeout: "1 second" }
 * ```
 */
export interface TakeOptions {
  /** How long to wait for an item; then the take fails with `QueueEmpty`. */
  readonly timeout: Duration.Input
}

/**
 * Options of `shutdown`.
 *
 * @example
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * const options: mp.Queue.ShutdownOptions = { immediate: true }
 * ```
 */
export interface ShutdownOptions {
  /** Also drop the queued items: takes fail at once (default `false`: takers drain what is left). */
  readonly immediate?: boolean | undefined
}

/**
 * A queue of `A`s shared by the parent and its workers.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const producer = (queue: mp.Queue.Queue<number>) =>
 *   Effect.gen(function* () {
 *     for (let i = 0; i < 10; i++) yield* queue.put(i)
 *     yield* queue.close
 *   })
 * ```
 */
export interface Queue<A> {
  /** The most items the queue holds at once (`Infinity`: bounded only by `maxBytes`). */
  readonly capacity: number
  /** Puts an item, waiting while the queue is full. Fails with `QueueClosed` after `close`. */
  put(value: A): Effect.Effect<void, QueueClosed | EncodeError | SharedStateCorrupted>
  /**
   * Puts an item, waiting at most `timeout` for room (then `QueueFull`; nothing is queued). The timeout
   * holds while waiting for the queue's lock too; a negative one is an `InvalidArgument`, `Infinity` waits
   * for ever.
   */
  put(
    value: A,
    options: PutOptions,
  ): Effect.Effect<void, QueueClosed | QueueFull | EncodeError | SharedStateCorrupted | InvalidArgument>
  /**
   * Puts items in order, as many per lock as fit: the fast way to fill a
   * queue. When one cannot be encoded, none is put.
   */
  putAll(values: Iterable<A>): Effect.Effect<void, QueueClosed | EncodeError | SharedStateCorrupted>
  /** Puts an item if there is room now; returns whether it did (Python's `put_nowait`). */
  tryPut(value: A): Effect.Effect<boolean, QueueClosed | EncodeError | SharedStateCorrupted>
  /** Takes the oldest item, waiting while the queue is empty. `QueueClosed` once closed and drained. */
  take(): Effect.Effect<A, QueueClosed | DecodeError | SharedStateCorrupted>
  /**
   * Takes the oldest item, waiting at most `timeout` (then `QueueEmpty`), also for the queue's lock. A
   * negative timeout is an `InvalidArgument`; `Infinity` waits for ever.
   */
  take(
    options: TakeOptions,
  ): Effect.Effect<A, QueueClosed | QueueEmpty | DecodeError | SharedStateCorrupted | InvalidArgument>
  /** Python's name for `take`. */
  get(): Effect.Effect<A, QueueClosed | DecodeError | SharedStateCorrupted>
  /** Python's name for `take` with a timeout. */
  get(
    options: TakeOptions,
  ): Effect.Effect<A, QueueClosed | QueueEmpty | DecodeError | SharedStateCorrupted | InvalidArgument>
  /**
   * Waits for at least one item, then takes up to `max`: the fast way to drain a queue. `max` must be an
   * integer from 1 to 2^31 - 1 (else `InvalidArgument`).
   */
  takeUpTo(max: number): Effect.Effect<Array<A>, QueueClosed | DecodeError | SharedStateCorrupted | InvalidArgument>
  /** Takes an item if there is one now (Python's `get_nowait`). */
  readonly tryTake: Effect.Effect<Option.Option<A>, QueueClosed | DecodeError | SharedStateCorrupted>
  /** How many items are queued now. */
  readonly size: Effect.Effect<number>
  /** Whether no item is queued now. */
  readonly isEmpty: Effect.Effect<boolean>
  /** Whether `capacity` items are queued now. */
  readonly isFull: Effect.Effect<boolean>
  /** Whether `close` was called (items may still be left to take). */
  readonly isClosed: Effect.Effect<boolean>
  /**
   * Closes the queue for everyone: puts fail with `QueueClosed`, waiting puts
   * are woken and fail, takers get what is left and then `QueueClosed`.
   */
  readonly close: Effect.Effect<void>
  /**
   * Python 3.13's `Queue.shutdown`, for everyone in every worker (the state
   * lives in shared memory). Without `immediate` it is `close`: puts fail at
   * once with `QueueClosed` (Python's `ShutDown`), waiting puts are woken and
   * fail, takers get what is left and then `QueueClosed`. With `immediate:
   * true` the queued items are dropped too, so takes fail at once, and the
   * dropped items count as done (`taskDone`) so that a `JoinableQueue`'s
   * `join` returns once the items already taken are done. Shutting down twice
   * is allowed; there is no way back (as in Python). An `immediate` that is
   * not a boolean is an `InvalidArgument`.
   */
  shutdown(options?: ShutdownOptions): Effect.Effect<void, SharedStateCorrupted | InvalidArgument>
  /** Whether the queue was shut down or closed (Python's `is_shutdown`; the same as `isClosed`). */
  readonly isShutDown: Effect.Effect<boolean>
  /** The items as a Stream, in chunks, ending when the queue is closed and drained. */
  readonly toStream: Stream.Stream<A, DecodeError | SharedStateCorrupted>
}

/**
 * Options of `make`.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const options: mp.Queue.MakeOptions<number> = { capacity: 1000, schema: Schema.Number }
 * ```
 */
export interface MakeOptions<A> {
  /** The most items held at once (Python's `maxsize`). Default: no bound but `maxBytes`. */
  readonly capacity?: number | undefined
  /** Encodes and decodes every item (on both sides: declare the payload with `schema(item)`). */
  readonly schema?: Schema.Codec<A, unknown, never, never> | undefined
  /**
   * The most bytes the buffer grows to (default 64 MiB); a put waits when it is full. The buffer starts
   * at 64 KiB and grows (doubling) only as items need room, in every worker that uses it: the default
   * reserves address space, not memory (measured on Deno 2.9.6: three fresh queues add 192 MiB of virtual
   * size and nothing to the resident set). Memory that a burst made the buffer grow to stays with the
   * queue until it is collected (a `SharedArrayBuffer` cannot shrink): lower `maxBytes` to bound it.
   */
  readonly maxBytes?: number | undefined
}

/**
 * Makes a queue. Fails with `InvalidArgument` for a capacity that is not a
 * positive integer.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const program = Effect.gen(function* () {
 *   const numbers = yield* mp.Queue.make({ schema: Schema.Number })
 *   const anything = yield* mp.Queue.make<{ id: number; tags: string[] }>({ capacity: 10 })
 * })
 * ```
 */
export const make = <A = unknown>(options?: MakeOptions<A>): Effect.Effect<Queue<A>, InvalidArgument> =>
  makeQueue<A>("queue", options as MakeOptions<unknown>) as unknown as Effect.Effect<Queue<A>, InvalidArgument>

/**
 * Whether a value is a queue (a `JoinableQueue` is one too).
 *
 * @example
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * mp.Queue.isQueue("nope") // false
 * ```
 */
export const isQueue = (u: unknown): u is Queue<unknown> => isQueueOf(u, ["queue", "joinable"])

/**
 * The schema of a queue inside a task payload. With `item`, the worker's
 * copy gets the item schema back when the payload is decoded.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * export const sum = mp.Task.make(import.meta.url, "sum", {
 *   payload: Schema.Struct({ queue: mp.Queue.schema(Schema.Number) }),
 *   handler: ({ queue }) => queue.take(),
 * })
 * ```
 */
export const schema = <A = unknown>(item?: Schema.Codec<A, unknown, never, never>): Schema.declare<Queue<A>> =>
  queueSchema<Queue<A>>(["queue", "joinable"], "mp.Queue", item as AnySchema | undefined)

/**
 * Gives a queue that crossed into a worker without its item schema (in a
 * payload without a payload schema) that schema back.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * export const first = mp.Task.make(import.meta.url, "first", {
 *   handler: (p: { queue: mp.Queue.Queue<number> }) => mp.Queue.withSchema(p.queue, Schema.Number).take(),
 * })
 * ```
 */
export const withSchema = <A>(queue: Queue<A>, item: Schema.Codec<A, unknown, never, never>): Queue<A> =>
  attachSchema(queue as unknown as QueueImpl<unknown>, item as AnySchema) as unknown as Queue<A>

// The stages live in their own module; `export *` keeps them in this namespace and in its docs.
export * from "./queue_stage.ts"
