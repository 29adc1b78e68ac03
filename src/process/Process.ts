/**
 * A Process runs one task in a worker of its own, like Python's
 * `multiprocessing.Process`. Its handle is fiber-like: join it, await its
 * `Exit`, terminate it. It lives in a Scope: closing the Scope (or
 * interrupting the fiber that owns it) terminates the worker.
 *
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * export const greet = mp.Task.make(import.meta.url, "greet", { handler: (name: string) => `Hello, ${name}` })
 *
 * const program = Effect.scoped(Effect.gen(function* () {
 *   const p = yield* mp.Process.spawn(greet, "Alice", { name: "greeter" }) // starts at once
 *   console.log(yield* p.join) // "Hello, Alice"
 * }))
 *
 * if (import.meta.main) mp.runMain(program)
 * ```
 *
 * @module
 */
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Scope from "effect/Scope"
import {
  type InvalidArgument,
  type MissingMainGuard,
  type PoolError,
  SerializationError,
  type WorkerCrashed,
} from "../errors.ts"
import { checkBootstrap } from "../internal/bootstrap.ts"
import { nextChildId } from "../internal/children.ts"
import { guardHost } from "../internal/guarded_host.ts"
import { notCloneable } from "../internal/messages.ts"
import type * as Task from "../task/Task.ts"
import { validate as validateTask } from "../task/internal/validate.ts"
import { WorkerClient } from "../worker/parent/client.ts"
import { observedStart } from "../pool/internal/observe.ts"
import type { HostFactory, WorkerPermissions } from "../worker/parent/host.ts"
import { ownHosts, resolveHost } from "../worker/parent/isolation.ts"
import { checkKeys, optionalString, optionKeys } from "../internal/arguments.ts"
import { decodeItems, preparePayload } from "../worker/parent/outcome.ts"
import type { Transfer } from "../task/transfer.ts"

/**
 * A running (or finished) process: one worker running one task.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * declare const greet: mp.Task.Task<string, string> // a Task exported by your tasks module
 *
 * const program = Effect.gen(function* () {
 *   const p: mp.Process.Process<string, never> = yield* mp.Process.spawn(greet, "Alice")
 *   console.log(yield* p.join)
 * })
 * ```
 */
export interface Process<A, E> {
  /** This process's id (unique in the parent). */
  readonly id: number
  /** The name given at spawn, or `Process-<id>`. */
  readonly name: string
  /** Waits for the task: its value, its typed failure, or a `PoolError`. Interrupted if the process was terminated. */
  readonly join: Effect.Effect<A, E | PoolError>
  /** Waits for the task and returns its `Exit`; never fails. */
  readonly await: Effect.Effect<Exit.Exit<A, E | PoolError>>
  /** Stops the worker now (a no-op when it has ended). `join` then ends interrupted, `exitCode` is `-15`. */
  readonly terminate: Effect.Effect<void>
  /**
   * Python's `kill()`: stops the worker at once, with no grace and no cleanup in
   * the worker (a no-op when it has ended). `join` then ends interrupted and
   * `exitCode` is `-9` (`-SIGKILL`). With `isolation: "process"` the child gets
   * SIGKILL, which stops even a busy loop; a Worker thread is terminated (a
   * thread stuck in a synchronous loop may keep running, see `isolation`).
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import * as mp from "@mp/multiprocessing"
   *
   * declare const forever: mp.Task.Task<void, never> // a Task that never returns
   *
   * const program = Effect.scoped(Effect.gen(function* () {
   *   const p = yield* mp.Process.spawn(forever, undefined, { isolation: "process" })
   *   yield* p.kill
   *   console.log(yield* p.exitCode) // -9
   * }))
   * ```
   */
  readonly kill: Effect.Effect<void>
  /** Whether the worker is still running. */
  readonly isAlive: Effect.Effect<boolean>
  /**
   * Python's `exitcode`: `undefined` while running, `0` on success, `1` when the
   * task failed, the worker's own code when it exited, `-15` when terminated,
   * `-9` when killed.
   */
  readonly exitCode: Effect.Effect<number | undefined>
}

/**
 * Options of `spawn`.
 *
 * @example
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * const options: mp.Process.SpawnOptions = { name: "reader", permissions: { read: true } }
 * ```
 */
