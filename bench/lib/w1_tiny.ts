/**
 * W1 on this library: `pool.map` over 100,000 integers (default chunking),
 * 10,000 `pool.submit`s all in flight, the same 10,000 as the Effect idiom
 * (`Effect.forEach` of `pool.apply`, unbounded), 10,000 sequential `pool.apply`s.
 *
 * `deno run -A bench/lib/w1_tiny.ts --reps 5`
 *
 * @module
 */
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as mp from "../../mod.ts"
import { check, doubledSum, emit, parseArgs, type Samples, since, SIZES } from "../common.ts"
import { double } from "./tasks.ts"

const rep = (pool: mp.Pool.Pool, s: Samples) =>
  Effect.gen(function* () {
    const xs = Array.from({ length: SIZES.mapItems }, (_, i) => i)
    let t = performance.now()
    const ys = yield* pool.map(double, xs)
    ;(s.map100k_ms ??= []).push(since(t))
    check(ys.length === SIZES.mapItems && ys[SIZES.mapItems - 1] === 2 * (SIZES.mapItems - 1), "W1 map")

    t = performance.now()
    const fibers = []
    for (let i = 0; i < SIZES.separateTasks; i++) fibers.push(yield* pool.submit(double, i))
    const rs = yield* Fiber.joinAll(fibers)
    ;(s.tasks10k_ms ??= []).push(since(t))
    check(rs.reduce((a, b) => a + b, 0) === doubledSum(SIZES.separateTasks), "W1 separate tasks")

    t = performance.now()
    const rs1 = yield* Effect.forEach(
      xs.slice(0, SIZES.separateTasks),
      (x) => pool.apply(double, x),
      { concurrency: "unbounded" },
    )
    ;(s.tasks10k_foreach_ms ??= []).push(since(t))
    check(rs1.reduce((a, b) => a + b, 0) === doubledSum(SIZES.separateTasks), "W1 separate tasks, Effect idiom")

    t = performance.now()
    const ys1 = yield* pool.map(double, xs.slice(0, SIZES.separateTasks), { chunkSize: 1 })
    ;(s.tasks10k_chunk1_ms ??= []).push(since(t))
    check(ys1.reduce((a, b) => a + b, 0) === doubledSum(SIZES.separateTasks), "W1 separate tasks, chunk size 1")

    t = performance.now()
    let sum = 0
    for (let i = 0; i < SIZES.applyCalls; i++) sum += yield* pool.apply(double, i)
    ;(s.apply_us ??= []).push(since(t) * 1000 / SIZES.applyCalls)
    check(sum === doubledSum(SIZES.applyCalls), "W1 apply")
  })

if (import.meta.main) {
  const { reps } = parseArgs(Deno.args)
  await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: SIZES.workers })
    yield* rep(pool, {}) // warm-up
    const samples: Samples = {}
    for (let i = 0; i < reps; i++) yield* rep(pool, samples)
    emit(samples)
  })))
}
