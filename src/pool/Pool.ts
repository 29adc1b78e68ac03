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
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Cause from "effect/Cause"
import * as Fiber from "effect/Fiber"
import * as Queue from "effect/Queue"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import {
  InvalidArgument,
  type MissingMainGuard,
  type PoolClosed,
  poolClosed,
  type PoolError,
  type WorkerCrashed,
} from "../errors.ts"
import { QueueFull } from "../ipc/errors.ts"
import { checkBootstrap } from "../internal/bootstrap.ts"
import { cpuCount } from "../runtime_info.ts"
import type * as Task from "../task/Task.ts"
import { validate as validateTask } from "../task/internal/validate.ts"
import type { HostFactory, WorkerPermissions } from "../worker/parent/host.ts"
import { ownHosts, resolveHost } from "../worker/parent/isolation.ts"
import { preparePayload } from "../worker/parent/outcome.ts"
import type { Transfer } from "../task/transfer.ts"
import { PoolCore } from "./internal/core.ts"
import { DEFAULT_LOAD_TIMEOUT_MS, makeJob, type Stats } from "./internal/model.ts"
import { observed, observedStream, observerHere } from "./internal/observe.ts"
import { callTuning } from "./internal/call.ts"
import { imapPull } from "./internal/imap.ts"
import {
  checkKeys,
  durationMs,
  intIn,
  invalid,
  iterable,
  optionalBoolean,
  optionalString,
  optionKeys,
  positiveInt,
} from "../internal/arguments.ts"
import { throughStream } from "./internal/through.ts"
export { PoolError } from "./internal/pool_error.ts"
import { startMap } from "./internal/map.ts"
import { makeApply } from "./internal/apply.ts"
import { makeProgress } from "./internal/progress.ts"
import { makeInline } from "./internal/inline.ts"

type AnyTask = Task.Task<unknown, unknown, unknown>

/**
 * Options of `Pool.make`.
 *
 * @example
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * declare const setup: mp.Task.Task<{ verbose: boolean }, void> // a Task exported by your tasks module
 *
 * const options: mp.Pool.PoolOptions = {
 *   size: 4,
 *   initializer: setup, // run once in each new worker
 *   initializerPayload: { verbose: false },
 *   maxTasksPerWorker: 1000,
 *   taskTimeout: "30 seconds",
 * }
 * ```
 */
