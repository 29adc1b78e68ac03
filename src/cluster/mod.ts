/**
 * `@mp/multiprocessing/cluster`: the same Tasks and the same `Pool` methods,
 * run across machines on `effect/cluster`, with PostgreSQL as the only
 * coordination point.
 *
 * - `Cluster.pool(options)` (scoped) or `Cluster.layer(options)`: a `Pool`
 *   whose tasks run on the cluster's runners.
 * - `Runner.layer(options)`: a runner in a program; `deno task runner` starts
 *   one from the command line.
 *
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 * import { Cluster } from "@mp/multiprocessing/cluster"
 *
 * declare const square: mp.Task.Task<number, number> // exported by a module every runner has at the same path
 *
 * const program = Effect.scoped(Effect.gen(function* () {
 *   const pool = yield* Cluster.pool({ url: "postgres://postgres@db:5432/mp", taskTimeout: "1 minute" })
 *   return yield* pool.map(square, [1, 2, 3])
 * }))
 * ```
 *
 * @module
 */
export * as Cluster from "./Cluster.ts"
export * as Runner from "./Runner.ts"
export { ClusterUnavailable, ModuleMismatch, NoRunners } from "./errors.ts"

// In a compiled program started as a process worker, this holds the main module's body (see compiled_child.ts).
import "../worker/runner/compiled_child.ts"
