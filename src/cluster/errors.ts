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

const moduleMismatchFields = {
  moduleUrl: Schema.String,
  taskName: Schema.String,
  /** SHA-256 (hex) of the task module's source where the call was made. */
  callerHash: Schema.String,
  /** SHA-256 (hex) of the module the runner loaded from the same URL. */
  runnerHash: Schema.String,
  /** The runner's address, `host:port`. */
  runner: Schema.String,
}
const /** @internal */ ModuleMismatchBase: Schema.Class<
  ModuleMismatch,
  Schema.TaggedStruct<"ModuleMismatch", typeof moduleMismatchFields>,
  Cause.YieldableError
> = Schema.TaggedError<ModuleMismatch>()("ModuleMismatch", moduleMismatchFields)
/**
 * A runner loaded different code from the task module's URL than the caller
 * has (their SHA-256 differ): the task is not run there. Deploy the same code
 * at the same path on every machine, and restart runners that loaded an old
 * version (a runner keeps the version it loaded first). Only a module on
 * disk (`file:` URL) is compared, and only its own source, not its imports.
 * Part of `mp.PoolError`: only a cluster pool fails with it.
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
 *   Effect.catchTag("ModuleMismatch", (e) => Effect.die(`redeploy ${e.moduleUrl} on ${e.runner}`)),
 * )
 * ```
 */
export class ModuleMismatch extends ModuleMismatchBase {
  /** Says which runner and what to do. */
  override get message(): string {
    return `The runner at ${this.runner} loaded different code from ${this.moduleUrl} than the caller has ` +
      `(SHA-256 ${this.runnerHash.slice(0, 12)}… there, ${this.callerHash.slice(0, 12)}… here), so task ` +
      `${this.taskName} was not run: deploy the same code on every machine and restart runners that loaded an old version`
  }
}