export interface PoolOptions {
  /**
   * Number of workers (default: `cpuCount()`). The first `cpuCount()` start at
   * once; a pool larger than that starts the others only when work is waiting
   * that the live workers cannot take (one more worker per waiting task, up
   * to `size`), so `size: 64` on a small machine costs little until it is used.
   */
  readonly size?: number | undefined
  /**
   * A Task run once in each new worker before it takes work. If it fails,
   * the pool fails every task with `WorkerCrashed` naming the cause, rather
   * than restarting workers forever.
   */
  // deno-lint-ignore no-explicit-any
  readonly initializer?: Task.Task<any, unknown, unknown> | undefined
  /** The payload of the initializer. */
  readonly initializerPayload?: unknown
  /** Recycle a worker after it ran this many tasks (Python's `maxtasksperchild`). */
  readonly maxTasksPerWorker?: number | undefined
  /**
   * Fail a task with `TaskTimeout` when it runs longer; its worker is told to
   * stop it and is terminated and replaced if it does not within `interruptGrace`.
   * With a timeout, each task is sent on its own (no chunking, one at a time per worker).
   * The clock starts once the worker has loaded the task's module (see `loadTimeout`).
   * `Duration.infinity` (or `Infinity`) means no timeout; any finite length works, even
   * beyond `setTimeout`'s 24.8-day limit.
   *
   * A Worker thread stuck in synchronous code (`while (true) {}`) cannot be stopped: its
   * worker is replaced, and if the thread still runs the task a second after it was
   * terminated, one warning on stderr names the task and says that the process will not
   * exit on its own. `isolation: "process"` (a hard kill) or `mp.checkpoint()` in the loop
   * avoids it; `mp.runMain` exits anyway.
   */
  readonly taskTimeout?: Duration.Input | undefined
  /**
   * How long a worker may take to load a task's module (its import, top-level
   * `await` included) the first time it runs a task of that module; the
   * initializer's module too. Default 30 seconds. A task whose module takes
   * longer fails with `TaskTimeout` whose `phase` is `"load"` (and whose message
   * says loading took too long); an initializer's breaks the pool with
   * `WorkerCrashed`. The `taskTimeout` clock starts only once the module is
   * loaded. `Duration.infinity` (or `Infinity`) means no limit.
   *
   * @example
   * ```ts
   * import * as mp from "@mp/multiprocessing"
   *
   * const options: mp.Pool.PoolOptions = { taskTimeout: "2 seconds", loadTimeout: "5 seconds" }
   * ```
   */
  readonly loadTimeout?: Duration.Input | undefined
  /**
   * Terminate workers idle for this long; they are started again when work arrives.
   * `Duration.infinity` (or `Infinity`) means never, as if unset.
   */
  readonly idleTimeout?: Duration.Input | undefined
  /**
   * How long an interrupted task may take to stop before its worker is terminated (default 500 ms).
   * `Duration.infinity` (or `Infinity`) means never: a task that ignores its interrupt keeps its
   * worker until it ends or the pool is terminated.
   */
  readonly interruptGrace?: Duration.Input | undefined
  /**
   * Deno permissions of the workers: `"inherit"` (default, the parent's), `"none"`, or a
   * descriptor such as `{ read: ["./data"], net: false }`. Anything but `"inherit"` needs
   * Deno's `--unstable-worker-options` flag.
   *
   * With `isolation: "process"` each child gets exactly these as `--allow-*` flags
   * (no unstable flag needed). `"inherit"` then passes the kinds the parent holds in
   * full (`--allow-read`, not `--allow-read=./data`); loading a task's module needs
   * read access to it.
   * A child granted no imports can import nothing remote (not even from Deno's
   * default list of module hosts) and download no `npm:` package. An entry Deno
   * would refuse or split (empty, a comma in `--allow-read=/x,/etc`) is `InvalidArgument`.
   */
  readonly permissions?: WorkerPermissions | undefined
  /**
   * What runs each worker: `"worker"` (default), a Deno Worker thread, or
   * `"process"`, a child `deno` process. Same methods, same errors. A process
   * costs more to start and per task (measured in `src/worker/ISOLATION.md`) but
   * gives hard guarantees: a `taskTimeout`, an interruption or `terminate` stops
   * even a task stuck in `while (true) {}` (SIGKILL after `interruptGrace`), a memory
   * cap (`maxMemoryMb`) holds, and a crash or out-of-memory death fails only that
   * worker's tasks with `WorkerCrashed` while the pool replaces it. Shared-memory
   * objects (`Value`, `Lock`, `Queue`...) need `"worker"`; `checkpoint()` only sees an
   * interrupt when the task lets the event loop run. Needs `--allow-run` for the deno
   * executable.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import * as mp from "@mp/multiprocessing"
   *
   * declare const parse: mp.Task.Task<string, unknown> // a Task exported by your tasks module
   *
   * const program = Effect.scoped(Effect.gen(function* () {
   *   const pool = yield* mp.Pool.make({ size: 4, isolation: "process", maxMemoryMb: 256, taskTimeout: "10 seconds" })
   *   return yield* pool.mapExit(parse, ["a.json", "b.json"]) // a stuck or huge parse fails alone
   * }))
   * ```
   */
  readonly isolation?: "worker" | "process" | undefined
  /**
   * With `isolation: "process"`: each child's V8 heap limit in MiB
   * (`--max-old-space-size`). A task that needs more kills only its worker: its
   * tasks fail with `WorkerCrashed` whose reason says it ran out of memory, and the
   * pool goes on. At least 32 (a child deno needs about 17 to start).
   * Rejected with `InvalidArgument` for `"worker"`, where no
   * per-thread cap exists.
   *
   * @example
   * ```ts
   * import * as mp from "@mp/multiprocessing"
   *
   * const options: mp.Pool.PoolOptions = { size: 2, isolation: "process", maxMemoryMb: 128 }
   * ```
   */
  readonly maxMemoryMb?: number | undefined
  /** A name used in worker names (`<name>-Worker-<id>`). */
  readonly name?: string | undefined
  /** @internal How workers are hosted. */
  readonly host?: HostFactory | undefined
  /**
   * An elastic pool's floor: workers started with the pool and kept when idle ones
   * shrink away (`idleTimeout`). Default 0 when only `maxSize` is given. Cannot be
   * given with `size` (`size` is the fixed-size shorthand: `minSize = maxSize = size`);
   * at most `maxSize`. `pool.ready` waits for these workers.
   *
   * @example
   * ```ts
   * import * as mp from "@mp/multiprocessing"
   *
   * // 2 workers always, up to 8 under load; the extra ones end after 30 idle seconds
   * const options: mp.Pool.PoolOptions = { minSize: 2, maxSize: 8, idleTimeout: "30 seconds" }
   * ```
   */
  readonly minSize?: number | undefined
  /**
   * An elastic pool's ceiling: the pool starts workers while work waits, up to
   * this many (default `max(minSize, cpuCount())`). Cannot be given with `size`.
   *
   * @example
   * ```ts
   * import * as mp from "@mp/multiprocessing"
   *
   * const options: mp.Pool.PoolOptions = { minSize: 1, maxSize: 16 }
   * ```
   */
  readonly maxSize?: number | undefined
  /**
   * The most payloads waiting in the queue (default: no bound). When the queue is
   * full, `apply`, `submit` and `map` wait for room (`onFull: "wait"`, the default:
   * backpressure; a map larger than `maxQueue` enters as room frees) or fail at once
   * with `QueueFull` (`onFull: "fail"`). An interrupted caller leaves nothing queued.
   * `imap` always waits for room (it pulls its input only as fast as the pool works).
   *
   * @example
   * ```ts
   * import * as mp from "@mp/multiprocessing"
   *
   * const options: mp.Pool.PoolOptions = { size: 4, maxQueue: 1000, onFull: "fail" }
   * ```
   */
  readonly maxQueue?: number | undefined
  /**
   * What `apply`, `submit` and `map` do when the queue holds `maxQueue` payloads:
   * `"wait"` (default) for room, or `"fail"` at once with `QueueFull` (a map that
   * does not fit whole fails, with nothing queued; `submit`'s fiber fails). Needs `maxQueue`.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import * as mp from "@mp/multiprocessing"
   *
   * declare const work: mp.Task.Task<number, number> // a Task exported by your tasks module
   *
   * const program = Effect.scoped(Effect.gen(function* () {
   *   const pool = yield* mp.Pool.make({ size: 2, maxQueue: 100, onFull: "fail" })
   *   return yield* pool.apply(work, 1).pipe(
   *     Effect.catchTag("QueueFull", () => Effect.succeed(-1)), // shed load
   *   )
   * }))
   * ```
   */
  readonly onFull?: "wait" | "fail" | undefined
  /**
   * How long `close` waits for the tasks queued and running; then the pool is
   * terminated (what is left fails with `PoolClosed`), as piscina's `close`
   * does. Default: no limit (`Duration.infinity`).
   *
   * @example
   * ```ts
   * import * as mp from "@mp/multiprocessing"
   *
   * const options: mp.Pool.PoolOptions = { size: 2, closeTimeout: "5 seconds" }
   * ```
   */
  readonly closeTimeout?: Duration.Input | undefined
}

