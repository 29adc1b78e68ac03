/**
 * Tasks of the cluster bench (`bench/cluster.ts`): the bench (the client) and
 * every runner import this module from the same path.
 *
 * @module
 */
import * as Effect from "effect/Effect"
import * as mp from "../../mod.ts"
import { countPrimes as countPrimesBelow } from "../common.ts"

/**
 * The pid of the process that ran it (a runner's: its workers are threads).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "../../mod.ts"
 * import { whereAmI } from "./cluster_tasks.ts"
 *
 * Effect.scoped(Effect.flatMap(mp.Pool.make({ size: 1 }), (pool) => pool.apply(whereAmI, 0)))
 * ```
 */
export const whereAmI: mp.Task.Task<number, number> = mp.Task.make(import.meta.url, "whereAmI", {
  handler: (_: number) => Deno.pid,
})

/**
 * Sleeps `ms`, then returns the pid of the process that ran it.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "../../mod.ts"
 * import { napWhere } from "./cluster_tasks.ts"
 *
 * Effect.scoped(Effect.flatMap(mp.Pool.make({ size: 1 }), (pool) => pool.apply(napWhere, 10)))
 * ```
 */
export const napWhere: mp.Task.Task<number, number> = mp.Task.make(import.meta.url, "napWhere", {
  handler: (ms: number) => Effect.as(Effect.sleep(ms), Deno.pid),
})

/**
 * Counts the primes below `limit` (CPU work).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "../../mod.ts"
 * import { primes } from "./cluster_tasks.ts"
 *
 * Effect.scoped(Effect.flatMap(mp.Pool.make({ size: 1 }), (pool) => pool.apply(primes, 1000)))
 * ```
 */
export const primes: mp.Task.Task<number, number> = mp.Task.make(import.meta.url, "primes", {
  handler: (limit: number) => countPrimesBelow(limit),
})
