/**
 * A cluster runner: one process per machine that takes a share of the
 * cluster's shards and runs the tasks sent to them on a local `Pool` sized to
 * the machine's cores (CPU work never runs on the runner's own thread, so its
 * health checks keep answering). Runners coordinate only through PostgreSQL.
 *
 * Start one per machine with `deno task runner` (see `runner_cli.ts`), or in
 * a program with `Runner.layer(options)`.
 *
 * @module
 */
import * as RunnerAddress from "effect/cluster/RunnerAddress"
import * as Sharding from "effect/cluster/Sharding"
import * as ShardingConfig from "effect/cluster/ShardingConfig"
import * as RunnerStorage from "effect/cluster/RunnerStorage"
import * as ShardId from "effect/cluster/ShardId"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { SocketServerError } from "effect/socket/SocketServer"
import * as Pool from "../pool/Pool.ts"
import { cpuCount } from "../runtime_info.ts"
import { TaskEntity } from "./internal/entity.ts"
import { runChunk } from "./internal/handler.ts"
import { watch } from "./internal/health.ts"
import * as Layers from "./internal/layers.ts"
import { keyOf, placements } from "./internal/placement.ts"

/**
 * Options of a runner.
 *
 * @example
 * ```ts
 * import { Runner } from "@mp/multiprocessing/cluster"
 *
 * const options: Runner.RunnerOptions = { url: "postgres://postgres@127.0.0.1:5432/mp", host: "10.0.0.5", port: 34431 }
 * ```
 */
export interface RunnerOptions {
  /** The PostgreSQL URL shared by every runner and client of the cluster. */
  readonly url: string
  /** The host name or address other processes reach this runner at (its advertised address). */
  readonly host: string
  /** The address to listen on when it differs from `host` (`0.0.0.0` behind NAT or in a container). */
  readonly listen?: string | undefined
  /** The TCP port this runner listens on. */
  readonly port: number
  /**
   * Workers of the local pool (default: the machine's cores). The runner's
   * share of the cluster's shards, so of its chunks, is proportional to it.
   */
  readonly workers?: number | undefined
  /**
   * Called once the runner holds every shard the cluster assigns it, so
   * tasks reach it (with how many; a runner that joins takes its shards from
   * the others within a few seconds of listening).
   */
  readonly onReady?: ((shards: number) => void) | undefined
}

/**
 * A Layer that runs a cluster runner until its scope closes: it registers in
 * PostgreSQL, takes shards, and runs their tasks on a local pool. Closing the
 * scope (SIGTERM under `runMain`) hands its shards back; messages it had not
 * answered are run again by the runner that takes them over.
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import * as mp from "@mp/multiprocessing"
 * import { Runner } from "@mp/multiprocessing/cluster"
 *
 * if (import.meta.main) {
 *   mp.runMain(Layer.launch(Runner.layer({ url: "postgres://postgres@127.0.0.1:5432/mp", host: "127.0.0.1", port: 34431 })))
 * }
 * ```
 */
export const layer = (options: RunnerOptions): Layer.Layer<never, Pool.MakeError | SocketServerError> =>
  TaskEntity.toLayer(
    Effect.gen(function* () {
      const pool = yield* Pool.Service
      const self = `${options.host}:${options.port}`
      return {
        Run: (request) => runChunk(pool, request.payload, self),
        RunDirect: (request) => runChunk(pool, request.payload, self),
      }
    }),
    { concurrency: "unbounded", disableFatalDefects: true, maxIdleTime: "1 minute" },
  ).pipe(
    Layer.merge(Layer.effectDiscard(Effect.gen(function* () {
      const sharding = yield* Sharding.Sharding
      const config = yield* ShardingConfig.ShardingConfig
      const storage = yield* RunnerStorage.RunnerStorage
      const self = keyOf(RunnerAddress.make(options.host, options.port))
      /** The shards the cluster assigns this runner now, and whether it holds every one of them. */
      const settled = storage.getRunners.pipe(
        Effect.map((runners) => {
          const mine = placements(runners, new Map(), config.shardsPerGroup).owners
            .flatMap((owner, i) => owner === self ? [i + 1] : [])
          return mine.length > 0 && mine.every((id) => sharding.hasShardId(ShardId.make("default", id)))
            ? mine.length
            : 0
        }),
        Effect.orElseSucceed(() => 0),
      )
      // Watches the next runner in address order, so a dead runner is marked whichever runner dies.
      yield* watch(RunnerAddress.make(options.host, options.port))
      // Ready once it holds every shard the cluster assigns it: a runner that joins takes its shards from the others
      // over a few seconds, and chunks sent to a shard in hand-over would run on the runner giving it up. Waits in the
      // background: the layer is built (and serving) at once.
      yield* Effect.forkScoped(Effect.gen(function* () {
        let shards = 0
        while ((shards = yield* settled) === 0) yield* Effect.sleep(100)
        options.onReady?.(shards)
      }))
    }))),
    Layer.provide(Layers.runner({ ...options, workers: options.workers ?? cpuCount() })),
    Layer.provide(ShardingConfig.layer(Layers.tuned)),
    Layer.provide(Pool.layer({ size: options.workers, name: `runner-${options.port}` })),
  )
