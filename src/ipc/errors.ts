/**
 * The typed errors of queues, pipes and managers. Each one is a
 * `Schema.TaggedError`: it has a `_tag`, typed fields, works with
 * `instanceof`, `Effect.catchTag` and `yield*`, and crosses a worker boundary
 * by its schema.
 *
 * The classes are declared in two steps (an explicitly typed base, then the
 * exported class) because JSR rejects the inferred type of
 * `Schema.TaggedError<X>()(...)` as a "slow type".
 *
 * @module
 */
import { registerErrors } from "../errors.ts"
import type * as Cause from "effect/Cause"
import * as Schema from "effect/Schema"

const queueClosedFields = {}
const /** @internal */ QueueClosedBase: Schema.Class<
  QueueClosed,
  Schema.TaggedStruct<"QueueClosed", typeof queueClosedFields>,
  Cause.YieldableError
> = Schema.TaggedError<QueueClosed>()("QueueClosed", queueClosedFields)
/**
 * The queue is closed: a `put` after `close`, or a `take` on a closed queue
 * that has been drained (items put before `close` are still delivered).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const drain = (queue: mp.Queue.Queue<number>) =>
 *   queue.take().pipe(Effect.catchTag("QueueClosed", () => Effect.succeed(-1)))
 * ```
 */
export class QueueClosed extends QueueClosedBase {
  /** A readable summary. */
  override get message(): string {
    return "The queue is closed"
  }
}

const queueFullFields = { capacity: Schema.Number, timeoutMs: Schema.Number }
const /** @internal */ QueueFullBase: Schema.Class<
  QueueFull,
  Schema.TaggedStruct<"QueueFull", typeof queueFullFields>,
  Cause.YieldableError
> = Schema.TaggedError<QueueFull>()("QueueFull", queueFullFields)
/**
 * A `put` with a `timeout` found no room in time (Python's `queue.Full`).
 * Nothing was queued.
 *
 * @example
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * const explain = (e: mp.QueueFull) => `still full after ${e.timeoutMs} ms (capacity ${e.capacity})`
 * ```
 */
export class QueueFull extends QueueFullBase {
  /** A readable summary. */
  override get message(): string {
    return `The queue stayed full for ${this.timeoutMs} ms (capacity ${this.capacity})`
  }
}

const queueEmptyFields = { timeoutMs: Schema.Number }
const /** @internal */ QueueEmptyBase: Schema.Class<
  QueueEmpty,
  Schema.TaggedStruct<"QueueEmpty", typeof queueEmptyFields>,
  Cause.YieldableError
> = Schema.TaggedError<QueueEmpty>()("QueueEmpty", queueEmptyFields)
/**
 * A `take` with a `timeout` found no item in time (Python's `queue.Empty`).
 *
 * @example
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * const explain = (e: mp.QueueEmpty) => `no item within ${e.timeoutMs} ms`
 * ```
 */
export class QueueEmpty extends QueueEmptyBase {
  /** A readable summary. */
  override get message(): string {
    return `The queue stayed empty for ${this.timeoutMs} ms`
  }
}

const encodeErrorFields = { message: Schema.String }
const /** @internal */ EncodeErrorBase: Schema.Class<
  EncodeError,
  Schema.TaggedStruct<"EncodeError", typeof encodeErrorFields>,
  Cause.YieldableError
> = Schema.TaggedError<EncodeError>()("EncodeError", encodeErrorFields)
/**
 * A value could not be put in a queue, sent through a pipe or stored in a
 * manager: it does not fit the schema, it cannot be cloned (a function, a
 * symbol, a `SharedArrayBuffer`), or it is larger than the buffer's limit.
 * That one operation fails; nothing already queued is lost.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const putOrLog = (queue: mp.Queue.Queue<unknown>, value: unknown) =>
 *   queue.put(value).pipe(Effect.catchTag("EncodeError", (e) => Effect.logWarning(e.message)))
 * ```
 */
export class EncodeError extends EncodeErrorBase {}

const decodeErrorFields = { message: Schema.String }
const /** @internal */ DecodeErrorBase: Schema.Class<
  DecodeError,
  Schema.TaggedStruct<"DecodeError", typeof decodeErrorFields>,
  Cause.YieldableError