/**
 * Every key `Pool.make` accepts: any other key is refused with
 * `InvalidArgument` (a typo such as `maxQeue` fails at once).
 *
 * @example
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * console.log(mp.Pool.poolOptionKeys.includes("size")) // true
 * ```
 */
// Every key of PoolOptions is listed: adding one to the interface without listing it is a compile error.
export const poolOptionKeys: ReadonlyArray<string> = optionKeys<PoolOptions>()([
  "size",
  "initializer",
  "initializerPayload",
  "maxTasksPerWorker",
  "taskTimeout",
  "loadTimeout",
  "idleTimeout",
  "interruptGrace",
  "permissions",
  "isolation",
  "maxMemoryMb",
  "name",
  "host",
  "closeTimeout",
  "minSize",
  "maxSize",
  "maxQueue",
  "onFull",
])

/**
 * Options of `map`, `mapExit`, `starmap`, `imap` and `imapUnordered`.
 *
 * @example
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * const options: mp.Pool.MapOptions = { chunkSize: 100 }
 * ```
 */
export interface MapOptions {
  /**
   * How many payloads travel to a worker in one message and run there one
   * after another. `map` picks `ceil(n / (4 × size))` by default (as Python
   * does); `imap` defaults to 1.
   */
  readonly chunkSize?: number | undefined
  /**
   * `map`, `mapExit` and `starmap` only: called with `(done, total)` as
   * payloads settle, and once with `(total, total)` before the call returns
   * (calls are coalesced when results arrive faster than it runs; never
   * concurrently). Not called after `map` fails.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import * as mp from "@mp/multiprocessing"
   *
   * const options: mp.Pool.MapOptions = { onProgress: (done, total) => Effect.log(`${done}/${total}`) }
   * ```
   */
  readonly onProgress?: ((done: number, total: number) => Effect.Effect<void>) | undefined
  /**
   * A run-time limit for each payload of this call, as the pool's `taskTimeout`
   * (which it replaces for this call; `Infinity`: none). A chunk of `n` payloads gets
   * `n` times it. The failure is `TaskTimeout` whose `limit` is `"timeout"`.
   *
   * @example
   * ```ts
   * import * as mp from "@mp/multiprocessing"
   *
   * const options: mp.Pool.MapOptions = { timeout: "2 seconds", priority: 10 }
   * ```
   */
  readonly timeout?: Duration.Input | undefined
  /**
   * This call's jobs go before queued jobs of a lower priority (default 0; any finite
   * number; first come, first served within a priority). Jobs already sent to a worker
   * are not overtaken. With `maxQueue`, callers waiting for room keep their order.
   */
  readonly priority?: number | undefined
}

/**
 * Per-call options of `apply` and `submit`: `timeout` and `priority` as in
 * `MapOptions`, and an affinity `key`: calls with the same key run on the same
 * worker while it lives (for a per-worker cache, a connection, a model loaded
 * once); when it dies or retires, the key moves to another worker.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * declare const score: mp.Task.Task<string, number> // a Task exported by your tasks module
 * declare const warm: mp.Task.Task<void, void>
 *
 * const program = (pool: mp.Pool.Pool) =>
 *   Effect.gen(function* () {
 *     yield* pool.apply(score, "user-1", { timeout: "1 second", priority: 5, key: "tenant-a" })
 *     yield* pool.apply(warm, undefined, { key: "tenant-a" }) // no payload, with options
 *   })
 * ```
 */
export interface CallOptions {
  /** As `MapOptions.timeout`, for this one call. */
  readonly timeout?: Duration.Input | undefined
  /** As `MapOptions.priority`, for this one call. */
  readonly priority?: number | undefined
  /** Calls with the same key run on the same live worker. */
  readonly key?: string | undefined
}

/**
 * Every key the options of `map`, `mapExit`, `starmap`, `imap`... accept; any
 * other key (`key` too: affinity is for `apply` and `submit`) is refused with
 * `InvalidArgument`.
 *
 * @example
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * console.log(mp.Pool.mapOptionKeys.includes("chunkSize")) // true
 * ```
 */
// Every key of MapOptions is listed: adding one to the interface without listing it is a compile error.
export const mapOptionKeys: ReadonlyArray<string> = optionKeys<MapOptions>()([
  "chunkSize",
  "onProgress",
  "timeout",
  "priority",
])

/**
 * A snapshot of the pool's counters.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const report = (pool: mp.Pool.Pool) =>
 *   Effect.map(pool.stats, (s: mp.Pool.PoolStats) => `${s.completed} done, ${s.queued} queued`)
 * ```
 */
export type PoolStats = Stats

/**
 * The payload argument of `apply` and `submit`, then their `CallOptions`: the
 * payload is optional when the task takes none (when `undefined` is a valid
 * payload), as for `Process.spawn`; such a task still takes options with
 * `apply(task, undefined, options)`.
 *
 * @example
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * const one: mp.Pool.ApplyArgs<number> = [42]
 * const none: mp.Pool.ApplyArgs<void> = []
 * const withOptions: mp.Pool.ApplyArgs<void> = [undefined, { priority: 1 }]
 * ```
 */
export type ApplyArgs<P> = undefined extends P ? [payload?: NoInfer<P> | Transfer<NoInfer<P>>, options?: CallOptions]
  : [payload: NoInfer<P> | Transfer<NoInfer<P>>, options?: CallOptions]

/**
 * A running pool. Every method accepts any Task.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * declare const double: mp.Task.Task<number, number> // a Task exported by your tasks module
 *
 * const program = Effect.scoped(Effect.gen(function* () {
 *   const pool: mp.Pool.Pool = yield* mp.Pool.make({ size: 2 })
 *   console.log(yield* pool.map(double, [1, 2, 3, 4, 5])) // [2, 4, 6, 8, 10]
 * }))
 * ```
 */
