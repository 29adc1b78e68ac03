/**
 * The tasks of W3 (`mp.Value` and its lock) and W4 (`mp.Queue`). Both the
 * programs and the workers import this module.
 *
 * @module
 */
import * as Effect from "effect/Effect"
import * as mp from "../../mod.ts"

/** The payload of `increment`. */
export interface IncrementPayload {
  /** The shared value. */
  readonly value: mp.Value.Value<"i32">
  /** How many increments. */
  readonly n: number
  /** Use `value.update(n => n + 1)` instead of `getLock().withLock(get, then set)`. */
  readonly update?: boolean
}

/**
 * W3: `n` increments of a shared value, each under the value's lock, the
 * way Python writes it (`with v.get_lock(): v.value += 1`), or with
 * `value.update(n => n + 1)` when `update` is set.
 *
 * @example
 * ```ts
 * import * as Effect from "effect/Effect"
 * import * as mp from "../../mod.ts"
 * import { increment } from "./shared_tasks.ts"
 *
 * const run = (pool: mp.Pool.Pool) =>
 *   Effect.flatMap(mp.Value.make("i", 0), (value) => pool.apply(increment, { value, n: 1000 }))
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

/** The payload of `produce`. */
export interface ProducePayload {
  /** The queue to fill. */
  readonly queue: mp.Queue.Queue<number>
  /** How many items. */
  readonly n: number
  /** 1: one `put` per item; more: `putAll` of `batch` items at a time. */
  readonly batch: number
}

/**
 * W4: puts `0 .. n-1` on a queue, one by one (`batch` 1) or `batch` per `putAll`.
 *
 * @example
 * ```ts
 * import * as Effect from "effect/Effect"
 * import * as mp from "../../mod.ts"
 * import { produce } from "./shared_tasks.ts"
 *
 * const run = (pool: mp.Pool.Pool) =>
 *   Effect.flatMap(mp.Queue.make<number>(), (queue) => pool.submit(produce, { queue, n: 100, batch: 1 }))
 * ```
 */
export const produce: mp.Task.Task<ProducePayload, number, unknown> = mp.Task.make(import.meta.url, "produce", {
  handler: ({ queue, n, batch }: ProducePayload) =>
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