export interface SpawnOptions {
  /** A name for the process (shown in `activeChildren()` and errors). */
  readonly name?: string | undefined
  /**
   * Deno permissions of the worker: `"inherit"` (default: the parent's), `"none"`, or a
   * descriptor such as `{ read: ["./data"] }`. Anything but `"inherit"` needs
   * `--unstable-worker-options`; a worker can never get more than its parent.
   *
   * With `isolation: "process"` the child gets exactly these as `--allow-*` flags
   * (no unstable flag needed). `"inherit"` then passes the kinds the parent holds in
   * full (`--allow-read`, not `--allow-read=./data`); loading the task's module needs
   * read access to it.
   * A child granted no imports can import nothing remote (not even from Deno's
   * default list of module hosts) and download no `npm:` package. An entry Deno
   * would refuse or split (empty, a comma in `--allow-read=/x,/etc`) is `InvalidArgument`.
   */
  readonly permissions?: WorkerPermissions | undefined
  /**
   * What runs the task: `"worker"` (default), a Deno Worker thread, or `"process"`,
   * a child `deno` process. A process costs more to start but can always be
   * stopped (`terminate` is a SIGKILL, even for a task stuck in `while (true) {}`),
   * can have a memory cap (`maxMemoryMb`), and its crash or out-of-memory death
   * is a `WorkerCrashed`, never the parent's death. Shared-memory objects (`Value`,
   * `Lock`, `Queue`...) need `"worker"`; `checkpoint()` only sees an interrupt
   * when the task lets the event loop run. Needs `--allow-run` for the deno executable.
   *
   * @example
   * ```ts
   * import { Effect } from "effect"
   * import * as mp from "@mp/multiprocessing"
   *
   * declare const untrusted: mp.Task.Task<string, string> // a Task exported by your tasks module
   *
   * const program = Effect.scoped(Effect.gen(function* () {
   *   const p = yield* mp.Process.spawn(untrusted, "input", { isolation: "process", maxMemoryMb: 256 })
   *   return yield* p.join
   * }))
   * ```
   */
  readonly isolation?: "worker" | "process" | undefined
  /**
   * With `isolation: "process"`: the child's V8 heap limit in MiB
   * (`--max-old-space-size`). A task that needs more dies alone, and `join` fails
   * with `WorkerCrashed` whose reason says it ran out of memory. At least 32 (a
   * child deno needs about 17 to start). Rejected with
   * `InvalidArgument` for `"worker"`, where no per-thread cap exists.
   *
   * @example
   * ```ts
   * import * as mp from "@mp/multiprocessing"
   *
   * const options: mp.Process.SpawnOptions = { isolation: "process", maxMemoryMb: 128 }
   * ```
   */
  readonly maxMemoryMb?: number | undefined
  /** @internal How the worker is hosted. */
  readonly host?: HostFactory | undefined
}

/**
 * Every key `Process.spawn` accepts in its options; any other key is refused
 * with `InvalidArgument` naming it.
 *
 * @example
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * console.log(mp.Process.spawnOptionKeys.includes("name")) // true
 * ```
 */
// Every key of SpawnOptions is listed: adding one to the interface without listing it is a compile error.
export const spawnOptionKeys: ReadonlyArray<string> = optionKeys<SpawnOptions>()([
  "name",
  "permissions",
  "isolation",
  "maxMemoryMb",
  "host",
])

/** Python's exit code of a terminated process (`-SIGTERM`). */
export const TERMINATED_EXIT_CODE: -15 = -15

/** Python's exit code of a killed process (`-SIGKILL`). */
export const KILLED_EXIT_CODE: -9 = -9

/**
 * The arguments of `spawn` after the task: the payload (optional when the task
 * takes none, i.e. when `undefined` is a valid payload) and the options.
 *
 * @example
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * const args: mp.Process.SpawnArgs<number> = [42, { name: "answer" }]
 * const none: mp.Process.SpawnArgs<void> = []
 * ```
 */
export type SpawnArgs<P> = undefined extends P ? [payload?: P | Transfer<P>, options?: SpawnOptions]
  : [payload: P | Transfer<P>, options?: SpawnOptions]

/**
 * How `spawn` fails at once: a bad argument, a payload that cannot cross, or
 * a worker importing a main module that lacks `if (import.meta.main)`.
 *
 * @example
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 *
 * const describe = (e: mp.Process.SpawnError): string => e._tag
 * ```
 */
export type SpawnError = InvalidArgument | SerializationError | MissingMainGuard

