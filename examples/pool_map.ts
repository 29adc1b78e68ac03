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

if (import.meta.main) {
  const program = Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 2 })
    const result = yield* pool.map(double, [1, 2, 3, 4, 5])
    console.log(result)
  })
  await Effect.runPromise(Effect.scoped(program))
}
