/**
 * The typed errors of processes and pools. Every one is a `Schema.TaggedError`,
 * so it has a `_tag`, typed fields, works with `instanceof`, `Effect.catchTag`
 * and `yield*`, and crosses a worker boundary by its schema.
 *
 * The classes are declared in two steps (an explicitly typed base, then the
 * exported class) because JSR rejects the inferred type of
 * `Schema.TaggedError<X>()(...)` as a "slow type".
 *
 * @module
 */
import type * as Cause from "effect/Cause"
import * as Schema from "effect/Schema"
import { addKnownErrors } from "./internal/known_errors.ts"
import { provideInvalidArgument } from "./internal/invalid_argument.ts"
// Task codecs compile their schemas with `effect/Schema`, installed here for every thread that loads these errors.
import "./task/schema_compiler.ts"
import type { QueueFull } from "./ipc/errors.ts"
import type { ModuleMismatch, NoRunners } from "./cluster/errors.ts"

const remoteExceptionFields = {
  taskName: Schema.String,
  remoteName: Schema.String,
  remoteMessage: Schema.String,
  remoteStack: Schema.String,
}
const /** @internal */ RemoteExceptionBase: Schema.Class<
  RemoteException,
  Schema.TaggedStruct<"RemoteException", typeof remoteExceptionFields>,
  Cause.YieldableError
> = Schema.TaggedError<RemoteException>()("RemoteException", remoteExceptionFields)
/**
 * The task's handler threw (or its Effect died) in the worker. Carries the
 * thrown value's name (`remoteName`), message (`remoteMessage`) and the
 * worker-side stack (`remoteStack`).
 *
 * Its `message` names the task and the remote error; its printed forms end
 * with the worker-side stack, as Python's `RemoteTraceback` does: `cause` is
 * an `Error` carrying the remote stack, so Deno's uncaught-error report shows
 * it under "Caused by:", `Cause.pretty` under `[cause]:`, and `toString()`
 * appends it.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const explain = (e: mp.RemoteException) => `${e.taskName} threw ${e.remoteName}: ${e.remoteMessage}`
 * ```
 */
export class RemoteException extends RemoteExceptionBase {
  /** `Task "<name>" failed in the worker with <RemoteName>: <remote message>`. */
  override get message(): string {
    return `Task "${this.taskName}" failed in the worker with ${this.remoteName}: ${this.remoteMessage}`
  }
  /** The remote error, rebuilt with the worker-side stack (what Python prints as `RemoteTraceback`). */
  override get cause(): Error {
    const remote = new Error(this.remoteMessage)
    remote.name = this.remoteName
    remote.stack = this.remoteStack.length > 0 ? this.remoteStack : `${this.remoteName}: ${this.remoteMessage}`
    return remote
  }
  /** The message, then the worker-side stack. */
  override toString(): string {
    return `${this.name}: ${this.message}\n\nThe remote error, with its stack in the worker:\n${this.cause.stack}`
  }
}

const workerCrashedFields: {
  readonly workerId: typeof Schema.Number
  readonly reason: typeof Schema.String
  readonly exitCode: Schema.optional<typeof Schema.Number>
  readonly signal: Schema.optional<typeof Schema.String>
} = {
  workerId: Schema.Number,
  reason: Schema.String,
  exitCode: Schema.optional(Schema.Number),
  signal: Schema.optional(Schema.String),
}
const /** @internal */ WorkerCrashedBase: Schema.Class<
  WorkerCrashed,
  Schema.TaggedStruct<"WorkerCrashed", typeof workerCrashedFields>,
  Cause.YieldableError
> = Schema.TaggedError<WorkerCrashed>()("WorkerCrashed", workerCrashedFields)
/**
 * The worker died while it held this task (it exited, closed itself, was
 * terminated, crashed or ran out of memory). A pool replaces the worker and
 * goes on; only the tasks that worker held fail.
 *
 * @example
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * const explain = (e: mp.WorkerCrashed) => `worker ${e.workerId} died: ${e.reason}`
 * ```
 */
export class WorkerCrashed extends WorkerCrashedBase {
  /** A readable summary of the crash. */
  override get message(): string {
    const code = this.exitCode === undefined ? "" : ` (exit code ${this.exitCode})`
    const signal = this.signal === undefined ? "" : ` (signal ${this.signal})`
    return `Worker ${this.workerId} died: ${this.reason}${code}${signal}`
  }
}

const timeoutPhases = ["load", "run"] as const
const timeoutLimits = ["taskTimeout", "timeout"] as const
const taskTimeoutFields: {
  readonly taskName: typeof Schema.String
  readonly timeoutMs: typeof Schema.Number
  readonly phase: Schema.optional<Schema.Literals<typeof timeoutPhases>>
  readonly limit: Schema.optional<Schema.Literals<typeof timeoutLimits>>
} = {
  taskName: Schema.String,
  timeoutMs: Schema.Number,
  phase: Schema.optional(Schema.Literals(timeoutPhases)),
  limit: Schema.optional(Schema.Literals(timeoutLimits)),
}
const /** @internal */ TaskTimeoutBase: Schema.Class<
  TaskTimeout,
  Schema.TaggedStruct<"TaskTimeout", typeof taskTimeoutFields>,
  Cause.YieldableError
