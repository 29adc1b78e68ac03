/**
 * Queue stages: `stage` and `stageBatches`, a long-running step between two
 * queues (drain the input, apply an effect, put on the output, close the
 * output when the input ends). Part of the `Queue` namespace.
 *
 * @module
 */
import type * as Effect from "effect/Effect"
import type { InvalidArgument } from "../errors.ts"
import type { SharedStateCorrupted } from "../shared/errors.ts"
import type { DecodeError, EncodeError, UpstreamFailed } from "./errors.ts"
import { eachBatch, eachItem, runStage } from "./internal/stage.ts"
import type { Queue } from "./Queue.ts"
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
