/**
 * The error of the cluster's own: its PostgreSQL cannot be reached. Failures
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