> = Schema.TaggedError<TaskTimeout>()("TaskTimeout", taskTimeoutFields)
/**
 * A deadline of the pool expired. `phase` says which: `"run"` (or absent), the
 * task ran longer than the pool's `taskTimeout`; `"load"`, the worker could not
 * load the task's module (its import, top-level code included) within the pool's
 * `loadTimeout`. `timeoutMs` is the deadline that expired; `limit` says whose it
 * was for the run phase: `"timeout"`, the call's own (`pool.apply(task, payload,
 * { timeout })`), `"taskTimeout"` (or absent), the pool's. The task was
 * interrupted in the worker, and a worker that did not stop in time was
 * terminated and replaced.
 *
 * @example
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * const explain = (e: mp.TaskTimeout) =>
 *   e.phase === "load"
 *     ? `${e.taskName}'s module took over ${e.timeoutMs} ms to load`
 *     : `${e.taskName} took over ${e.timeoutMs} ms`
 * ```
 */
export class TaskTimeout extends TaskTimeoutBase {
  /** A readable summary of the timeout. */
  override get message(): string {
    return this.phase === "load"
      ? `Task ${this.taskName} did not start within ${this.timeoutMs} ms: its module did not finish loading ` +
        `in the worker (loadTimeout)`
      : `Task ${this.taskName} did not finish within ${this.timeoutMs} ms (${this.limit ?? "taskTimeout"})`
  }
}

/** Where a value failed to cross the worker boundary. */
export type SerializationStage = "encode-payload" | "decode-payload" | "encode-result" | "decode-result"

const stages = ["encode-payload", "decode-payload", "encode-result", "decode-result"] as const
const serializationErrorFields: {
  readonly taskName: typeof Schema.String
  readonly stage: Schema.Literals<typeof stages>
  readonly message: typeof Schema.String
} = {
  taskName: Schema.String,
  stage: Schema.Literals(stages),
  message: Schema.String,
}
const /** @internal */ SerializationErrorBase: Schema.Class<
  SerializationError,
  Schema.TaggedStruct<"SerializationError", typeof serializationErrorFields>,
  Cause.YieldableError
> = Schema.TaggedError<SerializationError>()("SerializationError", serializationErrorFields)
/**
 * A payload, result or typed failure could not cross the worker boundary: it
 * did not fit the task's schema, or it cannot be structured-cloned (a
 * function, a socket). `stage` says which of the four crossings failed. Bad
 * input is always this error, never a hang.
 *
 * @example
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * const explain = (e: mp.SerializationError) => `${e.taskName}: ${e.stage} failed: ${e.message}`
 * ```
 */
export class SerializationError extends SerializationErrorBase {}

const poolClosedReasons = ["closed", "terminated"] as const
const poolClosedFields: {
  readonly reason: Schema.Literals<typeof poolClosedReasons>
  readonly message: typeof Schema.String
} = { reason: Schema.Literals(poolClosedReasons), message: Schema.String }
const /** @internal */ PoolClosedBase: Schema.Class<
  PoolClosed,
  Schema.TaggedStruct<"PoolClosed", typeof poolClosedFields>,
  Cause.YieldableError
> = Schema.TaggedError<PoolClosed>()("PoolClosed", poolClosedFields)
/**
 * Work was submitted to a pool that is closed (by `close`, `terminate`, or its
 * Scope), or queued work was dropped by `terminate`. `reason` says which:
 * `"closed"` (the pool takes no more work) or `"terminated"` (the pool
 * stopped, dropping what it held).
 *
 * @example
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * const e = new mp.PoolClosed({ reason: "closed", message: "The pool is closed" })
 * ```
 */
export class PoolClosed extends PoolClosedBase {}

/** @internal The message of each `PoolClosed` reason. */
const poolClosedMessages: Readonly<Record<PoolClosed["reason"], string>> = {
  closed: "The pool is closed: it takes no more work",
  terminated: "The pool was terminated",
}

/** @internal A `PoolClosed` for `reason`, with that reason's message. */
export const poolClosed = (reason: PoolClosed["reason"]): PoolClosed =>
  new PoolClosed({ reason, message: poolClosedMessages[reason] })

const taskNotFoundFields = { moduleUrl: Schema.String, taskName: Schema.String, reason: Schema.String }
const /** @internal */ TaskNotFoundBase: Schema.Class<
  TaskNotFound,
  Schema.TaggedStruct<"TaskNotFound", typeof taskNotFoundFields>,
  Cause.YieldableError
> = Schema.TaggedError<TaskNotFound>()("TaskNotFound", taskNotFoundFields)
/**
 * The worker could not find the task: its module failed to import (it does
 * not exist, or threw while loading, or a program compiled with `deno compile`
 * does not contain it: then the reason names the `--include` flag to add), or
 * the module does not export a Task of that name.
 *
 * @example
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * const explain = (e: mp.TaskNotFound) => `${e.taskName} in ${e.moduleUrl}: ${e.reason}`
 * ```
 */
