/**
 * `Queue.stage` and `Queue.stageBatches`: the drain-apply-put loop of one
 * long-running pipeline stage between two queues, and how it ends.
 *
 * - Input closed and drained: the output is closed (unless `closeOutput` is
 *   false) and the stage succeeds.
 * - Output closed by someone else (the next stage stopped, or the consumer
 *   closed it): nothing more can be delivered, so the stage stops taking,
 *   closes its input from the reading side (so whoever feeds it is stopped
 *   too instead of waiting for room) and succeeds (`endedBy: "output"`).
 * - Failure or interruption: the output is marked failed and closed (the next
 *   stage takes what was delivered, then fails with `UpstreamFailed`), the
 *   input is closed from the reading side, and the stage fails with its error.
 *
 * The failed mark is a bit of the ring's `CLOSED` word (`CLOSED_FAILED`), set
 * before the close bit, so a taker that sees the close also sees the mark.
 *
 * @internal
 * @module
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type { InvalidArgument } from "../../errors.ts"
import { intIn, invalid, knownKeys, optionKeys } from "../../internal/arguments.ts"
import type { SharedStateCorrupted } from "../../shared/errors.ts"
import { type DecodeError, type EncodeError, UpstreamFailed } from "../errors.ts"
import type { Queue, StageOptions, StageSummary } from "../Queue.ts"
import { closeRing } from "./channel.ts"
import { isQueueOf, type QueueImpl } from "./queue_impl.ts"
import { CLOSED, CLOSED_BY_READER, CLOSED_BY_WRITER, CLOSED_FAILED } from "./ring.ts"

/** The errors of a stage besides its function's own. */
export type StageError = UpstreamFailed | DecodeError | EncodeError | SharedStateCorrupted | InvalidArgument

const stageOptionKeys = optionKeys<StageOptions>()(["batchSize", "closeOutput"])
const DEFAULT_BATCH = 64

/** The output was closed under a put: private to the loop, so that `f`'s own `QueueClosed` is not mistaken for it. */
class OutputEnded {
  readonly _tag = "@mp/multiprocessing/StageOutputEnded"
}
const outputEnded = new OutputEnded()

/** Puts values on the output; counts them. */
type Emit<B> = (values: ReadonlyArray<B>) => Effect.Effect<void, OutputEnded | EncodeError | SharedStateCorrupted>

const ctlOf = (queue: Queue<unknown>): Int32Array => (queue as unknown as QueueImpl<unknown>).ring.ctl

const check = (
  input: unknown,
  output: unknown,
  options: StageOptions | undefined,
): { readonly batchSize: number; readonly closeOutput: boolean } | InvalidArgument => {
  if (!isQueueOf(input, ["queue", "joinable"])) return invalid("input", "a Queue or a JoinableQueue", input)
  if (!isQueueOf(output, ["queue", "joinable"])) return invalid("output", "a Queue or a JoinableQueue", output)
  if (input.ctl === output.ctl) return invalid("output", "another queue than input", output)
  const keys = knownKeys("options", options, stageOptionKeys)
  if (keys !== undefined) return keys
  const batchSize = options?.batchSize ?? DEFAULT_BATCH
  const bad = intIn("options.batchSize", batchSize, 1, 0x7fffffff)
  if (bad !== undefined) return bad
  const closeOutput = options?.closeOutput ?? true
  if (typeof closeOutput !== "boolean") return invalid("options.closeOutput", "a boolean", closeOutput)
  return { batchSize, closeOutput }
}

/** Marks the output failed and closed, and closes the input from the reading side. */
const abort = (input: Queue<unknown>, output: Queue<unknown>): Effect.Effect<void> =>
  Effect.sync(() => {
    const out = (output as unknown as QueueImpl<unknown>).ring
    Atomics.or(out.ctl, CLOSED, CLOSED_FAILED)
    closeRing(out, CLOSED_BY_WRITER)
    closeRing((input as unknown as QueueImpl<unknown>).ring, CLOSED_BY_READER)
  })

/**
 * Runs one stage: takes batches from `input`, hands each to `step` with a
 * way to put results on `output`, until one of the queues ends it.
 */