/**
 * Starts `task` on `payload` in a new worker. Fails at once with
 * `SerializationError` when the payload does not fit the task's schema or
 * cannot be cloned, with `InvalidArgument` when `task` is not a Task, and with
 * `MissingMainGuard` when called by a worker's import of a main module that
 * lacks `if (import.meta.main)`. The payload may be left out when the task
 * takes none (`mp.Process.spawn(task)`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * declare const greet: mp.Task.Task<string, string> // a Task exported by your tasks module
 *
 * const program = Effect.scoped(Effect.gen(function* () {
 *   const p = yield* mp.Process.spawn(greet, "Alice", { name: "greeter" })
 *   yield* p.join
 *   console.log("Main process completed")
 * }))
 * ```
 */
export const spawn: <P, A, E>(
  task: Task.Task<P, A, E>,
  ...args: SpawnArgs<NoInfer<P>>
) => Effect.Effect<Process<A, E>, SpawnError, Scope.Scope> = Effect.fnUntraced(
  function* <P, A, E>(task: Task.Task<P, A, E>, payload?: P | Transfer<P>, options: SpawnOptions = {}) {
    yield* checkBootstrap("Process.spawn") // a worker importing a main module without `if (import.meta.main)`
    yield* validateTask(task)
    yield* checkKeys("options", options, spawnOptionKeys)
    yield* optionalString("name", options.name)
    const hosts = ownHosts(yield* resolveHost(options))
    const anyTask = task as unknown as Task.Task<unknown, unknown, unknown>
    const prepared = preparePayload(anyTask, payload)
    if (!prepared.ok) return yield* prepared.error
    const transfer = [...prepared.transfer]

    const id = nextChildId()
    const name = options.name ?? `Process-${id}`
    const done = Deferred.makeUnsafe<A, E | PoolError>()
    let exitCode: number | undefined
    const observer = yield* observedStart(name, "Process.spawn", anyTask)
    const finish = (exit: Exit.Exit<unknown, unknown>, code: number): void => {
      if (exitCode !== undefined) return
      exitCode = code
      observer.end(exit)
      Deferred.doneUnsafe(done, exit as Exit.Exit<A, E | PoolError>)
    }
    // A host that fails while it is created reports it a microtask later, so `join` fails with WorkerCrashed.
    const client = new WorkerClient({ id, name, host: guardHost(hosts.factory), permissions: options.permissions })
    try {
      client.runMany([{
        moduleUrl: anyTask.moduleUrl,
        taskName: anyTask.name,
        payloads: [prepared.value],
        trace: observer.obs.trace,
        handler: {
          onTelemetry: observer.obs.onTelemetry,
          onResults: (index, kinds, values) => {
            let exit: Exit.Exit<unknown, unknown> = Exit.interrupt()
            decodeItems(anyTask, index, kinds, values, {
              onSuccess: (_i, value) => exit = Exit.succeed(value),
              onFailure: (_i, failed) => exit = failed,
              onError: (_i, _n, error) => exit = Exit.fail(error),
            })
            // The task is over: end the worker, as a Python process ends when its target returns.
            client.terminate("the process finished")
            finish(exit, Exit.isSuccess(exit) ? 0 : 1)
          },
          onLost: (error) => finish(Exit.fail(error), client.exitCode ?? 1),
        },
      }], transfer)
    } catch (e) {
      observer.end(Exit.void)
      client.terminate("the payload could not be sent")
      yield* hosts.settled
      return yield* new SerializationError({
        taskName: anyTask.name,
        stage: "encode-payload",
        message: notCloneable("payload", e),
      })
    }
    const stop = (code: number, reason: string) =>
      Effect.sync(() => {
        if (!client.alive) return
        finish(Exit.interrupt(), code)
        client.terminate(reason)
      })
    const terminate = stop(TERMINATED_EXIT_CODE, "the process was terminated")
    // A child process is reaped before the Scope counts as closed.
    yield* Effect.addFinalizer(() => Effect.andThen(terminate, hosts.settled))
    const handle: Process<A, E> = {
      id,
      name,
      join: Deferred.await(done),
      await: Effect.exit(Deferred.await(done)),
      terminate,
      kill: stop(KILLED_EXIT_CODE, "the process was killed"),
      isAlive: Effect.sync(() => client.alive),
      exitCode: Effect.sync(() => exitCode),
    }
    return handle
  },
)

/** The crash error type, re-exported for `catchTag` users. */
export type { WorkerCrashed }
