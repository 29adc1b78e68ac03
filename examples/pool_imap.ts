/**
 * The Python guide's `imap` and `imap_unordered`: results as a Stream, in
 * input order or in completion order.
 *
 * Run: `deno task example:pool_imap`
 */
import { Effect, Stream } from "effect"
import * as mp from "@mp/multiprocessing"

export const slowSquare = mp.Task.make(import.meta.url, "slowSquare", {
  handler: (n: number) => Effect.sleep(`${(5 - n) * 40} millis`).pipe(Effect.as(n * n)),
})

if (import.meta.main) {
  const program = Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 5 })
    const inOrder = yield* Stream.runCollect(pool.imap(slowSquare, [1, 2, 3, 4]))
    console.log("imap:", inOrder)
    const asDone = yield* Stream.runCollect(pool.imapUnordered(slowSquare, [1, 2, 3, 4]))
    console.log("imapUnordered:", asDone)
  })
  await Effect.runPromise(Effect.scoped(program))
}
