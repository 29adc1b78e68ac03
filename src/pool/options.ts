/**
 * `PoolOptions`, the options of `Pool.make`, and the list of its keys.
 *
 * @module
 */
import type * as Duration from "effect/Duration"
import { optionKeys } from "../internal/arguments.ts"
import type * as Task from "../task/Task.ts"
import type { HostFactory, WorkerPermissions } from "../worker/parent/host.ts"

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
   * worker until it ends or the pool is terminated. A task interrupted while its module still
   * loads in a fresh worker gets the grace period once the load is over (`loadTimeout` bounds it).
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
  /**
   * How long a worker's finalizers (registered with `context.addFinalizer`,
   * usually by the `initializer`) may run when the pool ends the worker: it is
   * recycled, idles out, is retired by `resize`, or the pool closes. Past it the
   * worker is terminated and a warning is logged through the pool's `Logger`
   * (as is a finalizer that fails); `close` and the Scope go on. Default 5
   * seconds; `0` terminates workers without running their finalizers;
   * `Duration.infinity` waits for them however long they take. Workers that
   * registered no finalizer end at once, as before.
   *
   * @example
   * ```ts
   * import * as mp from "@mp/multiprocessing"
   *
   * declare const openDb: mp.Task.Task<string, void> // calls ctx.addFinalizer(() => db.close())
   *
   * const options: mp.Pool.PoolOptions = {
   *   initializer: openDb,
   *   initializerPayload: "postgres://localhost/app",
   *   finalizerTimeout: "2 seconds",
   * }
   * ```
   */
  readonly finalizerTimeout?: Duration.Input | undefined
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
  "finalizerTimeout",
])
