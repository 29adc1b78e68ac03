/**
 * A Pool of workers, like Python's `multiprocessing.Pool`, as a scoped Effect
 * resource: `map`, `mapExit`, `starmap`, `imap`, `imapUnordered`, `apply`,
 * `submit` (`apply_async`). Failures are typed: the task's own error, or a
 * `PoolError` (`RemoteException`, `WorkerCrashed`, `TaskTimeout`,
 * `SerializationError`, `PoolClosed`, `TaskNotFound`). A worker that dies
 * fails only the tasks it held and is replaced; nothing waits forever. A
 * worker gets tasks once it is ready (it started, and its initializer
 * succeeded); when two workers in a row die before they are ready (a child
 * that cannot start, a memory cap too small to load), the pool is broken:
 * every task fails with `WorkerCrashed` naming the cause, instead of workers
 * being restarted forever.
 *
 * ```ts
 * import { Effect, Stream } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * export const square = mp.Task.make(import.meta.url, "square", { handler: (n: number) => n * n })
 *
 * const program = Effect.scoped(Effect.gen(function* () {
 *   const pool = yield* mp.Pool.make({ size: 4 }) // terminated when the Scope closes
 *   console.log(yield* pool.map(square, [1, 2, 3])) // [1, 4, 9]
 *   console.log(yield* pool.apply(square, 7)) // 49
 *   yield* pool.imapUnordered(square, [4, 5, 6]).pipe(Stream.runForEach((n) => Effect.log(n)))
 * }))
 *
 * if (import.meta.main) mp.runMain(program)
 * ```
 *
 * @module
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import type * as Schema from "effect/Schema"
import { InvalidArgument, type MissingMainGuard, type PoolError as PoolErrorType } from "../errors.ts"
import { checkBootstrap } from "../internal/bootstrap.ts"
import { checkKeys, durationMs, intIn, invalid, optionalString, positiveInt } from "../internal/arguments.ts"
import { cpuCount } from "../runtime_info.ts"
import type { AnyTask } from "../task/Task.ts"
import { validate as validateTask } from "../task/internal/validate.ts"
import { ownHosts, resolveHost } from "../worker/parent/isolation.ts"
import { preparePayload } from "../worker/parent/outcome.ts"
import { PoolCore } from "./internal/core.ts"
import { makeInline } from "./internal/inline.ts"
import { reportThrough, terminateAndFinalize } from "./internal/finalize.ts"
import { makePool } from "./internal/make_pool.ts"
import { PoolError as poolErrorSchema } from "./internal/pool_error.ts"
import { DEFAULT_LOAD_TIMEOUT_MS } from "./internal/model.ts"
import type { Pool } from "./interface.ts"
import { poolOptionKeys, type PoolOptions } from "./options.ts"
// `export *`, not a list of names: `deno doc` shows a namespace's re-exported names only when they come this way.
// The Pool module is spread over files by concern: options, per-call types, the interface, `through`.
export * from "./options.ts"
export * from "./calls.ts"
export * from "./interface.ts"
export * from "./through.ts"

// Declared here, not re-exported: `deno doc` would leave a namespace's named re-export out.
/**
 * `mp.PoolError` as a Schema value: decode or encode any of its members, e.g. to send
 * a task's outcome onwards or to store it. The type of the same name is the
 * union of the classes.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const isOne = Schema.is(mp.Pool.PoolError)
 * console.log(isOne(new mp.PoolClosed({ reason: "closed", message: "the pool is closed" }))) // true
 * ```
 */
export const PoolError: Schema.Codec<PoolErrorType, unknown> = poolErrorSchema

let nextPoolId = 1

/**
 * How `Pool.make` fails: bad options, or a worker importing a main module
 * that lacks `if (import.meta.main)` (it would start a pool in every worker).
 *
 * @example
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * const describe = (e: mp.Pool.MakeError): string => e._tag
 * ```
 */
export type MakeError = InvalidArgument | MissingMainGuard

/**
 * Starts a pool in the current Scope. When the Scope closes the pool is
 * terminated (as Python's `with Pool() as p:` does): tasks still running are
 * interrupted, idle workers run their finalizers (`context.addFinalizer`), and
 * every worker is gone. Bad options fail at once with
 * `InvalidArgument`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * declare const double: mp.Task.Task<number, number> // a Task exported by your tasks module
 *
 * const program = Effect.scoped(Effect.gen(function* () {
 *   const pool = yield* mp.Pool.make({ size: 4 })
 *   const xs = yield* pool.map(double, [1, 2, 3])
 *   const one = yield* pool.apply(double, 21)
 * }))
 * ```
 */
