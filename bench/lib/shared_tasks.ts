/**
 * The tasks of W3 (`mp.Value` and its lock) and W4 (`mp.Queue`). Both the
 * programs and the workers import this module.
 *
 * @module
 */
import * as Effect from "effect/Effect"
import * as mp from "../../mod.ts"

/**
 * How `increment` adds 1, each under the value's lock:
 * - `"sync"`: `value.updateSync(n => n + 1)` (the synchronous fast path);
 * - `"sync-idiom"`: Python's `with v.get_lock(): v.value += 1`, synchronously:
 *   `getLock().withLockSync(() => value.setSync(value.getSync() + 1))`;
 * - `"effect"`: the same with Effects: `getLock().withLock(get, then set)`;
 * - `"update"`: `yield* value.update(n => n + 1)`.
 */
export type IncrementMode = "sync" | "sync-idiom" | "effect" | "update"

/** The payload of `increment`. */
export interface IncrementPayload {
  /** The shared value. */
  readonly value: mp.Value.Value<"i32">
  /** How many increments. */
  readonly n: number
  /** How each increment is done. */
  readonly mode: IncrementMode
}

/**
 * W3: `n` increments of a shared value, each under the value's lock, done as
 * `mode` says.
 *
 * @example
 * ```ts
 * import * as Effect from "effect/Effect"
 * import * as mp from "../../mod.ts"
 * import { increment } from "./shared_tasks.ts"
 *
 * const run = (pool: mp.Pool.Pool) =>
 *   Effect.flatMap(mp.Value.make("i", 0), (value) => pool.apply(increment, { value, n: 1000, mode: "sync" }))
 * ```
 */
export const increment: mp.Task.Task<IncrementPayload, number, unknown> = mp.Task.make(import.meta.url, "increment", {
  handler: ({ value, n, mode }: IncrementPayload): number | Effect.Effect<number, unknown> => {
    switch (mode) {
      case "sync": {
        for (let i = 0; i < n; i++) value.updateSync((x) => x + 1)
        return n
      }
      case "sync-idiom": {
        const lock = value.getLock()
        const step = () => value.setSync(value.getSync() + 1)
        for (let i = 0; i < n; i++) lock.withLockSync(step)
        return n
      }
      case "update":
        return Effect.gen(function* () {
          for (let i = 0; i < n; i++) yield* value.update((x) => x + 1)
          return n
        })
      case "effect": {
        // Python's `with v.get_lock(): v.value += 1`.
        const step = Effect.flatMap(value.get, (x) => value.set(x + 1))
        const lock = value.getLock()
        return Effect.gen(function* () {
          for (let i = 0; i < n; i++) yield* lock.withLock(step)
          return n
        })
      }
    }
  },
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
