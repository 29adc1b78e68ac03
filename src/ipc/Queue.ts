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
import type { DecodeError, EncodeError, QueueClosed, QueueEmpty, QueueFull, UpstreamFailed } from "./errors.ts"
import type { AnySchema } from "./internal/channel.ts"
import { attachSchema, isQueueOf, makeQueue, type QueueImpl, queueSchema } from "./internal/queue_impl.ts"
import { eachBatch, eachItem, runStage } from "./internal/stage.ts"

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

/**
 * Options of `stage` and `stageBatches`. An unknown key, a `batchSize` that
 * is not an integer from 1 to 2^31 - 1 or a `closeOutput` that is not a
 * boolean fails the stage at once with `InvalidArgument`.
 *
 * @example
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * const options: mp.Queue.StageOptions = { batchSize: 256 }
 * ```
 */
export interface StageOptions {
  /**
   * The most items taken from the input at once (default 64): each take gets
   * what is queued, from 1 to this many, so a slow producer is never waited
   * for to fill a batch.
   */
  readonly batchSize?: number | undefined
  /**
   * Close the output when the input ends (default `true`). Give `false` when
   * several stages put on one output (a stage run by several processes), and
   * close it once they have all ended. A stage that fails closes its output
   * in any case (marked failed), which stops the others that share it too.
   */
  readonly closeOutput?: boolean | undefined
}

/**
 * How a stage that succeeded ended.
 *
 * @example
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * const report = (s: mp.Queue.StageSummary) => `${s.taken} in, ${s.put} out, ended by its ${s.endedBy}`
 * ```
 */
export interface StageSummary {
  /** Items taken from the input. */
  readonly taken: number
  /** Items put on the output. */
  readonly put: number
  /**
   * `"input"`: the input was closed and drained (the usual end); `"output"`:
   * the output was closed by whoever takes from it (the next stage stopped,
   * or the consumer closed it) before the input ended.
   */
  readonly endedBy: "input" | "output"
}

/**
 * A long-running pipeline stage between two queues, for a `Process` (or any
 * fiber): takes items from `input`, runs `f` on each in order, puts the
 * results on `output` in order, and closes `output` when `input` is closed
 * and drained, so the next stage ends in turn. Chain processes with queues
 * and every item flows through in order, each stage in its own worker.
 *
 * Results of fast items are put together (one `putAll` per batch, or per
 * millisecond of work); a result that took a millisecond or more is put at
 * once. `f` costs an Effect per item: for many tiny items, `stageBatches`
 * goes faster.
 *
 * How a stage ends:
 * - `input` closed and drained: `output` is closed; succeeds with a
 *   `StageSummary` (`endedBy: "input"`).
 * - `output` closed by its consumer first: nothing more can be delivered, so
 *   the stage stops, closes `input` (whoever feeds it gets `QueueClosed`
 *   instead of waiting for room) and succeeds (`endedBy: "output"`).
 * - `f` fails (or a value cannot cross, or the stage is interrupted):
 *   `output` is closed and marked failed, `input` is closed, and the stage
 *   fails with that error. The next stage still gets every result put before
 *   the failure, then fails with `UpstreamFailed` and passes the mark on, so
 *   no stage is left waiting and each one's `join` says how it ended. Join the
 *   stages in pipeline order to meet the cause first.
 *
 * A worker stopped from outside (`terminate`, a crash) runs no code on its
 * way out: then close the queues from the parent (or close the Scope that
 * owns them all). Either end may be a `JoinableQueue`; the stage does not
 * call `taskDone`.
 *
 * @example
 * ```ts
 * import { Effect, Stream } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * // tasks.ts: one stage, run by a Process
 * export const square = mp.Task.make(import.meta.url, "square", {
 *   handler: (q: { input: mp.Queue.Queue<number>; output: mp.Queue.Queue<number> }) =>
 *     mp.Queue.stage(q.input, q.output, (n) => Effect.succeed(n * n)),
 * })
 *
 * // main.ts
 * const program = Effect.gen(function* () {
 *   const input = yield* mp.Queue.make<number>({ capacity: 100 })
 *   const output = yield* mp.Queue.make<number>({ capacity: 100 })
 *   const stage = yield* mp.Process.spawn(square, { input, output })
 *   yield* input.putAll([1, 2, 3])
 *   yield* input.close
 *   console.log(yield* Stream.runCollect(output.toStream)) // [1, 4, 9]: the stream ends when the stage closes output
 *   console.log(yield* stage.join) // { taken: 3, put: 3, endedBy: "input" }
 * })
 * ```
 */
export const stage = <A, B, E = never, R = never>(
  input: Queue<A>,
  output: Queue<B>,
  f: (item: A) => Effect.Effect<B, E, R>,
  options?: StageOptions,
): Effect.Effect<
  StageSummary,
  E | UpstreamFailed | DecodeError | EncodeError | SharedStateCorrupted | InvalidArgument,
  R
> => runStage("Queue.stage", input, output, eachItem(f), options)

/**
 * `stage` with `f` over whole batches: each take from `input` (1 to
 * `batchSize` items, what is queued) goes to `f` at once, and the items `f`
 * returns (any number: a batch may shrink, grow or vanish) are put on
 * `output` together. For work that is cheaper per batch (a bulk write, a
 * vectorized computation) or that filters. Ends, closes and fails as `stage`
 * does.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * // keeps the even numbers, a batch at a time
 * export const evens = mp.Task.make(import.meta.url, "evens", {
 *   handler: (q: { input: mp.Queue.Queue<number>; output: mp.Queue.Queue<number> }) =>
 *     mp.Queue.stageBatches(q.input, q.output, (xs) => Effect.succeed(xs.filter((x) => x % 2 === 0)), {
 *       batchSize: 1024,
 *     }),
 * })
 * ```
 */
export const stageBatches = <A, B, E = never, R = never>(
  input: Queue<A>,
  output: Queue<B>,
  f: (items: ReadonlyArray<A>) => Effect.Effect<Iterable<B>, E, R>,
  options?: StageOptions,
): Effect.Effect<
  StageSummary,
  E | UpstreamFailed | DecodeError | EncodeError | SharedStateCorrupted | InvalidArgument,
  R
> => runStage("Queue.stageBatches", input, output, eachBatch(f), options)
