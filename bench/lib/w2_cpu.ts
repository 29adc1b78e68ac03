/**
 * W2 on this library: 8 CPU-bound tasks (count primes by trial division,
 * ~250 ms each) with `pool.map` (chunk size 1), against running them
 * sequentially in the parent. Reports the speed-up.
 *
 * `deno run -A bench/lib/w2_cpu.ts --reps 5`
 *
 * @module
 */
import * as Effect from "effect/Effect"
import * as mp from "../../mod.ts"
import { check, countPrimes as countPrimesBelow, emit, parseArgs, type Samples, since, SIZES } from "../common.ts"
import { countPrimes } from "./tasks.ts"

const WARM_UP_LIMIT = 20_000

const rep = (pool: mp.Pool.Pool, s: Samples, limit: number = SIZES.primeLimitJs) =>
  Effect.gen(function* () {
    const limits = Array.from({ length: SIZES.primeTasks }, () => limit)
    let t = performance.now()
    const seq = limits.map(countPrimesBelow)
    const sequential = since(t)
    t = performance.now()
    const par = yield* pool.map(countPrimes, limits, { chunkSize: 1 })
    const parallel = since(t)
    check(par.every((c, i) => c === seq[i]), "W2 primes")
    ;(s.sequential_ms ??= []).push(sequential)
    ;(s.parallel_ms ??= []).push(parallel)
    ;(s.speedup ??= []).push(sequential / parallel)
  })

if (import.meta.main) {
  const { reps } = parseArgs(Deno.args)
  await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: SIZES.workers })
    yield* rep(pool, {}, WARM_UP_LIMIT) // warm-up: workers started, code compiled
    const samples: Samples = {}
    for (let i = 0; i < reps; i++) yield* rep(pool, samples)
    emit(samples)
  })))
}
