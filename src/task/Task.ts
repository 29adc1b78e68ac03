/**
 * A Task is the unit of code that crosses into a worker: a handler plus the
 * optional schemas of its payload, its success and its typed failure. It is
 * defined in a module that both the parent and the workers import, and found
 * again in a worker by that module's URL and the task's name, the analogue of
 * pickling a function by reference.
 *
 * ```ts
 * import { Effect, Schema } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * // In a module that the parent and every worker import, at the top level, exported:
 * export const double = mp.Task.make(import.meta.url, "double", { handler: (n: number) => n * 2 })
 *
 * export const half = mp.Task.make(import.meta.url, "half", {
 *   payload: Schema.Number, // optional: without schemas values cross by structured clone
 *   success: Schema.Number,
 *   handler: (n) => Effect.succeed(n / 2),
 * })
 * ```
 *
 * @module
 */
import type * as Effect from "effect/Effect"
import type * as Schema from "effect/Schema"
import { makeCodec, type TaskCodecs } from "./codec.ts"
import type { Transfer } from "./transfer.ts"
import { globalValue } from "../internal/global.ts"
import { invalidArgument } from "../internal/invalid_argument.ts"
import { isWorkerThread } from "../internal/worker_init.ts"
import { hasTaskBrand, TypeId } from "./brand.ts"

// Outside our workers, load the Schema-backed errors and codecs now, so `make` throws the real
// `InvalidArgument` whatever the import order. A worker loads them only when a task needs them
// (a task module that imports only this module costs the worker no `effect`).
if (!isWorkerThread()) await import("../errors.ts")

/**
 * What a handler receives besides its payload.
 *
 * @example
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * export const fetchPage = mp.Task.make(import.meta.url, "fetchPage", {
 *   handler: (url: string, ctx) => fetch(url, { signal: ctx.signal }).then((r) => r.text()),
 * })
 * ```
 */
export interface TaskContext<Ev = unknown> {
  /** Aborted when the caller interrupts the task (or it times out). */
  readonly signal: AbortSignal
  /** The task's name. */
  readonly taskName: string
  /**
   * Sends an event (progress, partial results) to the caller, encoded by the
   * task's `events` schema; it reaches the caller before the task's result,
   * in order. Never waits. Throws `InvalidArgument` when the event does not
   * fit the schema. Without a caller that listens (`pool.applyWithEvents`) the
   * events are dropped in the parent.
   */
  readonly emit: (event: Ev) => void
  /**
   * Registers a cleanup that runs in this worker when the pool ends it in an
   * orderly way: recycled (`maxTasksPerWorker`), idle (`idleTimeout`), retired
   * by `resize` or `minSize`, or at `close`, `terminate` or the end of the
   * pool's Scope. Typically called by the pool's `initializer`, to close what
   * it opened for its worker. Finalizers run last registered first, each
   * awaited (a Promise or an Effect), within the pool's `finalizerTimeout`;
   * one that fails is logged through the pool's `Logger` (as is what an
   * Effect finalizer logs) and the others still run. They do not run in a worker that dies (it crashed, called
   * `Deno.exit`, ran out of memory), nor in one terminated while it runs a
   * task (a `taskTimeout`, an interrupt that did not stop, the pool ending
   * under it), nor outside a pool's worker (`Process.spawn` ends its worker
   * with its task; `Pool.layerInline` runs them when the pool ends).
   *
   * @example
   * ```ts
   * import * as mp from "@mp/multiprocessing"
   *
   * declare const connect: (url: string) => Promise<{ close(): Promise<void> }>
   * let db: { close(): Promise<void> } | undefined // one connection per worker
   *
   * export const openDb = mp.Task.make(import.meta.url, "openDb", {
   *   handler: async (url: string, ctx) => {
   *     db = await connect(url)
   *     ctx.addFinalizer(() => db?.close()) // runs when this worker ends
   *   },
   * })
   * // mp.Pool.make({ initializer: openDb, initializerPayload: "postgres://…" })
   * ```
   */
  readonly addFinalizer: (finalizer: Effect.Effect<unknown, unknown> | (() => unknown)) => void
}

/** A schema whose decoding and encoding need no services. */
export type AnySchema<T> = Schema.Codec<T, unknown, never, never>

/**
 * How a Task is defined: its handler and, optionally, its schemas.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const options: mp.Task.TaskOptions<number, number> = {
 *   payload: Schema.Number,
 *   handler: (n) => n * 2,
 * }
 * ```
 */
export interface TaskOptions<P, R, Ev = never> {
  /** Schema of the payload: encoded in the parent, decoded in the worker. */
  readonly payload?: AnySchema<P> | undefined
  /**
   * Schema of the success value: encoded in the worker, decoded in the parent.
   * (Typed loosely so that the handler alone decides the task's types; a value
   * that does not fit is a `SerializationError` at run time.)
   */
  // deno-lint-ignore no-explicit-any
  readonly success?: AnySchema<any> | undefined
  /** Schema of the typed failure (usually a `Schema.TaggedError` class or a union of them). */
  // deno-lint-ignore no-explicit-any
  readonly failure?: AnySchema<any> | undefined
  /** Schema of the events the handler sends with `context.emit`: encoded in the worker, decoded in the parent. */
  readonly events?: AnySchema<Ev> | undefined
  /** The code that runs in the worker: returns an Effect, a Promise or a plain value. */
  readonly handler: (payload: P, context: TaskContext<Ev>) => R
}

