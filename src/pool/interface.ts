/**
 * The `Pool` interface: what a running pool does, whatever runs its tasks
 * (worker threads, child processes, or the calling thread for `layerInline`).
 *
 * @module
 */
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import type * as Stream from "effect/Stream"
import type { InvalidArgument, PoolClosed, PoolError, WorkerCrashed } from "../errors.ts"
import type * as Task from "../task/Task.ts"
import type { Transfer } from "../task/transfer.ts"
import type { ApplyArgs, BroadcastArgs, BroadcastResult, MapOptions, PoolStats, TaskWithEvents } from "./calls.ts"

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
   * behind it is not waited for. Workers that registered finalizers
   * (`context.addFinalizer`) run them before they end, within `finalizerTimeout`.
   */
  readonly close: Effect.Effect<void>
  /**
   * Stops now: queued and running tasks fail with `PoolClosed`, busy workers are
   * terminated; idle workers run their finalizers first (`context.addFinalizer`,
   * within `finalizerTimeout`), and `terminate` returns once every worker is gone.
   */
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
