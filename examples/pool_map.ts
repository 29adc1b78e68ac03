/**
 * The Python guide's `Pool.map`: square... here, double the numbers 1..5 on
 * a pool of workers; prints `[2, 4, 6, 8, 10]`.
 *
 * Run: `deno task example:pool_map`
 */
import { Effect } from "effect"
import * as mp from "@mp/multiprocessing"

export const double = mp.Task.make(import.meta.url, "double", {
  handler: (n: number) => n * 2,
})

const program = Effect.gen(function* () {
  const pool = yield* mp.Pool.make({ size: 2 })
  const result = yield* pool.map(double, [1, 2, 3, 4, 5])
  console.log(result)
})

// Like Python's `if __name__ == "__main__":` the workers import this file too (for its tasks); the guard keeps them
// from starting the program again. runMain closes the Scope on Ctrl-C and sets the exit code.
if (import.meta.main) mp.runMain(Effect.scoped(program))
