/**
 * The Python guide's `imap` and `imap_unordered`: results as a Stream, in
 * input order or in completion order.
 *
 * `slowSquare(n)` sleeps longer for smaller `n` (1 s for 1, 250 ms for 4), so
 * the tasks finish in the reverse of their input order. The 4 tasks run at
 * once on 4 workers:
 *
 * - `imap` yields `[ 1, 4, 9, 16 ]`, input order: it holds the finished
 *   squares of 2, 3 and 4 back until the square of 1 arrives.
 * - `imapUnordered` yields `[ 16, 9, 4, 1 ]`, completion order: each square as
 *   soon as its task is done (the 250 ms steps between them are wide enough
 *   for this order to hold on a loaded machine).
 *
 * Run: `deno task example:pool_imap`
 */
import { Effect, Stream } from "effect"
import * as mp from "@mp/multiprocessing"

export const slowSquare = mp.Task.make(import.meta.url, "slowSquare", {
  handler: (n: number) => Effect.sleep(`${(5 - n) * 250} millis`).pipe(Effect.as(n * n)),
})

const program = Effect.gen(function* () {
  const pool = yield* mp.Pool.make({ size: 4 })
  const inputs = [1, 2, 3, 4]
  // The first run also starts the 4 workers, so the second run measures only the tasks.
  const inOrder = yield* Stream.runCollect(pool.imap(slowSquare, inputs))
  console.log("imap:", inOrder, "(input order, although the square of 1 finished last)")
  const start = performance.now()
  const arrivals: Array<string> = []
  const asDone = yield* pool.imapUnordered(slowSquare, inputs).pipe(
    Stream.tap((square) =>
      Effect.sync(() => arrivals.push(`${square} at ${(performance.now() - start).toFixed(0)} ms`))
    ),
    Stream.runCollect,
  )
  console.log("imapUnordered:", asDone, "(completion order, the shortest task first)")
  console.log(`  arrivals: ${arrivals.join(", ")}`)
})

// Like Python's `if __name__ == "__main__":` the workers import this file too (for its tasks); the guard keeps them
// from starting the program again. runMain closes the Scope on Ctrl-C and sets the exit code.
if (import.meta.main) mp.runMain(Effect.scoped(program))