export const runStage = <A, B, E, R>(
  name: string,
  input: Queue<A>,
  output: Queue<B>,
  step: (
    items: Array<A>,
    emit: Emit<B>,
  ) => Effect.Effect<void, E | OutputEnded | EncodeError | SharedStateCorrupted, R>,
  options: StageOptions | undefined,
): Effect.Effect<StageSummary, E | StageError, R> =>
  Effect.suspend(() => {
    const checked = check(input, output, options)
    if (!("batchSize" in checked)) return Effect.fail(checked)
    const { batchSize, closeOutput } = checked
    let taken = 0
    let put = 0
    const emit: Emit<B> = (values) => {
      if (values.length === 0) return Effect.void
      const putting = Effect.map(output.putAll(values), () => {
        put += values.length
      })
      return Effect.catchTag(putting, "QueueClosed", () => Effect.fail(outputEnded))
    }
    const summary = (endedBy: "input" | "output"): StageSummary => ({ taken, put, endedBy })
    const loop: Effect.Effect<StageSummary, E | StageError, R> = Effect.gen(function* () {
      for (;;) {
        const items = yield* Effect.catchTag(input.takeUpTo(batchSize), "QueueClosed", () => Effect.succeed(undefined))
        if (items === undefined) {
          if ((Atomics.load(ctlOf(input), CLOSED) & CLOSED_FAILED) !== 0) return yield* new UpstreamFailed()
          if (closeOutput) yield* output.close
          return summary("input")
        }
        taken += items.length
        const stopped = yield* Effect.catchIf(
          Effect.as(step(items, emit), false),
          (e): e is OutputEnded => e === outputEnded,
          () => Effect.succeed(true),
        )
        if (stopped) {
          closeRing((input as unknown as QueueImpl<unknown>).ring, CLOSED_BY_READER)
          return summary("output")
        }
      }
    }) as Effect.Effect<StageSummary, E | StageError, R>
    return Effect.withSpan(
      Effect.onExit(loop, (exit) => Exit.isSuccess(exit) ? Effect.void : abort(input, output)),
      name,
      { attributes: { batchSize, closeOutput } },
    )
  })

/**
 * How long results of `Queue.stage` may wait to be put together: results of
 * fast items are put with one `putAll` (one lock, one wake-up of the next
 * stage) instead of one put each; a result that took this long or longer is
 * put at once.
 */
const FLUSH_MS = 1

/**
 * `step` of `Queue.stage`: `f` on each item in order; the results are put as
 * soon as `FLUSH_MS` has passed since the oldest one not yet put began (so a
 * slow item's result goes at once), else together at the end of the batch.
 * When `f` fails, the results before it are put first.
 */
export const eachItem =
  <A, B, E, R>(f: (item: A) => Effect.Effect<B, E, R>) =>
  (items: Array<A>, emit: Emit<B>): Effect.Effect<void, E | OutputEnded | EncodeError | SharedStateCorrupted, R> =>
    Effect.suspend(() => {
      let pending: Array<B> = []
      let since = performance.now()
      const one = (b: B): Effect.Effect<void, OutputEnded | EncodeError | SharedStateCorrupted> => {
        pending.push(b)
        const now = performance.now()
        if (now - since < FLUSH_MS) return Effect.void
        const out = pending
        pending = []
        since = now
        return emit(out)
      }
      const all = Effect.forEach(items, (item) => Effect.flatMap(f(item), one), { discard: true })
      return Effect.andThen(
        // When `f` fails, the results before it are put first (a failure of that put gives way to `f`'s).
        Effect.catch(all, (e) => Effect.andThen(Effect.ignore(emit(pending)), Effect.fail(e))),
        Effect.suspend(() => emit(pending)),
      )
    })

/** `step` of `Queue.stageBatches`: `f` on the whole batch, its results put together. */
export const eachBatch =
  <A, B, E, R>(f: (items: ReadonlyArray<A>) => Effect.Effect<Iterable<B>, E, R>) =>
  (items: Array<A>, emit: Emit<B>): Effect.Effect<void, E | OutputEnded | EncodeError | SharedStateCorrupted, R> =>
    Effect.flatMap(f(items), (bs) => emit(Array.isArray(bs) ? bs : Array.from(bs)))