export const make: (options?: PoolOptions) => Effect.Effect<Pool, MakeError, Scope.Scope> = Effect.fn(
  "Pool.make",
)(function* (options: PoolOptions = {}) {
  yield* checkBootstrap("Pool.make") // a worker importing a main module without `if (import.meta.main)`
  yield* checkKeys("options", options, poolOptionKeys)
  const sizes = yield* resolveSizes(options)
  const size = sizes.max
  const maxTasksPerWorker = yield* positiveInt("maxTasksPerWorker", options.maxTasksPerWorker)
  // Infinity is "no limit": no task timeout, no idle shrinking, no hard stop after an interrupt.
  const taskTimeoutMs = finite(yield* durationMs("taskTimeout", options.taskTimeout, { positive: true }))
  const loadTimeoutMs = finite(
    (yield* durationMs("loadTimeout", options.loadTimeout, { positive: true })) ?? DEFAULT_LOAD_TIMEOUT_MS,
  )
  const idleTimeoutMs = finite(yield* durationMs("idleTimeout", options.idleTimeout))
  const graceMs = (yield* durationMs("interruptGrace", options.interruptGrace)) ?? 500
  const closeTimeoutMs = finite(yield* durationMs("closeTimeout", options.closeTimeout))
  const finalizerTimeoutMs = yield* durationMs("finalizerTimeout", options.finalizerTimeout)
  yield* optionalString("name", options.name)
  const maxQueue = yield* positiveInt("maxQueue", options.maxQueue)
  if (options.onFull !== undefined && options.onFull !== "wait" && options.onFull !== "fail") {
    return yield* invalid("onFull", `"wait" or "fail"`, options.onFull)
  }
  if (options.onFull !== undefined && maxQueue === undefined) {
    return yield* invalid("onFull", "left out without maxQueue", options.onFull, "the queue is unbounded")
  }
  let initializer: { task: AnyTask; payload: unknown } | undefined
  if (options.initializer !== undefined) {
    const task = (yield* validateTask(options.initializer, "initializer")) as AnyTask
    const encoded = preparePayload(task, options.initializerPayload)
    if (!encoded.ok) {
      return yield* new InvalidArgument({
        argument: "initializerPayload",
        message: `the initializer's payload does not fit its schema: ${encoded.error.message}`,
      })
    }
    initializer = { task, payload: encoded.value }
  }
  const hosts = ownHosts(yield* resolveHost(options))
  const scope = yield* Effect.scope
  const poolScope = yield* Scope.fork(scope)
  const name = options.name ?? `Pool-${nextPoolId++}`
  // Finalizers that fail or overrun, and what they log, go through the Logger of the pool's maker.
  const finalizerReport = reportThrough(yield* Effect.context<never>(), name)
  const core = yield* Effect.acquireRelease(
    Effect.sync(() =>
      new PoolCore({
        name,
        size,
        eager: sizes.eager,
        minSize: sizes.min,
        maxQueue,
        host: hosts.factory,
        permissions: options.permissions,
        initializer,
        maxTasksPerWorker,
        taskTimeoutMs,
        loadTimeoutMs,
        idleTimeoutMs,
        graceMs,
        finalizerTimeoutMs,
        finalizerReport,
      })
    ),
    // Idle workers run their finalizers, and child processes are reaped, before the Scope counts as closed.
    (core) => Effect.andThen(terminateAndFinalize(core), hosts.settled),
  )
  return makePool(core, poolScope, sizes.fixed, options.onFull === "fail", closeTimeoutMs)
})

/** `size`, or `minSize` and `maxSize`, checked: the most workers, those kept, and those started at once. */
const resolveSizes = Effect.fnUntraced(function* (options: PoolOptions) {
  const size = yield* positiveInt("size", options.size)
  const maxSize = yield* positiveInt("maxSize", options.maxSize)
  if (options.minSize !== undefined) {
    const bad = intIn("minSize", options.minSize, 0, Number.MAX_SAFE_INTEGER)
    if (bad !== undefined) return yield* bad
  }
  const minSize = options.minSize
  if (size !== undefined && (minSize !== undefined || maxSize !== undefined)) {
    const argument = minSize !== undefined ? "minSize" : "maxSize"
    return yield* invalid(
      argument,
      "left out when size is given",
      options[argument],
      "size is the fixed-size shorthand for minSize = maxSize = size",
    )
  }
  if (minSize === undefined && maxSize === undefined) {
    const max = size ?? cpuCount()
    return { max, eager: Math.min(max, cpuCount()), min: 0, fixed: true }
  }
  const max = maxSize ?? Math.max(minSize!, cpuCount())
  if (minSize !== undefined && minSize > max) {
    return yield* invalid("minSize", `at most maxSize (${max})`, minSize)
  }
  return { max, eager: minSize ?? 0, min: minSize ?? 0, fixed: false }
})

/** `undefined` for "no limit". */
const finite = (ms: number | undefined): number | undefined => ms === Infinity ? undefined : ms

const /** @internal */ ServiceBase: Context.ServiceClass<Service, "@mp/multiprocessing/Pool", Pool> = Context.Service<
  Service,
  Pool
>()(
  "@mp/multiprocessing/Pool",
)

