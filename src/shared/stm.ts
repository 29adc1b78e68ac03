/**
 * Transactions over `TRef`s across workers: `atomically(tx)` runs `tx`, a
 * plain Effect that reads and writes `TRef`s, so that all its writes take
 * effect at once or not at all, in every worker.
 *
 * **Isolation: serializable.** Every committed transaction behaves as if the
 * transactions had run one at a time in some order. Cells are versioned;
 * reads are journaled and re-validated on each new read (so a transaction
 * never sees a mix of states, even in an attempt that will be discarded);
 * writes are buffered, and the commit locks the written cells (robust
 * per-cell locks, taken in a global order), re-validates every read, then
 * writes. A transaction whose reads went stale runs again. Lost updates and
 * write skew are impossible. Read-only transactions never lock.
 *
 * **Keep transactions pure.** A transaction may run several times: other
 * effects inside it (logging, I/O, `Value` writes) are not undone or
 * deduplicated. Nested `atomically` calls join the outer transaction.
 *
 * @module
 */
import type * as Effect from "effect/Effect"
import * as stm from "./internal/stm.ts"

/**
 * Runs `transaction` atomically across workers, retrying it on conflict;
 * succeeds or fails with what the last attempt did (a failed attempt commits
 * nothing).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const transfer = (from: mp.TRef.TRef<"i32">, to: mp.TRef.TRef<"i32">, amount: number) =>
 *   mp.atomically(Effect.gen(function* () {
 *     const balance = yield* from.get
 *     if (balance < amount) return yield* mp.retry() // wait until `from` changes
 *     yield* from.set(balance - amount)
 *     yield* to.update((x) => x + amount)
 *   }))
 * ```
 */
export const atomically = <A, E, R>(transaction: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  stm.atomically(transaction)

/**
 * Abandons the current attempt of `atomically` and runs it again once one of
 * the `TRef`s it read has changed (in any worker). (A function, so that
 * `yield* mp.retry()` reads as a call.) Dies when used outside
 * `atomically`, or in a transaction that read nothing (it would wait forever).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import * as mp from "@mp/multiprocessing"
 *
 * const takeOne = (stock: mp.TRef.TRef<"i32">) =>
 *   mp.atomically(Effect.gen(function* () {
 *     const n = yield* stock.get
 *     if (n === 0) return yield* mp.retry()
 *     yield* stock.set(n - 1)
 *   }))
 * ```
 */
export const retry = (): Effect.Effect<never> => stm.retry
