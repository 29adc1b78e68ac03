/**
 * The types of a pool call's arguments and results: the per-call options
 * (`MapOptions`, `CallOptions`), the payload arguments (`ApplyArgs`,
 * `BroadcastArgs`), and what `stats`, `broadcast` and `applyWithEvents` return.
 *
 * @module
 */
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import type * as Stream from "effect/Stream"
import { optionKeys } from "../internal/arguments.ts"
import type { Transfer } from "../task/transfer.ts"
import type { Stats } from "./internal/model.ts"

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