/**
 * The Pool as a service, for dependency injection: provide it with
 * `Pool.layer(options)` and get it with `yield* Pool.Service`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * declare const double: mp.Task.Task<number, number> // a Task exported by your tasks module
 *
 * const program = Effect.gen(function* () {
 *   const pool = yield* mp.Pool.Service
 *   return yield* pool.map(double, [1, 2, 3])
 * })
 * Effect.runPromise(program.pipe(Effect.provide(mp.Pool.layer({ size: 2 }))))
 * ```
 */
export class Service extends ServiceBase {}

/**
 * A Layer that starts a pool and provides it as `Pool.Service`; the pool is
 * terminated when the Layer's scope closes.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const PoolLive = mp.Pool.layer({ size: 4 })
 * ```
 */
export const layer = (options?: PoolOptions): Layer.Layer<Service, MakeError> => Layer.effect(Service, make(options))

/**
 * Options of `Pool.layerInline`.
 *
 * @example
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * const options: mp.Pool.InlineOptions = { size: 2 }
 * ```
 */
export interface InlineOptions {
  /** How many tasks run at once (default 1). */
  readonly size?: number | undefined
}

/** Every key `Pool.layerInline` accepts. */
const inlineOptionKeys: ReadonlyArray<string> = ["size"] satisfies ReadonlyArray<keyof InlineOptions>

const makeInlinePool = (options?: InlineOptions): Effect.Effect<Pool, InvalidArgument, Scope.Scope> =>
  Effect.gen(function* () {
    yield* checkKeys("options", options, inlineOptionKeys)
    const size = (yield* positiveInt("size", options?.size)) ?? 1
    return yield* makeInline(size, yield* Effect.scope)
  })

/**
 * A Layer that provides `Pool.Service` with a pool whose tasks run in the
 * calling thread: the same interface and the same typed errors (a payload
 * that does not fit its schema is `SerializationError`, a thrown exception
 * `RemoteException`, a closed pool `PoolClosed`), so a test of code that uses
 * a pool need not start workers. Not isolated: no `taskTimeout`, no crashes,
 * and a synchronous handler blocks the caller.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * declare const double: mp.Task.Task<number, number> // a Task exported by your tasks module
 *
 * const program = Effect.gen(function* () {
 *   const pool = yield* mp.Pool.Service
 *   return yield* pool.map(double, [1, 2])
 * })
 * Effect.runPromise(program.pipe(Effect.provide(mp.Pool.layerInline())))
 * ```
 */
export const layerInline = (options?: InlineOptions): Layer.Layer<Service, InvalidArgument> =>
  Layer.effect(Service, makeInlinePool(options))

/**
 * The identifier of a named pool service made by `Pool.service(name)`.
 *
 * @example
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * type Resize = mp.Pool.Named<"Resize">
 * ```
 */
export interface Named<Name extends string> {
  /** The name given to `Pool.service` (a phantom field: only its type is used). */
  readonly poolName: Name
}

/**
 * A named pool service: its Context key and the Layers that provide it.
 *
 * @example
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * const Resize: mp.Pool.NamedService<"Resize"> = mp.Pool.service("Resize")
 * ```
 */
export interface NamedService<Name extends string> {
  /** The Context key: `yield* Resize.Service` gives the pool. */
  readonly Service: Context.Service<Named<Name>, Pool>
  /** Starts a pool with these options (its `name` defaults to the service's). */
  readonly layer: (options?: PoolOptions) => Layer.Layer<Named<Name>, MakeError>
  /** The in-thread pool of `Pool.layerInline`, under this name. */
  readonly layerInline: (options?: InlineOptions) => Layer.Layer<Named<Name>, InvalidArgument>
}

/**
 * A pool service under its own name, so that one program can use two pools
 * (say one for resizing images, one for parsing) and provide each on its own.
 *
 * @example
 * ```ts
 * import { Effect, Layer } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * declare const resize: mp.Task.Task<string, string> // Tasks exported by your tasks module
 * declare const parse: mp.Task.Task<string, number>
 *
 * const Resize = mp.Pool.service("Resize")
 * const Parse = mp.Pool.service("Parse")
 *
 * const program = Effect.gen(function* () {
 *   const images = yield* Resize.Service
 *   const parser = yield* Parse.Service
 *   return [yield* images.apply(resize, "a.png"), yield* parser.apply(parse, "42")]
 * })
 * const live = Layer.mergeAll(Resize.layer({ size: 4 }), Parse.layer({ size: 1 }))
 * Effect.runPromise(program.pipe(Effect.provide(live)))
 * ```
 */
export const service = <const Name extends string>(name: Name): NamedService<Name> => {
  const key = Context.Service<Named<Name>, Pool>(`@mp/multiprocessing/Pool/${name}`)
  return {
    Service: key,
    layer: (options) => Layer.effect(key, make({ ...options, name: options?.name ?? name })),
    layerInline: (options) => Layer.effect(key, makeInlinePool(options)),
  }
}
