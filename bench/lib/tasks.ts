/**
 * The tasks of this library's bench programs. Both the programs and the
 * workers import this module (tasks are found again by module URL and name).
 *
 * @module
 */
import { Effect } from "effect"
import * as mp from "../../mod.ts"
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

// W3 and W4 use APIs that land separately (src/shared, src/ipc). They are
// typed here by the little they need, so that this module type-checks
// before and after those land; the programs check at run time that the
// APIs exist and report the workload as not built yet otherwise.

/** What W3 needs of `mp.Value`'s lock. */
export interface LockLike {
  /** Runs `effect` while holding the lock. */
  readonly withLock: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, unknown, R>
}

/** What W3 needs of an `mp.Value` (`src/shared/Value.ts`): its lock, `get` and `set`. */
export interface ValueLike {
  /** The value's own lock. */
  readonly getLock: () => LockLike
  /** Reads the value. */
  readonly get: () => Effect.Effect<number, unknown>
  /** Writes the value. */
  readonly set: (n: number) => Effect.Effect<void, unknown>
}

/** What W4 needs of an `mp.Queue`. */
export interface QueueLike {
  /** Puts one item. */
  readonly put: (value: number) => Effect.Effect<void, unknown>
  /** Puts many items. */
  readonly putAll: (values: Iterable<number>) => Effect.Effect<void, unknown>
  /** Takes one item. */
  readonly take: () => Effect.Effect<number, unknown>
  /** Takes up to `max` items. */
  readonly takeUpTo: (max: number) => Effect.Effect<Array<number>, unknown>
}

/**
 * W3: `n` increments of a shared value, each under the value's lock.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "../../mod.ts"
 * import { increment, type ValueLike } from "./tasks.ts"
 *
 * const run = (pool: mp.Pool.Pool, value: ValueLike) => pool.apply(increment, { value, n: 1000 })
 * ```
 */
export const increment: mp.Task.Task<{ readonly value: ValueLike; readonly n: number }, number, unknown> = mp.Task
  .make(import.meta.url, "increment", {
    handler: ({ value, n }: { readonly value: ValueLike; readonly n: number }) =>
      Effect.gen(function* () {
        // Python's `with v.get_lock(): v.value += 1`.
        const step = Effect.flatMap(value.get(), (x) => value.set(x + 1))
        const lock = value.getLock()
        for (let i = 0; i < n; i++) yield* lock.withLock(step)
        return n
      }),
  })

/**
 * W4: puts `0 .. n-1` on a queue, one by one (`batch` 1) or `batch` per `putAll`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "../../mod.ts"
 * import { produce, type QueueLike } from "./tasks.ts"
 *
 * const run = (pool: mp.Pool.Pool, queue: QueueLike) => pool.submit(produce, { queue, n: 100, batch: 1 })
 * ```
 */
export const produce: mp.Task.Task<
  { readonly queue: QueueLike; readonly n: number; readonly batch: number },
  number,
  unknown
> = mp.Task.make(import.meta.url, "produce", {
  handler: ({ queue, n, batch }: { readonly queue: QueueLike; readonly n: number; readonly batch: number }) =>
    Effect.gen(function* () {
      if (batch <= 1) {
        for (let i = 0; i < n; i++) yield* queue.put(i)
      } else {
        for (let i = 0; i < n; i += batch) {
          const chunk: Array<number> = []
          for (let j = i; j < Math.min(n, i + batch); j++) chunk.push(j)
          yield* queue.putAll(chunk)
        }
      }
      return n
    }),
})