export interface Pool {
  /**
   * The most workers the pool runs at once (its `size` or `maxSize` option; `resize` changes it). Up to `cpuCount()` of
   * them start with the pool; the others start when work waits for them.
   */
  readonly size: number
  /**
   * Runs one task: its value or its typed error (Python's `apply`). The payload
   * may be left out when the task takes none (`pool.apply(task)`).
   */
  readonly apply: <P, A, E>(
    task: Task.Task<P, A, E>,
    ...payload: ApplyArgs<P>
  ) => Effect.Effect<A, E | PoolError | InvalidArgument>
  /**
   * Starts one task and returns a Fiber at once (Python's `apply_async`):
   * `Fiber.join` is `get`, `fiber.pollUnsafe()` is `ready`, `Fiber.interrupt`
   * stops the remote task. The fiber belongs to the pool: it ends with it.
   * The payload may be left out when the task takes none (`pool.submit(task)`).
   */
  readonly submit: <P, A, E>(
    task: Task.Task<P, A, E>,
    ...payload: ApplyArgs<P>
  ) => Effect.Effect<Fiber.Fiber<A, E | PoolError | InvalidArgument>>
  /**
   * Runs the task on every payload; results in input order. The first failure
   * fails the whole map and interrupts the tasks still queued or running.
   */
  readonly map: <P, A, E>(
    task: Task.Task<P, A, E>,
    payloads: Iterable<NoInfer<P> | Transfer<NoInfer<P>>>,
    options?: MapOptions,
  ) => Effect.Effect<Array<A>, E | PoolError | InvalidArgument>
  /** Like `map`, but never fails as a whole: one `Exit` per payload, in order; every task runs. */
  readonly mapExit: <P, A, E>(
    task: Task.Task<P, A, E>,
    payloads: Iterable<NoInfer<P> | Transfer<NoInfer<P>>>,
    options?: MapOptions,
  ) => Effect.Effect<Array<Exit.Exit<A, E | PoolError>>, InvalidArgument>
  /** `map` for tasks whose payload is a tuple (Python's `starmap`). */
  readonly starmap: <P extends ReadonlyArray<unknown>, A, E>(
    task: Task.Task<P, A, E>,
    tuples: Iterable<NoInfer<P>>,
    options?: MapOptions,
  ) => Effect.Effect<Array<A>, E | PoolError | InvalidArgument>
  /**
   * A Stream of results in input order; pulls input only as fast as the pool
   * works, so a huge or endless input runs in bounded memory. When an item
   * fails (or the input stream fails after some items), every result before
   * it is still emitted, as Python's `imap` yields them, then the stream fails
   * with that error; the items after it are cancelled.
   */
  readonly imap: <P, A, E, E2 = never, R2 = never>(
    task: Task.Task<P, A, E>,
    input: Iterable<NoInfer<P>> | Stream.Stream<NoInfer<P>, E2, R2>,
    options?: MapOptions,
  ) => Stream.Stream<A, E | E2 | PoolError | InvalidArgument, R2>
  /**
   * Like `imap`, in completion order. On a failure it emits what had finished
   * before it, then fails; the tasks still running are interrupted.
   */
  readonly imapUnordered: <P, A, E, E2 = never, R2 = never>(
    task: Task.Task<P, A, E>,
    input: Iterable<NoInfer<P>> | Stream.Stream<NoInfer<P>, E2, R2>,
    options?: MapOptions,
  ) => Stream.Stream<A, E | E2 | PoolError | InvalidArgument, R2>
  /** Counters: workers alive and busy, tasks queued, running, completed, failed, workers replaced. */
  readonly stats: Effect.Effect<PoolStats>
  /**
   * Like `imap`, but a task's failure does not end the stream: one `Exit` per
   * payload, in input order (the streaming `mapExit`). The stream fails only
   * when its input fails (after the items before it) or the pool closes
   * (`PoolClosed`).
   *
   * @example
   * ```ts
   * import { Effect, Exit, Stream } from "effect"
   * import * as mp from "@mp/multiprocessing"
   *
   * declare const parse: mp.Task.Task<string, number, Error> // a Task exported by your tasks module
   *
   * const program = (pool: mp.Pool.Pool) =>
   *   pool.imapExit(parse, ["1", "x", "3"]).pipe(
   *     Stream.runForEach((exit) => Exit.isSuccess(exit) ? Effect.log(exit.value) : Effect.logWarning(exit.cause)),
   *   )
   * ```
   */
  readonly imapExit: <P, A, E, E2 = never, R2 = never>(
    task: Task.Task<P, A, E>,
    input: Iterable<NoInfer<P>> | Stream.Stream<NoInfer<P>, E2, R2>,
    options?: MapOptions,
  ) => Stream.Stream<Exit.Exit<A, E | PoolError>, E2 | PoolClosed | InvalidArgument, R2>
  /**
   * `imapExit` in completion order: each `Exit` comes paired with the payload
   * it belongs to, `[payload, exit]`, since the order no longer tells.
   *
   * @example
   * ```ts
   * import { Effect, Exit, Stream } from "effect"
   * import * as mp from "@mp/multiprocessing"
   *
   * declare const load: mp.Task.Task<string, number, Error> // a Task exported by your tasks module
   *
   * const bad = (pool: mp.Pool.Pool) =>
   *   pool.imapUnorderedExit(load, ["a.csv", "b.csv"]).pipe(
   *     Stream.filter(([_file, exit]) => Exit.isFailure(exit)),
   *     Stream.map(([file]) => file),
   *     Stream.runCollect,
   *   )
   * ```
   */
  readonly imapUnorderedExit: <P, A, E, E2 = never, R2 = never>(
    task: Task.Task<P, A, E>,
    input: Iterable<NoInfer<P>> | Stream.Stream<NoInfer<P>, E2, R2>,
    options?: MapOptions,
  ) => Stream.Stream<
    readonly [payload: P, exit: Exit.Exit<A, E | PoolError>],
    E2 | PoolClosed | InvalidArgument,
    R2
  >
  /**
   * Stops taking work and waits until everything queued has run; then the workers end
   * (Python's `close()` then `join()`). An initializer still running with no task
   * behind it is not waited for.
   */
  readonly close: Effect.Effect<void>
  /** Stops now: queued and running tasks fail with `PoolClosed`, workers are terminated. */
  readonly terminate: Effect.Effect<void>
  /**
   * `stats` over time: a snapshot at once, then one every `interval` (a
   * positive duration, else the stream fails with `InvalidArgument`).
   *
   * @example
   * ```ts
   * import { Effect, Stream } from "effect"
   * import * as mp from "@mp/multiprocessing"
   *
   * const watch = (pool: mp.Pool.Pool) =>
   *   pool.statsStream("1 second").pipe(Stream.take(3), Stream.runForEach((s) => Effect.log(s.running)))
   * ```
   */
  readonly statsStream: (interval: Duration.Input) => Stream.Stream<PoolStats, InvalidArgument>
  /**
   * Starts one task and returns at once its `events` (what the handler sends
   * with `context.emit`, decoded by the task's `events` schema, in order; the
   * stream ends when the task ends) and its `result` (its value or its typed
   * error). Every event comes before the result. Like `submit`, the task
   * belongs to the pool.
   *
   * @example
   * ```ts
   * import { Effect, Stream } from "effect"
   * import * as mp from "@mp/multiprocessing"
   *
   * declare const count: mp.Task.Task<number, number> & mp.Task.Emits<number> // emits 1..n
   *
   * const program = Effect.gen(function* () {
   *   const pool = yield* mp.Pool.make({ size: 2 })
   *   const { events, result } = yield* pool.applyWithEvents(count, 3)
   *   yield* Stream.runForEach(events, (i) => Effect.log(`progress ${i}`))
   *   return yield* result
   * })
   * ```
   */
  readonly applyWithEvents: <P, A, E, Ev>(
    task: Task.Task<P, A, E> & Task.Emits<Ev>,
    ...payload: ApplyArgs<P>
  ) => Effect.Effect<TaskWithEvents<A, E | PoolError | InvalidArgument, Ev>>
  /**
   * Waits until the workers the pool keeps started are ready (started, and their
   * initializer ran): `minSize` of an elastic pool, `min(size, cpuCount())` of a fixed
   * one (none with `idleTimeout` and no `minSize`). Fails with `WorkerCrashed` if the
   * pool broke (its initializer failed), with `PoolClosed` if it was terminated.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import * as mp from "@mp/multiprocessing"
   *
   * declare const warmUp: mp.Task.Task<void, void> // a Task exported by your tasks module
   *
   * const program = Effect.scoped(Effect.gen(function* () {
   *   const pool = yield* mp.Pool.make({ minSize: 4, maxSize: 8, initializer: warmUp })
   *   yield* pool.ready // 4 workers started, warmUp ran in each
   * }))
   * ```
   */
  readonly ready: Effect.Effect<void, WorkerCrashed | PoolClosed>
  /**
   * Changes the most workers to `n` at run time (`size` then reads `n`). Growing
   * starts workers as work waits (a fixed pool starts `min(n, cpuCount())` at once);
   * shrinking retires idle workers at once and busy ones as they finish what they
   * hold (they take nothing new): no task is interrupted. An elastic pool's `minSize`
   * follows `n` down. `n` must be a positive integer (`InvalidArgument`); a closed
   * pool fails with `PoolClosed`.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import * as mp from "@mp/multiprocessing"
   *
   * const program = Effect.scoped(Effect.gen(function* () {
   *   const pool = yield* mp.Pool.make({ size: 2 })
   *   yield* pool.resize(6) // night batch: more workers
   *   yield* pool.resize(1) // busy workers finish their tasks, then end
   * }))
   * ```
   */
  readonly resize: (n: number) => Effect.Effect<void, InvalidArgument | PoolClosed>
  /**
   * Runs the task once on every live worker (ready or starting; a worker still
   * starting runs it after its initializer) and returns one entry per worker, in
   * the pool's worker order: `{ workerId, exit }`, the worker's id and the task's
   * `Exit` there. Each worker runs it once it has finished what it holds. A worker
   * that dies (or retires: `resize`, `maxTasksPerWorker`) before or while it runs it
   * gives a `WorkerCrashed` exit (its
   * replacement does not run it: `initializer` covers new workers). No live worker:
   * an empty array. The payload is cloned to each worker (no `Transfer`); one that
   * does not fit the task's schema fails the call (`SerializationError`), one that
   * cannot be cloned gives each entry a `SerializationError` exit; a closed pool fails
   * with `PoolClosed`.
   *
   * @example
   * ```ts
   * import { Effect, Exit } from "effect"
   * import * as mp from "@mp/multiprocessing"
   *
   * declare const reloadConfig: mp.Task.Task<string, void> // a Task exported by your tasks module
   *
   * const program = (pool: mp.Pool.Pool) =>
   *   Effect.gen(function* () {
   *     const results = yield* pool.broadcast(reloadConfig, "./config.json")
   *     const failed = results.filter((r) => Exit.isFailure(r.exit)).map((r) => r.workerId)
   *   })
   * ```
   */
  readonly broadcast: <P, A, E>(
    task: Task.Task<P, A, E>,
    ...payload: BroadcastArgs<P>
  ) => Effect.Effect<Array<BroadcastResult<A, E | PoolError>>, InvalidArgument | PoolError>
}

