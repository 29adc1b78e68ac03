/**
 * A Pool whose workers are other machines: `Cluster.pool(options)` gives the
 * library's `Pool` interface (`apply`, `submit`, `map`, `mapExit`,
 * `starmap`, `imap`, `imapUnordered`, `stats`, `close`, `terminate`), backed
 * by `effect/cluster`. Runners (`deno task runner`) coordinate through
 * PostgreSQL and run each chunk on their own local pool; tasks travel over
 * TCP as `node:v8` bytes, found on the runner by module URL and name, as a
 * local worker finds them (the same code must sit at the same path on every
 * machine).
 *
 * Delivery is at least once: a chunk whose runner dies is run again by the
 * runner that takes its shards over, so tasks should be idempotent.
 *
 * @module
 */
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import { InvalidArgument } from "../errors.ts"
import { checkKeys, invalid, optionKeys } from "../internal/arguments.ts"
import { type Pool, Service as PoolService } from "../pool/Pool.ts"
import type { ClusterUnavailable } from "./errors.ts"
import { makeDispatcher } from "./internal/client.ts"
import { finiteMs } from "./internal/options.ts"
import { makePool } from "./internal/pool.ts"

/**
 * Options of `Cluster.pool`.
 *
 * @example
 * ```ts
 * import { Cluster } from "@mp/multiprocessing/cluster"
 *
 * const options: Cluster.ClusterPoolOptions = {
 *   url: "postgres://postgres@db:5432/mp",
 *   taskTimeout: "1 minute",
 *   runnerTimeout: "30 seconds",
 * }
 * ```
 */
export interface ClusterPoolOptions {
  /** The PostgreSQL URL the runners use. */
  readonly url: string
  /**
   * Required: the longest one chunk (one `apply`, or one chunk of a `map`)
   * may take from sending to its reply, including a runner's failover; past
   * it every payload of the chunk fails with `TaskTimeout`.
   */
  readonly taskTimeout: Duration.Input
  /**
   * How long a call goes on while no runner of the cluster is alive (none
   * registered and healthy in PostgreSQL that answers a ping) before it fails
   * with `NoRunners` (default 30 seconds; a positive, finite duration).
   */
  readonly runnerTimeout?: Duration.Input | undefined
  /**
   * Chunks one call keeps in flight. Default: twice the cluster's workers
   * when the call starts (at least 16); either way a chunk waits at the
   * caller until a runner has a free worker, so a call never queues work on
   * a busy runner while another is free. Given, it is also the pool's `size`,
   * which is otherwise the cluster's workers now (the sum of the runners'
   * `--workers`), and from which `map` picks its default chunk size,
   * `ceil(n / (4 × size))`.
   */
  readonly concurrency?: number | undefined
  /**
   * How a chunk reaches its runner; both are at least once (tasks should be
   * idempotent) and recover from a dead runner equally fast. `"direct"`
   * (default): sent straight over TCP and never stored; the caller sends it
   * again to the runner that takes the dead runner's shards over. `"stored"`:
   * written to PostgreSQL first and read from there again by that runner
   * (two more PostgreSQL writes per chunk: several times slower per round
   * trip; see `bench/CLUSTER.md`).
   */
  readonly delivery?: "stored" | "direct" | undefined
}

/**
 * Every key `Cluster.pool`'s options accept; any other is refused with
 * `InvalidArgument`.
 *
 * @example
 * ```ts
 * import { Cluster } from "@mp/multiprocessing/cluster"
 *
 * console.log(Cluster.clusterPoolOptionKeys.includes("runnerTimeout")) // true
 * ```
 */
// Every key of ClusterPoolOptions is listed: adding one to the interface without listing it is a compile error.
export const clusterPoolOptionKeys: ReadonlyArray<string> = optionKeys<ClusterPoolOptions>()([
  "url",
  "taskTimeout",
  "runnerTimeout",
  "concurrency",
  "delivery",
])

/**
 * Connects to a cluster and returns a `Pool` whose tasks run on its runners.
 * The connection closes with the Scope; calls still running then fail with
 * `PoolClosed`. Fails with `ClusterUnavailable` when the cluster's
 * PostgreSQL cannot be reached, and `InvalidArgument` for bad options.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 * import { Cluster } from "@mp/multiprocessing/cluster"
 *
 * declare const square: mp.Task.Task<number, number> // exported by a module every runner has at the same path
 *
 * const program = Effect.scoped(Effect.gen(function* () {
 *   const pool = yield* Cluster.pool({ url: "postgres://postgres@db:5432/mp", taskTimeout: "1 minute" })
 *   console.log(yield* pool.map(square, [1, 2, 3])) // [1, 4, 9]
 * }))
 * ```
 */
export const pool: (
  options: ClusterPoolOptions,
) => Effect.Effect<Pool, InvalidArgument | ClusterUnavailable, Scope.Scope> = Effect.fn(
  "Cluster.pool",
)(function* (options: ClusterPoolOptions) {
  if (typeof options !== "object" || options === null) return yield* invalid("options", "an object", options)
  if (typeof options.url !== "string" || !/^postgres(ql)?:\/\//.test(options.url)) {
    return yield* invalid("url", "a postgres:// URL", options.url)
  }
  if (options.taskTimeout === undefined) {
    return yield* invalid("taskTimeout", "given (a cluster call needs a deadline)", options.taskTimeout)
  }
  yield* checkKeys("options", options, clusterPoolOptionKeys)
  const taskTimeout = finiteMs("taskTimeout", options.taskTimeout)
  if (taskTimeout instanceof InvalidArgument) return yield* taskTimeout
  const runnerTimeout = options.runnerTimeout === undefined ? 30_000 : finiteMs("runnerTimeout", options.runnerTimeout)
  if (runnerTimeout instanceof InvalidArgument) return yield* runnerTimeout
  const concurrency = options.concurrency
  if (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency > 0)) {
    return yield* invalid("concurrency", "a positive integer", concurrency)
  }
  const delivery = options.delivery ?? "direct"
  if (delivery !== "stored" && delivery !== "direct") {
    return yield* invalid("delivery", `"stored" or "direct"`, options.delivery)
  }
  const dispatcher = yield* makeDispatcher({
    url: options.url,
    delivery,
    taskTimeoutMs: taskTimeout,
    runnerTimeoutMs: runnerTimeout,
  })
  const scope = yield* Effect.scope
  const poolScope = yield* Scope.fork(scope)
  const clusterPool = makePool(dispatcher, concurrency, poolScope)
  // Calls still running when the Scope closes fail with PoolClosed rather than hang.
  yield* Scope.addFinalizer(scope, clusterPool.terminate)
  return clusterPool
})

/**
 * A Layer that connects to a cluster and provides its pool as the library's
 * `Pool.Service`, so code written against a local pool runs on the cluster
 * unchanged.
 *
 * @example
 * ```ts
 * import * as mp from "@mp/multiprocessing"
 * import { Cluster } from "@mp/multiprocessing/cluster"
 *
 * const PoolLive = Cluster.layer({ url: "postgres://postgres@db:5432/mp", taskTimeout: "1 minute" })
 * // program.pipe(Effect.provide(PoolLive)) where program uses `yield* mp.Pool.Service`
 * ```
 */
export const layer = (options: ClusterPoolOptions): Layer.Layer<PoolService, InvalidArgument | ClusterUnavailable> =>
  Layer.effect(PoolService, pool(options))