/**
 * The success type of a handler's return: the `A` of an Effect, the value of
 * a Promise, or the plain value.
 */
export type SuccessOf<R> = R extends Effect.Effect<infer A, infer _E, infer _R> ? Unwrap<A>
  : R extends PromiseLike<infer A> ? Unwrap<A>
  : Unwrap<R>

/** A handler may wrap its result in `mp.transfer(value, buffers)`: the task's value is `value`. */
export type Unwrap<A> = A extends Transfer<infer B> ? B : A

/** The typed error of a handler's return: the `E` of an Effect, else `never`. */
export type ErrorOf<R> = R extends Effect.Effect<infer _A, infer E, infer _R> ? E : never

/**
 * A task with payload `P`, success `A` and typed failure `E`.
 *
 * @example
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * export const double: mp.Task.Task<number, number> = mp.Task.make(import.meta.url, "double", {
 *   handler: (n: number) => n * 2,
 * })
 * ```
 */
export interface Task<in out P, out A, out E = never> {
  /** The brand. */
  readonly [TypeId]: typeof TypeId
  /** The URL of the module that defines (and exports) the task. */
  readonly moduleUrl: string
  /** The task's name, unique within its module. */
  readonly name: string
  /** The code that runs in the worker. */
  readonly handler: (payload: P, context: TaskContext) => unknown
  /**
   * How payloads, results and failures cross the boundary (the library's own machinery).
   *
   * @internal
   */
  readonly codec: TaskCodecs
  /** Phantom types. */
  readonly "~types"?: { readonly A: A; readonly E: E }
}

/**
 * The events a task sends with `context.emit` (declared with the `events`
 * schema of `Task.make`): a phantom type, read by `pool.applyWithEvents`.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * export const count = mp.Task.make(import.meta.url, "count", {
 *   events: Schema.Number,
 *   handler: (n: number, ctx) => {
 *     for (let i = 1; i <= n; i++) ctx.emit(i)
 *     return n
 *   },
 * })
 * type Ev = mp.Task.EventsOf<typeof count> // number
 * ```
 */
export interface Emits<Ev> {
  /** Phantom type. */
  readonly "~events"?: Ev
}

/** The event type of a Task (`never` when it declares none). */
export type EventsOf<T> = T extends Emits<infer Ev> ? Ev : never

/** Any task, whatever its payload, success and failure types: what a registry or a pool holds. */
export type AnyTask = Task<unknown, unknown, unknown>

/** The payload type of a Task. */
export type Payload<T> = T extends Task<infer P, infer _A, infer _E> ? P : never
/** The success type of a Task. */
export type Success<T> = T extends Task<infer _P, infer A, infer _E> ? A : never
/** The typed failure of a Task. */
export type Failure<T> = T extends Task<infer _P, infer _A, infer E> ? E : never

const registry: Map<string, AnyTask> = globalValue("tasks", () => new Map<string, AnyTask>())

/**
 * Defines a task. Call it at the top level of a module that the workers can
 * import, with that module's `import.meta.url`, and export the result.
 * Defining two tasks with the same module and name throws `InvalidArgument`.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * export class ZeroInput extends Schema.TaggedError<ZeroInput>()("ZeroInput", { value: Schema.Number }) {}
 *
 * export const double = mp.Task.make(import.meta.url, "double", {
 *   payload: Schema.Number,
 *   success: Schema.Number,
 *   failure: ZeroInput,
 *   handler: (n) => n === 0 ? Effect.fail(new ZeroInput({ value: n })) : Effect.succeed(n * 2),
 * })
 * ```
 */
export const make = <P, R, Ev = never>(
  moduleUrl: string,
  name: string,
  options: TaskOptions<P, R, Ev>,
): Task<P, SuccessOf<R>, ErrorOf<R>> & Emits<Ev> => {
  if (typeof moduleUrl !== "string" || !URL.canParse(moduleUrl)) {
    throw invalidArgument(
      "moduleUrl",
      `Task.make needs the defining module's import.meta.url, got ${String(moduleUrl)}`,
    )
  }
  if (typeof name !== "string" || name.length === 0) {
    throw invalidArgument("name", "Task.make needs a non-empty name")
  }
  if (typeof options?.handler !== "function") {
    throw invalidArgument("handler", `Task "${name}" needs a handler function`)
  }
  const key = `${moduleUrl}#${name}`
  if (registry.has(key)) {
    throw invalidArgument("name", `A task named "${name}" is already defined in ${moduleUrl}`)
  }
  const task: Task<P, SuccessOf<R>, ErrorOf<R>> = {
    [TypeId]: TypeId,
    moduleUrl,
    name,
    handler: options.handler as (payload: P, context: TaskContext) => unknown,
    codec: {
      payload: makeCodec(options.payload),
      success: makeCodec(options.success),
      failure: makeCodec(options.failure),
      hasFailureSchema: options.failure !== undefined,
      events: makeCodec(options.events),
    },
  }
  registry.set(key, task as AnyTask)
  return task
}

/**
 * Whether a value is a Task.
 *
 * @example
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * mp.Task.isTask(42) // false
 * ```
 */
export const isTask = (u: unknown): u is AnyTask => hasTaskBrand(u)
