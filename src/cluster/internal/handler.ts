/**
 * The runner side of the `MpTask` entity: find the task by module URL and
 * name (importing the module as a local worker does), run the chunk on the
 * runner's local `Pool`, and reply with one outcome per payload. The handler
 * never fails: every failure becomes an outcome, so nothing is retried in a
 * loop on the runner.
 *
 * @internal
 * @module
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { RemoteException, SerializationError, TaskNotFound } from "../../errors.ts"
import { encodeFailure } from "../../internal/known_errors.ts"
import type { Pool } from "../../pool/Pool.ts"
import * as Task from "../../task/Task.ts"
import {
  type AllSucceeded,
  fromWire,
  MAX_TEXT,
  type Mismatch,
  type Resend,
  toWire,
  type WireOutcome,
} from "./entity.ts"
import { moduleHash } from "./module_hash.ts"

/** Modules loaded or loading, by URL, with the SHA-256 of the source read when loading began. */
const modules = new Map<string, Promise<Record<string, unknown>>>()
const hashes = new Map<string, string | undefined>()

/** The exported Task named `taskName` of the module at `moduleUrl`. */
export const loadTask = (moduleUrl: string, taskName: string): Effect.Effect<Task.AnyTask, TaskNotFound> => {
  // Found before: no promise to wait for (the hot path of a sequential caller).
  const known = found.get(`${taskName}@${moduleUrl}`)
  return known !== undefined ? Effect.succeed(known) : findTask(moduleUrl, taskName)
}

/** Tasks found so far, by `name@moduleUrl`. */
const found = new Map<string, Task.AnyTask>()

const findTask = (moduleUrl: string, taskName: string): Effect.Effect<Task.AnyTask, TaskNotFound> =>
  Effect.tryPromise({
    try: () => {
      let loading = modules.get(moduleUrl)
      if (loading === undefined) {
        // The source is read as the module is imported: the fingerprint is that of the code this runner runs.
        loading = moduleHash(moduleUrl).then((hash) => {
          hashes.set(moduleUrl, hash)
          return import(moduleUrl) as Promise<Record<string, unknown>>
        })
        loading.catch(() => modules.delete(moduleUrl))
        modules.set(moduleUrl, loading)
      }
      return loading
    },
    catch: (e) =>
      new TaskNotFound({
        moduleUrl,
        taskName,
        reason: `the module could not be loaded on the runner: ${e instanceof Error ? e.message : String(e)}`,
      }),
  }).pipe(Effect.flatMap((exports) => {
    for (const value of Object.values(exports)) {
      if (Task.isTask(value) && value.name === taskName && value.moduleUrl === moduleUrl) {
        found.set(`${taskName}@${moduleUrl}`, value)
        return Effect.succeed(value)
      }
    }
    return Effect.fail(new TaskNotFound({ moduleUrl, taskName, reason: "the module does not export that task" }))
  }))

const failed = (error: unknown): WireOutcome => ({ ok: false, error: encodeFailure(error) })

/** An outcome for the wire, encoded by the task's schemas where it has them (the caller decodes with the same). */
const outcomeOf = (task: Task.AnyTask) => (exit: Exit.Exit<unknown, unknown>): WireOutcome => {
  if (Exit.isSuccess(exit)) {
    const encoded = task.codec.success.encode(exit.value)
    return encoded.ok ? { ok: true, value: encoded.value } : failed(
      new SerializationError({ taskName: task.name, stage: "encode-result", message: encoded.message }),
    )
  }
  const error = Cause.squash(exit.cause)
  if (task.codec.hasFailureSchema) {
    // A PoolError (TaskTimeout on the runner, …) does not fit the task's failure schema: it crosses as below.
    const encoded = task.codec.failure.encode(error)
    if (encoded.ok) return { ok: false, error: encoded.value, typed: true }
  }
  return failed(error)
}

