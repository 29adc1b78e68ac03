/**
 * The cluster's own errors: its PostgreSQL cannot be reached (`ClusterUnavailable`),
 * no runner is alive (`NoRunners`, also a member of `mp.PoolError`). Failures
 * of tasks are the library's usual errors (`src/errors.ts`).
 *
 * @module
 */
import type * as Cause from "effect/Cause"
import * as Schema from "effect/Schema"

const clusterUnavailableFields = { message: Schema.String }
const /** @internal */ ClusterUnavailableBase: Schema.Class<
  ClusterUnavailable,
  Schema.TaggedStruct<"ClusterUnavailable", typeof clusterUnavailableFields>,
  Cause.YieldableError
> = Schema.TaggedError<ClusterUnavailable>()("ClusterUnavailable", clusterUnavailableFields)
/**
 * `Cluster.pool` could not connect to the cluster's PostgreSQL (down,
 * unreachable, wrong credentials); the message says why.
 *
 * @example
 * ```ts
 * import { ClusterUnavailable } from "@mp/multiprocessing/cluster"
 *
 * const e = new ClusterUnavailable({ message: "PostgreSQL at 127.0.0.1:5432 refused the connection" })
 * ```
 */
export class ClusterUnavailable extends ClusterUnavailableBase {}

const noRunnersFields = { runnerTimeoutMs: Schema.Number }
const /** @internal */ NoRunnersBase: Schema.Class<
  NoRunners,
  Schema.TaggedStruct<"NoRunners", typeof noRunnersFields>,
  Cause.YieldableError
> = Schema.TaggedError<NoRunners>()("NoRunners", noRunnersFields)
/**
 * A cluster call found no runner alive for `runnerTimeout` (every runner
 * stopped or died, or none was started): the call fails instead of waiting
 * for one. A runner counts as alive when it is registered and healthy in
 * PostgreSQL and answers a ping. Part of `mp.PoolError`: only a cluster pool
 * fails with it.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * declare const pool: mp.Pool.Pool // from Cluster.pool(...)
 * declare const square: mp.Task.Task<number, number>
 *
 * const program = pool.apply(square, 3).pipe(
 *   Effect.catchTag("NoRunners", (e) => Effect.succeed(-1)), // e.g. run it locally instead
 * )
 * ```
 */
export class NoRunners extends NoRunnersBase {
  /** Says what to start. */
  override get message(): string {
    return `No runner of the cluster was alive within ${this.runnerTimeoutMs} ms (runnerTimeout): ` +
      "start one with `deno task runner --url <the same PostgreSQL URL>`"
  }
}