> = Schema.TaggedError<DecodeError>()("DecodeError", decodeErrorFields)
/**
 * An item taken from a queue (or received from a pipe) did not decode with
 * the schema of this side. The item has been taken.
 *
 * @example
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * const explain = (e: mp.DecodeError) => `bad item: ${e.message}`
 * ```
 */
export class DecodeError extends DecodeErrorBase {}

const pipeClosedReasons = ["eof", "closed", "broken"] as const
const pipeClosedFields: { readonly reason: Schema.Literals<typeof pipeClosedReasons> } = {
  reason: Schema.Literals(pipeClosedReasons),
}
const /** @internal */ PipeClosedBase: Schema.Class<
  PipeClosed,
  Schema.TaggedStruct<"PipeClosed", typeof pipeClosedFields>,
  Cause.YieldableError
> = Schema.TaggedError<PipeClosed>()("PipeClosed", pipeClosedFields)
/**
 * A pipe cannot carry this message (Python's `EOFError` and
 * `BrokenPipeError`). `reason` is `"eof"` when `recv` found the other end
 * closed and nothing left to read, `"broken"` when `send` found the other end
 * closed, and `"closed"` when this connection itself was closed.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const recvOrDone = (conn: mp.Pipe.Connection<string>) =>
 *   conn.recv.pipe(Effect.catchTag("PipeClosed", () => Effect.succeed("done")))
 * ```
 */
export class PipeClosed extends PipeClosedBase {
  /** A readable summary. */
  override get message(): string {
    switch (this.reason) {
      case "eof":
        return "The other end of the pipe is closed and nothing is left to read"
      case "broken":
        return "The other end of the pipe is closed"
      default:
        return "This connection is closed"
    }
  }
}

const taskDoneFields = {}
const /** @internal */ TaskDoneTooManyTimesBase: Schema.Class<
  TaskDoneTooManyTimes,
  Schema.TaggedStruct<"TaskDoneTooManyTimes", typeof taskDoneFields>,
  Cause.YieldableError
> = Schema.TaggedError<TaskDoneTooManyTimes>()("TaskDoneTooManyTimes", taskDoneFields)
/**
 * `JoinableQueue.taskDone` was called more times than items were put
 * (Python's `ValueError: task_done() called too many times`).
 *
 * @example
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * const explain = (e: mp.TaskDoneTooManyTimes) => e.message
 * ```
 */
export class TaskDoneTooManyTimes extends TaskDoneTooManyTimesBase {
  /** A readable summary. */
  override get message(): string {
    return "taskDone() was called more times than items were put"
  }
}

const managerShutdownFields = {}
const /** @internal */ ManagerShutdownBase: Schema.Class<
  ManagerShutdown,
  Schema.TaggedStruct<"ManagerShutdown", typeof managerShutdownFields>,
  Cause.YieldableError
> = Schema.TaggedError<ManagerShutdown>()("ManagerShutdown", managerShutdownFields)
/**
 * A proxy was used after its manager was shut down (its Scope closed).
 *
 * @example
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * const explain = (e: mp.ManagerShutdown) => e.message
 * ```
 */
export class ManagerShutdown extends ManagerShutdownBase {
  /** A readable summary. */
  override get message(): string {
    return "The manager has been shut down"
  }
}

const upstreamFailedFields = {}
const /** @internal */ UpstreamFailedBase: Schema.Class<
  UpstreamFailed,
  Schema.TaggedStruct<"UpstreamFailed", typeof upstreamFailedFields>,
  Cause.YieldableError
> = Schema.TaggedError<UpstreamFailed>()("UpstreamFailed", upstreamFailedFields)
/**
 * A queue stage (`mp.Queue.stage`) stopped because the stage before it
 * failed or was interrupted: its input queue was shut down as failed, so the
 * items still to come will never arrive. The cause is the earlier stage's own
 * error (join the stages in pipeline order to see it first).
 *
 * @example
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * const explain = (e: mp.UpstreamFailed) => e.message
 * ```
 */
export class UpstreamFailed extends UpstreamFailedBase {
  /** A readable summary. */
  override get message(): string {
    return "An earlier stage of the pipeline failed, so this stage's input ended early"
  }
}

registerErrors([
  QueueClosed,
  QueueFull,
  QueueEmpty,
  EncodeError,
  DecodeError,
  PipeClosed,
  TaskDoneTooManyTimes,
  ManagerShutdown,
  UpstreamFailed,
])