/**
 * The payload argument of `broadcast`: optional when the task takes none.
 *
 * @example
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * const args: mp.Pool.BroadcastArgs<string> = ["./config.json"]
 * ```
 */
export type BroadcastArgs<P> = undefined extends P ? [payload?: NoInfer<P>] : [payload: NoInfer<P>]

/**
 * One worker's outcome of `broadcast`.
 *
 * @example
 * ```ts
 * import { Exit } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const ok = (r: mp.Pool.BroadcastResult<number, mp.PoolError>) => Exit.isSuccess(r.exit)
 * ```
 */
export interface BroadcastResult<A, E> {
  /** The worker's id (as in its name, `<pool>-Worker-<id>`). */
  readonly workerId: number
  /** The task's outcome on that worker. */
  readonly exit: Exit.Exit<A, E>
}

/**
 * A task started by `pool.applyWithEvents`: the events it emits, then its result.
 *
 * @example
 * ```ts
 * import type * as mp from "@mp/multiprocessing"
 *
 * type Counting = mp.Pool.TaskWithEvents<number, never, number>
 * ```
 */
export interface TaskWithEvents<A, E, Ev> {
  /** The task's events, in order; ends when the task ends (whatever its outcome). */
  readonly events: Stream.Stream<Ev>
  /** The task's value or its error. */
  readonly result: Effect.Effect<A, E>
}

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
 * interrupted and every worker is gone. Bad options fail at once with
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
  const core = yield* Effect.acquireRelease(
    Effect.sync(() =>
      new PoolCore({
        name: options.name ?? `Pool-${nextPoolId++}`,
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
      })
    ),
    // Child processes are reaped before the Scope counts as closed.
    (core) => Effect.andThen(Effect.sync(() => core.terminate()), hosts.settled),
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

const closedError = () => poolClosed("closed")

const makePool = (
  core: PoolCore,
  poolScope: Scope.Scope,
  fixed: boolean,
  failWhenFull: boolean,
  closeTimeoutMs?: number,
): Pool => {
  const checkOpen = <T>(task: T): Effect.Effect<T, InvalidArgument | PoolClosed> =>
    Effect.flatMap(validateTask(task), (t) => core.closing ? Effect.fail(closedError()) : Effect.succeed(t))

  /** With `onFull: "fail"`: `QueueFull` unless `n` more payloads fit now. */
  const checkRoom = (n: number): Effect.Effect<void, QueueFull> =>
    failWhenFull && !core.hasRoom(n)
      ? Effect.fail(new QueueFull({ capacity: core.options.maxQueue!, timeoutMs: 0 }))
      : Effect.void

  /** With `onFull: "wait"`: waits until the queue has room (interruptible, leaving nothing behind). */
  const waitRoom: Effect.Effect<void> = Effect.callback<void>((resume) => {
    const cancel = core.whenRoom(() => resume(Effect.void))
    return Effect.sync(cancel)
  })

  const applyAs = (callName: string, onEvent?: (event: unknown) => void) =>
    makeApply(core, failWhenFull, callName, onEvent) as <P, A, E>(
      task: Task.Task<P, A, E>,
      payload?: P | Transfer<P>,
      options?: CallOptions,
    ) => Effect.Effect<A, E | PoolError | InvalidArgument>

  const apply = applyAs("Pool.apply")
  const applyForSubmit = applyAs("Pool.submit")

  const submit = <P, A, E>(task: Task.Task<P, A, E>, payload?: P | Transfer<P>, options?: CallOptions) => {
    const fork = Effect.suspend(() =>
      // Forked into a closed Scope the fiber would be interrupted; let it fail with PoolClosed instead.
      poolScope.state._tag === "Closed"
        ? Effect.forkDetach(applyForSubmit(task, payload, options), { startImmediately: true })
        : Effect.forkIn(applyForSubmit(task, payload, options), poolScope, { startImmediately: true })
    )
    return failWhenFull || core.options.maxQueue === undefined ? fork : Effect.andThen(waitRoom, fork)
  }

  const applyWithEvents = <P, A, E, Ev>(
    task: Task.Task<P, A, E> & Task.Emits<Ev>,
    payload?: P | Transfer<P>,
    options?: CallOptions,
  ) =>
    Effect.gen(function* () {
      const queue = yield* Queue.unbounded<Ev, Cause.Done>()
      const call = applyAs("Pool.applyWithEvents", (event) => Queue.offerUnsafe(queue, event as Ev))(
        task,
        payload,
        options,
      )
        .pipe(Effect.ensuring(Queue.end(queue)))
      const fiber = yield* poolScope.state._tag === "Closed"
        ? Effect.forkDetach(call, { startImmediately: true })
        : Effect.forkIn(call, poolScope, { startImmediately: true })
      return { events: Stream.fromQueue(queue), result: Fiber.join(fiber) }
    })

  const broadcast = <P, A, E>(task: Task.Task<P, A, E>, payload?: P) =>
    Effect.flatMap(
      checkOpen(task as unknown as AnyTask),
      (t) =>
        Effect.callback<Array<BroadcastResult<A, E | PoolError>>, PoolError>((resume) => {
          const prepared = preparePayload(t, payload)
          if (!prepared.ok) return resume(Effect.fail(prepared.error))
          const results: Array<BroadcastResult<A, E | PoolError>> = []
          let remaining = 0
          const jobs = core.broadcast((workerId) => {
            const i = results.length
            results.push({ workerId, exit: Exit.void as unknown as Exit.Exit<A, E | PoolError> })
            remaining++
            const done = (exit: Exit.Exit<A, E | PoolError>) => {
              results[i] = { workerId, exit }
              if (--remaining === 0) resume(Effect.succeed(results))
            }
            return makeJob(t, [prepared.value], 0, {
              onSuccess: (_i, value) => done(Exit.succeed(value as A)),
              onFailure: (_i, exit) => done(exit as Exit.Exit<never, E | PoolError>),
              onError: (_i, _n, error) => done(Exit.fail(error)),
            })
          })
          if (jobs.length === 0) return resume(Effect.succeed(results))
          return Effect.sync(() => core.cancel(jobs))
        }),
    ) as Effect.Effect<Array<BroadcastResult<A, E | PoolError>>, InvalidArgument | PoolClosed>

  const run = <P, A, E>(
    task: Task.Task<P, A, E>,
    payloads: Iterable<P | Transfer<P>>,
    options: MapOptions | undefined,
    defaultChunk: (n: number) => number,
    failFast: boolean,
  ): Effect.Effect<Array<unknown>, E | PoolError | InvalidArgument> =>
    Effect.flatMap(
      Effect.all([
        checkOpen(task as unknown as AnyTask),
        positiveInt("chunkSize", options?.chunkSize),
        iterable("payloads", payloads),
        callTuning(options, "map"),
        checkKeys("options", options, mapOptionKeys),
        options?.onProgress === undefined || typeof options.onProgress === "function"
          ? Effect.void
          : Effect.fail(invalid("onProgress", "a function", options.onProgress)),
      ]),
      ([t, chunkSize, _, call]) =>
        observed(core.options.name, failFast ? "Pool.map" : "Pool.mapExit", t, (obs) => {
          const items: ReadonlyArray<unknown> = Array.isArray(payloads) ? payloads : Array.from(payloads)
          const progress = options?.onProgress === undefined
            ? undefined
            : makeProgress(options.onProgress, items.length)
          const running = Effect.andThen(
            checkRoom(items.length),
            Effect.callback<Array<unknown>, E | PoolError>((resume) =>
              startMap(
                core,
                t,
                items,
                chunkSize ?? defaultChunk(items.length),
                failFast,
                resume as (result: Effect.Effect<Array<unknown>, unknown>) => void,
                obs,
                call,
                progress?.settled,
              )
            ),
          )
          return progress === undefined ? running : progress.around(running)
        }),
    )

  const defaultMapChunk = (n: number) => Math.max(1, Math.ceil(n / (4 * core.size)))

  const map = <P, A, E>(task: Task.Task<P, A, E>, payloads: Iterable<P | Transfer<P>>, options?: MapOptions) =>
    run(task, payloads, options, defaultMapChunk, true) as Effect.Effect<Array<A>, E | PoolError | InvalidArgument>

  const mapExit = <P, A, E>(task: Task.Task<P, A, E>, payloads: Iterable<P | Transfer<P>>, options?: MapOptions) =>
    run(task, payloads, options, defaultMapChunk, false).pipe(
      Effect.catch((e) =>
        e instanceof InvalidArgument ? Effect.fail(e) : Effect.succeed(
          Array.from(payloads as Iterable<unknown>, () => Exit.fail(e)),
        )
      ),
    ) as Effect.Effect<Array<Exit.Exit<A, E | PoolError>>, InvalidArgument>

  const imapWith = (unordered: boolean, exits = false) =>
  <P, A, E, E2 = never, R2 = never>(
    task: Task.Task<P, A, E>,
    input: Iterable<P> | Stream.Stream<P, E2, R2>,
    options?: MapOptions,
  ): Stream.Stream<A, E | E2 | PoolError | InvalidArgument, R2> => {
    const isStream = Stream.isStream(input)
    return Stream.unwrap(Effect.map(
      Effect.all([
        checkOpen(task as unknown as AnyTask),
        positiveInt("chunkSize", options?.chunkSize),
        isStream ? Effect.void : iterable("input", input),
        callTuning(options, "map"),
        checkKeys("options", options, mapOptionKeys),
      ]),
      ([t, chunkSize, _, call]) => {
        const source: Stream.Stream<P, E2, R2> = isStream
          ? input as Stream.Stream<P, E2, R2>
          : Stream.fromIterable(input as Iterable<P>)
        const chunk = chunkSize ?? 1
        // Results are emitted in batches, so the stream's fibers suspend once per batch, not per item.
        const window = Math.max(16, core.size * 4) * chunk
        return observedStream(
          core.options.name,
          unordered ? "Pool.imapUnordered" : "Pool.imap",
          t,
          Stream.transformPull(
            source,
            (pull, scope) =>
              Effect.flatMap(
                observerHere(core.options.name, t),
                (obs) => imapPull(core, t, { chunk, window, unordered, obs, call, exits }, pull, scope),
              ),
          ),
        ) as Stream.Stream<A, E | E2 | PoolError, R2>
      },
    ))
  }

  return {
    get size() {
      return core.size
    },
    apply,
    submit,
    map,
    mapExit,
    starmap: map,
    imap: imapWith(false),
    imapUnordered: imapWith(true),
    imapExit: imapWith(false, true) as Pool["imapExit"],
    imapUnorderedExit: imapWith(true, true) as Pool["imapUnorderedExit"],
    stats: Effect.sync(() => core.stats()),
    statsStream: (interval) =>
      Stream.unwrap(Effect.map(
        durationMs("interval", interval, { positive: true }),
        (ms) => Stream.tick(ms ?? 1000).pipe(Stream.mapEffect(() => Effect.sync(() => core.stats()))),
      )),
    close: Effect.suspend(() => {
      core.closing = true
      const drained = Effect.callback<void>((resume) => core.onDrained(() => resume(Effect.void)))
      // With closeTimeout, what still runs then is terminated (it fails with PoolClosed).
      return closeTimeoutMs === undefined ? drained : Effect.ignore(Effect.timeout(drained, closeTimeoutMs))
    }).pipe(Effect.andThen(Effect.sync(() => core.terminate()))),
    terminate: Effect.sync(() => core.terminate()),
    applyWithEvents,
    ready: Effect.callback<void>((resume) => core.onReady(() => resume(Effect.void))).pipe(
      Effect.andThen(
        Effect.suspend((): Effect.Effect<void, WorkerCrashed | PoolClosed> =>
          core.broken !== undefined
            ? Effect.fail(core.broken)
            : core.closed
            ? Effect.fail(poolClosed("terminated"))
            : Effect.void
        ),
      ),
    ),
    broadcast,
    resize: (n: number) =>
      Effect.flatMap(
        positiveIntRequired("n", n),
        (n) => core.closing ? Effect.fail(closedError()) : Effect.sync(() => core.resize(n, fixed, cpuCount())),
      ),
  }
}

const positiveIntRequired = (argument: string, value: unknown): Effect.Effect<number, InvalidArgument> =>
  value === undefined
    ? Effect.fail(invalid(argument, "a positive integer", value))
    : positiveInt(argument, value) as Effect.Effect<number, InvalidArgument>

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
 * Options of `Pool.through`.
 *
 * @example
 * ```ts
 * import { Schedule } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const options: mp.Pool.ThroughOptions = { concurrency: 4, ordered: false, retry: Schedule.recurs(2) }
 * ```
 */
export interface ThroughOptions {
  /** The most tasks (or, with `chunkSize`, groups of payloads) in flight at once (default: the pool's `size`). */
  readonly concurrency?: number | undefined
  /** Emit in input order (default `true`) or as the tasks finish (`false`). */
  readonly ordered?: boolean | undefined
  /**
   * Send payloads in groups of this many (default 1). A group waits until it is
   * full or the input ends, so use it for fast, plentiful input.
   */
  readonly chunkSize?: number | undefined
  /**
   * Run a failed item again, as this `Schedule` says (e.g. `Schedule.recurs(2)`:
   * at most three attempts). An interrupted item is not retried. When the
   * schedule runs out, the item's last failure counts.
   */
  // deno-lint-ignore no-explicit-any
  readonly retry?: Schedule.Schedule<unknown, any> | undefined
  /**
   * `true`: emit one `Exit` per payload, and a failing item does not end the
   * stream. Default `false`: the first failure (in emitted order) ends the
   * stream after every result before it.
   */
  readonly exits?: boolean | undefined
}

/**
 * Every key `Pool.through` accepts; any other key is refused with `InvalidArgument`.
 *
 * @example
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * console.log(mp.Pool.throughOptionKeys.includes("retry")) // true
 * ```
 */
// Every key of ThroughOptions is listed: adding one to the interface without listing it is a compile error.
export const throughOptionKeys: ReadonlyArray<string> = optionKeys<ThroughOptions>()([
  "concurrency",
  "ordered",
  "chunkSize",
  "retry",
  "exits",
])

/**
 * A pipeable stream stage that runs each element through `task` on `pool`:
 * at most `concurrency` tasks in flight, in input order or not (`ordered`),
 * each failed item retried as `retry` says, failures ending the stream or
 * (with `exits: true`) emitted as `Exit`s. Interrupting the stream (or
 * failing it downstream) interrupts the tasks in flight, in their workers too.
 * Bad options fail the stream at once with `InvalidArgument`. `pool.imap` is
 * the Python-named form without the options.
 *
 * @example
 * ```ts
 * import { Effect, Schedule, Stream } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * declare const resize: mp.Task.Task<string, Uint8Array, Error> // a Task exported by your tasks module
 *
 * const program = (pool: mp.Pool.Pool, files: Stream.Stream<string>) =>
 *   files.pipe(
 *     mp.Pool.through(pool, resize, { concurrency: 4, ordered: false, retry: Schedule.recurs(2) }),
 *     Stream.runCount,
 *   )
 * ```
 */
export const through: {
  <P, A, E>(
    pool: Pool,
    task: Task.Task<P, A, E>,
    options: ThroughOptions & { readonly exits: true },
  ): <E2, R2>(
    self: Stream.Stream<P, E2, R2>,
  ) => Stream.Stream<Exit.Exit<A, E | PoolError | InvalidArgument>, E2 | InvalidArgument, R2>
  <P, A, E>(
    pool: Pool,
    task: Task.Task<P, A, E>,
    options?: ThroughOptions & { readonly exits?: false | undefined },
  ): <E2, R2>(self: Stream.Stream<P, E2, R2>) => Stream.Stream<A, E | E2 | PoolError | InvalidArgument, R2>
  <P, A, E>(
    pool: Pool,
    task: Task.Task<P, A, E>,
    options?: ThroughOptions,
  ): <E2, R2>(
    self: Stream.Stream<P, E2, R2>,
  ) => Stream.Stream<A | Exit.Exit<A, E | PoolError | InvalidArgument>, E | E2 | PoolError | InvalidArgument, R2>
} = (
  pool: Pool,
  // deno-lint-ignore no-explicit-any
  task: Task.Task<any, any, any>,
  options?: ThroughOptions,
  // deno-lint-ignore no-explicit-any
): <E2, R2>(self: Stream.Stream<any, E2, R2>) => Stream.Stream<any, any, R2> =>
// deno-lint-ignore no-explicit-any
<E2, R2>(self: Stream.Stream<unknown, E2, R2>): Stream.Stream<any, any, R2> =>
  Stream.unwrap(Effect.map(
    Effect.all([
      checkKeys("options", options, throughOptionKeys),
      validateTask(task),
      positiveInt("concurrency", options?.concurrency),
      positiveInt("chunkSize", options?.chunkSize),
      optionalBoolean("ordered", options?.ordered),
      optionalBoolean("exits", options?.exits),
      options?.retry === undefined || Schedule.isSchedule(options.retry)
        ? Effect.void
        : Effect.fail(invalid("retry", "a Schedule", options.retry)),
    ]),
    ([, t, concurrency, chunkSize, ordered, exits]) =>
      throughStream(pool, t as AnyTask, {
        concurrency: concurrency ?? pool.size,
        chunkSize: chunkSize ?? 1,
        ordered: ordered ?? true,
        exits: exits ?? false,
        retry: options?.retry,
      }, self),
  ))

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
