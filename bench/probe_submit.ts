import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import { Cluster } from "../src/cluster/mod.ts"
import { postgres } from "../tests/support/postgres.ts"
import { startRunner } from "../tests/support/runners.ts"
import { double } from "./lib/tasks.ts"
Effect.runPromise(Effect.scoped(Effect.gen(function* () {
  const pg = yield* postgres
  yield* Effect.all([startRunner(pg.url), startRunner(pg.url, { workers: 2 })], { concurrency: "unbounded" })
  const pool = yield* Cluster.pool({ url: pg.url, taskTimeout: "60 seconds" })
  for (const n of [1000, 20000]) {
    const t = performance.now()
    const fibers = []
    for (let i = 0; i < n; i++) fibers.push(yield* pool.submit(double, i))
    const out = yield* Fiber.joinAll(fibers)
    console.log(`submit ${n}: ${(performance.now() - t).toFixed(0)} ms, ok=${out.every((v, i) => v === 2 * i)}, rss ${(Deno.memoryUsage().rss / 1e6).toFixed(0)} MB`)
    const t2 = performance.now()
    const all = yield* Effect.forEach(Array.from({ length: n }, (_, i) => i), (i) => pool.apply(double, i), { concurrency: "unbounded" })
    console.log(`forEach apply ${n}: ${(performance.now() - t2).toFixed(0)} ms ok=${all.every((v, i) => v === 2 * i)}`)
  }
}))).then(() => Deno.exit(0))
