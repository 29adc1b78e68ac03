/**
 * The Pool tasks of this library's bench programs (W1, W2, W5, W6). Both the
 * programs and the workers import this module (tasks are found again by
 * module URL and name). It imports only the task entry (`@mp/multiprocessing/task`), as a
 * lean task module should: the workers load it at start.
 *
 * @module
 */
import * as mp from "../../src/task/mod.ts"
import { checksum as checksumOf, countPrimes as countPrimesBelow, double as doubleOf } from "../common.ts"

/**
 * W1: `x * 2`, no schemas (values cross by structured clone).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "../../mod.ts"
 * import { double } from "./tasks.ts"
 *
 * Effect.scoped(Effect.flatMap(mp.Pool.make({ size: 2 }), (pool) => pool.map(double, [1, 2, 3])))
 * ```
 */
export const double: mp.Task.Task<number, number> = mp.Task.make(import.meta.url, "double", {
  handler: (n: number) => doubleOf(n),
})

/**
 * W2: counts the primes below `limit` by trial division.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "../../mod.ts"
 * import { countPrimes } from "./tasks.ts"
 *
 * Effect.scoped(Effect.flatMap(mp.Pool.make({ size: 2 }), (pool) => pool.apply(countPrimes, 1000)))
 * ```
 */
export const countPrimes: mp.Task.Task<number, number> = mp.Task.make(import.meta.url, "countPrimes", {
  handler: (limit: number) => countPrimesBelow(limit),
})

/**
 * W6: a checksum of one byte per 4 KiB page (measures moving the data, not work).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "../../mod.ts"
 * import { checksum } from "./tasks.ts"
 *
 * const a = new Uint8Array(1 << 20)
 * Effect.scoped(Effect.flatMap(mp.Pool.make({ size: 2 }), (pool) => pool.apply(checksum, mp.transfer(a, [a.buffer]))))
 * ```
 */
export const checksum: mp.Task.Task<Uint8Array, number> = mp.Task.make(import.meta.url, "checksum", {
  handler: (a: Uint8Array) => checksumOf(a),
})
