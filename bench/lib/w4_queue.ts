/**
 * W4 on this library: a worker puts 100,000 small integers on an `mp.Queue`
 * (default capacity), the parent takes them: one `put`/`take` per item
 * (`queue_ms`, as Python does), and batched with `putAll`/`takeUpTo`
 * (`queue_batched_ms`).
 *
 * The producer runs in a pool of ONE worker, as in the peers (Python's
 * `Pool(1)`, raw Deno's worker 0), so the warm-up warms the worker that the
 * timed repetitions use. With two workers the pool hands each `submit` to
 * either, and the first put-per-item run on a worker paid that worker's cold
 * start inside the timing: the task module's load (~150–220 ms before the
 * first item) and V8 tiering up the put path (~170–260 ms for 100k puts
 * instead of ~50 ms). That was W4's "slow mode" (~250 ms against ~60 ms);
 * no wait in it timed out, i.e. no wake-up was late.
 *
 * `deno run -A bench/lib/w4_queue.ts --reps 5`
 *
 * @module
 */
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as mp from "../../mod.ts"
import { check, emit, parseArgs, type Samples, since, SIZES } from "../common.ts"
import { produce } from "./shared_tasks.ts"

const BATCH = 1000

const rep = (pool: mp.Pool.Pool, s: Samples) =>
  Effect.gen(function* () {
    const n = SIZES.queueItems
    for (const batch of [1, BATCH]) {
      const queue = yield* mp.Queue.make<number>()
      const t = performance.now()
      const producer = yield* pool.submit(produce, { queue, n, batch })
      let sum = 0
      let taken = 0
      if (batch === 1) {
        for (; taken < n; taken++) sum += yield* queue.take()
      } else {
        while (taken < n) {
          const xs = yield* queue.takeUpTo(BATCH)
          for (const x of xs) sum += x
          taken += xs.length
        }
      }
      check((yield* Fiber.join(producer)) === n, "W4 producer")
      ;(s[batch === 1 ? "queue_ms" : "queue_batched_ms"] ??= []).push(since(t))
      check(sum === n * (n - 1) / 2, `W4 queue (batch ${batch})`)
    }
  })

if (import.meta.main) {
  const { reps } = parseArgs(Deno.args)
  await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: 1 })
    yield* rep(pool, {}) // warm-up
    const samples: Samples = {}
    for (let i = 0; i < reps; i++) yield* rep(pool, samples)
    emit(samples)
  })))
}
