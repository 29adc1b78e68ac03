/**
 * W6 on this library: `pool.map` over 64 arrays of 1 MiB, copied (structured
 * clone, as Python pickles) and moved (`mp.transfer`).
 *
 * `deno run -A bench/lib/w6_bigdata.ts --reps 5`
 *
 * @module
 */
import * as Effect from "effect/Effect"
import * as mp from "../../mod.ts"
import { check, emit, expectedBigSum, makeBigArrays, parseArgs, type Samples, since, SIZES } from "../common.ts"
import { checksum } from "./tasks.ts"

const rep = (pool: mp.Pool.Pool, s: Samples) =>
  Effect.gen(function* () {
    let arrays = makeBigArrays()
    let t = performance.now()
    let sums = yield* pool.map(checksum, arrays)
    ;(s.bigdata_copy_ms ??= []).push(since(t))
    check(sums.reduce((a, b) => a + b, 0) === expectedBigSum(), "W6 copy")

    arrays = makeBigArrays()
    t = performance.now()
    sums = yield* pool.map(checksum, arrays.map((a) => mp.transfer(a, [a.buffer])))
    ;(s.bigdata_transfer_ms ??= []).push(since(t))
    check(sums.reduce((a, b) => a + b, 0) === expectedBigSum(), "W6 transfer")
    check(arrays[0].byteLength === 0, "W6 transfer moved the buffers")
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