/** Serializes the outcomes; one that cannot be serialized becomes a `SerializationError` of its own. */
const encodeOutcomes = (taskName: string, outcomes: ReadonlyArray<WireOutcome>, resendable: boolean): string => {
  try {
    const text = toWire(
      outcomes.every((o) => o.ok)
        ? { values: outcomes.map((o) => (o as { readonly value: unknown }).value) } satisfies AllSucceeded
        : outcomes,
    )
    if (text.length <= MAX_TEXT) return text
    // Separate calls sent together: the caller sends them again in smaller chunks (each alone may well fit).
    if (resendable && outcomes.length > 1) return toWire({ resend: text.length } satisfies Resend)
    const tooLarge = failed(
      new SerializationError({
        taskName,
        stage: "encode-result",
        message: `the results of a chunk of ${outcomes.length} take ${text.length} bytes, over the cluster's ` +
          `limit of ${MAX_TEXT}: use a smaller chunkSize, or return large data by reference`,
      }),
    )
    return toWire(outcomes.map(() => tooLarge))
  } catch {
    return toWire(outcomes.map((o) => {
      try {
        toWire(o)
        return o
      } catch (e) {
        return failed(
          new SerializationError({
            taskName,
            stage: "encode-result",
            message: `the result cannot cross to the caller as node:v8 bytes: ${e instanceof Error ? e.message : e}`,
          }),
        )
      }
    }))
  }
}

/** Runs one `Run` request on the local pool; always succeeds with the encoded outcomes. */
export const runChunk = (
  pool: Pool,
  request: {
    readonly moduleUrl: string
    readonly taskName: string
    readonly payloads: string
    readonly priority?: number | undefined
    readonly key?: string | undefined
    readonly moduleHash?: string | undefined
    readonly resendable?: boolean | undefined
  },
  /** This runner's address, `host:port` (for `ModuleMismatch`). */
  self = "",
): Effect.Effect<string> =>
  Effect.gen(function* () {
    const { moduleUrl, taskName } = request
    let payloads: Array<unknown>
    try {
      payloads = fromWire(request.payloads) as Array<unknown>
    } catch (e) {
      const error = new SerializationError({
        taskName,
        stage: "decode-payload",
        message: `the payloads could not be read on the runner: ${e instanceof Error ? e.message : e}`,
      })
      return toWire([failed(error)])
    }
    const loaded = yield* Effect.result(loadTask(moduleUrl, taskName))
    if (loaded._tag === "Failure") return toWire(payloads.map(() => failed(loaded.failure)))
    const task = loaded.success
    const runnerHash = hashes.get(moduleUrl)
    if (request.moduleHash !== undefined && runnerHash !== undefined && runnerHash !== request.moduleHash) {
      return toWire({ mismatch: { runnerHash, runner: self } } satisfies Mismatch)
    }
    // Payloads arrive encoded by the task's payload schema; one that does not decode fails alone.
    const exits: Array<Exit.Exit<unknown, unknown>> = new Array(payloads.length)
    const runnable: Array<number> = []
    const values: Array<unknown> = []
    payloads.forEach((p, i) => {
      const decoded = task.codec.payload.decode(p)
      if (decoded.ok) {
        runnable.push(i)
        values.push(decoded.value)
      } else {
        exits[i] = Exit.fail(new SerializationError({ taskName, stage: "decode-payload", message: decoded.message }))
      }
    })
    if (values.length > 0) {
      const { priority, key } = request
      // One payload (an `apply`) takes the pool's lighter `apply` path; a key needs it (map has no affinity).
      const ran = yield* (key === undefined && values.length > 1
        ? pool.mapExit(task, values, priority === undefined ? undefined : { priority })
        : Effect.forEach(
          values,
          (value) =>
            Effect.exit(
              pool.apply(
                task,
                value,
                key === undefined && priority === undefined ? undefined : { key, priority },
              ),
            ),
          { concurrency: "unbounded" },
        )).pipe(
          Effect.catch((e) => Effect.succeed(values.map(() => Exit.fail(e)))),
        )
      runnable.forEach((at, j) =>
        exits[at] = ran[j]
      )
    }
    return encodeOutcomes(taskName, exits.map(outcomeOf(task)), request.resendable === true)
  }).pipe(
    // Never a defect: a defect here would be retried by the cluster. An interruption (the runner stops)
    // stays one, so the message is delivered again to the runner that takes the shard over.
    Effect.catchCause((cause) =>
      Cause.hasInterruptsOnly(cause) ? Effect.failCause(cause) : Effect.sync(() =>
        toWire([failed(
          new RemoteException({
            taskName: request.taskName,
            remoteName: "RunnerDefect",
            remoteMessage: Cause.pretty(cause),
            remoteStack: "",
          }),
        )])
      )
    ),
  )
