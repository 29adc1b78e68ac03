/**
 * The effect/cluster wiring shared by runners and clients: PostgreSQL
 * storage for messages and runners, sockets between processes, and
 * sharding settings tuned so that a dead runner's shards move in seconds.
 *
 * @module
 */
import * as NodeClusterSocket from "@effect/platform-node-shared/NodeClusterSocket"
import * as NodeCrypto from "@effect/platform-node-shared/NodeCrypto"
import * as PgClient from "@effect/sql-pg/PgClient"
import * as RunnerAddress from "effect/cluster/RunnerAddress"
import type * as MessageStorage from "effect/cluster/MessageStorage"
import type * as RunnerStorage from "effect/cluster/RunnerStorage"
import * as Runners from "effect/cluster/Runners"
import type * as Sharding from "effect/cluster/Sharding"
import * as ShardingConfig from "effect/cluster/ShardingConfig"
import * as SocketRunner from "effect/cluster/SocketRunner"
import * as SqlMessageStorage from "effect/cluster/SqlMessageStorage"
import * as SqlRunnerStorage from "effect/cluster/SqlRunnerStorage"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type * as SqlError from "effect/sql/SqlError"
import type * as SocketServer from "effect/socket/SocketServer"
import * as RpcSerialization from "effect/rpc/RpcSerialization"
import { MAX_FRAME } from "./entity.ts"
import { layerHealth } from "./health.ts"

/** Shards per group: effect/cluster's default, stated here because the caller computes their owners too. */
export const SHARDS = 300

/** Sharding settings: health checks every second, a dead runner's shard locks expire after 10 s. */
export const tuned = {
  shardsPerGroup: SHARDS,
  runnerHealthCheckInterval: "1 second",
  refreshAssignmentsInterval: "500 millis",
  shardLockRefreshInterval: "2 seconds",
  shardLockExpiration: "10 seconds",
  entityMessagePollInterval: "1 second",
  entityReplyPollInterval: "100 millis",
  entityTerminationTimeout: "5 seconds",
} as const

/** PostgreSQL as the cluster's storage (messages, runners, shard locks). */
export const storage = (url: string) => {
  const sql = PgClient.layer({ url: Redacted.make(url) })
  return Layer.mergeAll(SqlMessageStorage.layer, SqlRunnerStorage.layer).pipe(Layer.provideMerge(sql))
}

/** A runner: listens on host:port, takes shards, runs entities registered on top of it. */
export const runner = (
  options: {
    readonly url: string
    readonly host: string
    readonly port: number
    readonly listen?: string | undefined
    /** Its local pool's workers: its share of the shards is proportional to them. */
    readonly workers: number
  },
): Layer.Layer<Sharding.Sharding | Runners.Runners | RunnerStorage.RunnerStorage, SocketServer.SocketServerError> =>
  SocketRunner.layer.pipe(
    Layer.provide(layerHealth.pipe(
      Layer.provide(Runners.layerRpc),
      Layer.provide(NodeClusterSocket.layerClientProtocol),
    )),
    Layer.provide(NodeClusterSocket.layerSocketServer),
    Layer.provide(NodeClusterSocket.layerClientProtocol),
    Layer.provideMerge(Layer.orDie(storage(options.url))),
    Layer.provide(ShardingConfig.layer({
      ...tuned,
      runnerAddress: Option.some(RunnerAddress.make(options.host, options.port)),
      // A runner of 8 workers gets about 8 times the shards (so the chunks) of a runner of 1.
      runnerShardWeight: options.workers,
      runnerListenAddress: options.listen === undefined
        ? Option.none()
        : Option.some(RunnerAddress.make(options.listen, options.port)),
    })),
    Layer.provide([RpcSerialization.layerNdjsonWith({ maxBufferSize: MAX_FRAME }), NodeCrypto.layerDigest]),
  )

/** A client: sends messages to runners, hosts no shard. */
export const client = (
  url: string,
): Layer.Layer<
  Sharding.Sharding | Runners.Runners | RunnerStorage.RunnerStorage | MessageStorage.MessageStorage,
  SqlError.SqlError
> =>
  SocketRunner.layerClientOnly.pipe(
    Layer.provide(NodeClusterSocket.layerClientProtocol),
    Layer.provideMerge(storage(url)),
    Layer.provide(ShardingConfig.layer({ ...tuned, runnerAddress: Option.none() })),
    Layer.provide([RpcSerialization.layerNdjsonWith({ maxBufferSize: MAX_FRAME }), NodeCrypto.layerDigest]),
  )