export class TaskNotFound extends TaskNotFoundBase {
  /** A readable summary. */
  override get message(): string {
    const exportIt = `export the task from that module under the same name ` +
      `(\`export const ${
        safeIdentifier(this.taskName)
      } = mp.Task.make(import.meta.url, "${this.taskName}", { handler })\`)`
    const fix = this.reason.includes("does not export")
      ? `To fix it, ${exportIt}.`
      : this.reason.includes("deno compile --include")
      ? `To fix it, add the module to the compiled program with that --include flag.`
      : `To fix it, make sure that module imports without error in a worker (its imports resolve, it does not throw ` +
        `at the top level, the worker may read it), and ${exportIt}.`
    return `Task "${this.taskName}" could not be loaded from ${this.moduleUrl}: ${this.reason}. ${fix}`
  }
}

const invalidArgumentFields = { argument: Schema.String, message: Schema.String }
const /** @internal */ InvalidArgumentBase: Schema.Class<
  InvalidArgument,
  Schema.TaggedStruct<"InvalidArgument", typeof invalidArgumentFields>,
  Cause.YieldableError
> = Schema.TaggedError<InvalidArgument>()("InvalidArgument", invalidArgumentFields)
/**
 * An argument at the API edge was out of range or of the wrong kind (a pool
 * size of 0, a negative timeout, a non-Task where a Task is due). Raised at
 * once, before any worker is involved.
 *
 * @example
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * const e = new mp.InvalidArgument({ argument: "size", message: "size must be a positive integer, got 0" })
 * ```
 */
export class InvalidArgument extends InvalidArgumentBase {}

const safeIdentifier = (name: string): string => /^[A-Za-z_$][\w$]*$/.test(name) ? name : "task"

const missingMainGuardFields = { operation: Schema.String, moduleUrl: Schema.String }
const /** @internal */ MissingMainGuardBase: Schema.Class<
  MissingMainGuard,
  Schema.TaggedStruct<"MissingMainGuard", typeof missingMainGuardFields>,
  Cause.YieldableError
> = Schema.TaggedError<MissingMainGuard>()("MissingMainGuard", missingMainGuardFields)
/**
 * A worker tried to start the program again: `Pool.make`, `Process.spawn` or
 * `runMain` ran inside a worker outside any task, which happens when the
 * workers import a main module (it defines the tasks) that starts its program
 * at import time. Every worker would then start a pool of its own, and so on:
 * a fork bomb. Python refuses the same with "An attempt has been made to start
 * a new process before the current process has finished its bootstrapping
 * phase". The fix is the guard in the message: start the program only when the
 * module is the main module (`if (import.meta.main)`), or move the tasks to a
 * module of their own.
 *
 * `operation` is what was refused; `moduleUrl` the task module being imported
 * (empty when the refusal came after the import).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const program = Effect.scoped(Effect.gen(function* () {
 *   const pool = yield* mp.Pool.make({ size: 2 })
 * }))
 * // The guard that keeps workers, which import this module for its tasks, from running the program:
 * if (import.meta.main) mp.runMain(program)
 * ```
 */
export class MissingMainGuard extends MissingMainGuardBase {
  /** What was refused and the guard to add. */
  override get message(): string {
    const where = this.moduleUrl.length > 0
      ? `while a worker was importing ${this.moduleUrl}`
      : "in a worker, outside any task"
    return `${this.operation} was called ${where}: the module starts its program when it is imported, so every ` +
      `worker would start the program again (a fork bomb). Start the program only in the main module:\n\n` +
      `  if (import.meta.main) {\n    mp.runMain(program)\n  }\n\n` +
      `or move the tasks into a module of their own that starts nothing.`
  }
}

/**
 * Every error a pool or process adds to a task's own typed error (`QueueFull`, the
 * `QueueFull` of `mp.Queue`, only from a pool with `maxQueue` and `onFull: "fail"`;
 * `NoRunners` and `ModuleMismatch` only from a cluster pool, `@mp/multiprocessing/cluster`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const describe = (e: mp.PoolError): string => e._tag
 * ```
 */
export type PoolError =
  | RemoteException
  | WorkerCrashed
  | TaskTimeout
  | SerializationError
  | PoolClosed
  | TaskNotFound
  | MissingMainGuard
  | QueueFull
  | NoRunners
  | ModuleMismatch

/**
 * Registers `Schema.TaggedError` classes so that, failing a task without a
 * `failure` schema, they still arrive in the parent as instances of their
 * class. Call it in a module the workers load too (the task's module).
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * export class OutOfStock extends Schema.TaggedError<OutOfStock>()("OutOfStock", { sku: Schema.String }) {}
 * mp.registerErrors([OutOfStock])
 * ```
 */
export const registerErrors = (classes: ReadonlyArray<unknown>): void => addKnownErrors(classes)

registerErrors([
  RemoteException,
  WorkerCrashed,
  TaskTimeout,
  SerializationError,
  PoolClosed,
  TaskNotFound,
  InvalidArgument,
  MissingMainGuard,
])

// For `Task.make` and the worker runtime, which do not import this module up front.
provideInvalidArgument((argument, message) => new InvalidArgument({ argument, message }))
