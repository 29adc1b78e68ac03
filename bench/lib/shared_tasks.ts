/**
 * The tasks of W3 (`mp.Value`) and W4 (`mp.Queue`). Those APIs land in
 * `mod.ts` separately from the Pool, so they are typed here by the little
 * they need: this module type-checks before and after they land, and the
 * programs check at run time that the APIs exist (see `optional.ts`).
 *
 * @module
 */
import * as Effect from "effect/Effect"
import * as mp from "../../mod.ts"
import { preloadFallbacks } from "./optional.ts"

// In a worker, `mp.Value` and `mp.Queue` must be loaded for the objects in a
// payload to be revived; until mod.ts exports them, load them here.
await preloadFallbacks()

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
  /** Replaces the value with `f(value)` under the lock, in one step. */
  readonly update: (f: (n: number) => number) => Effect.Effect<number, unknown>
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
 * W3: `n` increments of a shared value, each under the value's lock, the
 * way Python writes it (`with v.get_lock(): v.value += 1`), or with
 * `value.update(n => n + 1)` when `update` is set.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "../../mod.ts"
 * import { increment, type ValueLike } from "./shared_tasks.ts"
 *
 * const run = (pool: mp.Pool.Pool, value: ValueLike) => pool.apply(increment, { value, n: 1000 })
 * ```
 */
export const increment: mp.Task.Task<IncrementPayload, number, unknown> = mp.Task.make(import.meta.url, "increment", {
  handler: ({ value, n, update }: IncrementPayload) =>
    Effect.gen(function* () {
      if (update === true) {
        for (let i = 0; i < n; i++) yield* value.update((x) => x + 1)
        return n
      }
      // Python's `with v.get_lock(): v.value += 1`.
      const step = Effect.flatMap(value.get(), (x) => value.set(x + 1))
      const lock = value.getLock()
      for (let i = 0; i < n; i++) yield* lock.withLock(step)
      return n
    }),
})

/** The payload of `increment`. */
export interface IncrementPayload {
  /** The shared value. */
  readonly value: ValueLike
  /** How many increments. */
  readonly n: number
  /** Use `value.update` instead of `getLock().withLock(get, set)`. */
  readonly update?: boolean
}

/**
 * W4: puts `0 .. n-1` on a queue, one by one (`batch` 1) or `batch` per `putAll`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "../../mod.ts"
 * import { produce, type QueueLike } from "./shared_tasks.ts"
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
