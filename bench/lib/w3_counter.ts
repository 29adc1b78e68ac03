/**
 * W3 on this library: 2 workers × 100,000 increments of an `mp.Value("i")`,
 * each under the value's lock: as Python writes it
 * (`value.getLock().withLock(get then set)`, `counter_ms`) and with
 * `value.update(n => n + 1)` (`counter_update_ms`).
 *
 * `deno run -A bench/lib/w3_counter.ts --reps 5`
 *
 * @module
 */
import * as Effect from "effect/Effect"
import * as mp from "../../mod.ts"
import { check, emit, parseArgs, type Samples, since, SIZES } from "../common.ts"
import { increment } from "./shared_tasks.ts"

const rep = (pool: mp.Pool.Pool, s: Samples) =>
  Effect.gen(function* () {
    for (const update of [false, true]) {
      const value = yield* mp.Value.make("i", 0)
      const payloads = Array.from({ length: SIZES.workers }, () => ({ value, n: SIZES.increments, update }))
      const t = performance.now()
      yield* pool.map(increment, payloads, { chunkSize: 1 })
      ;(s[update ? "counter_update_ms" : "counter_ms"] ??= []).push(since(t))
      const total = yield* value.get()
      check(total === SIZES.workers * SIZES.increments, `W3 counter ${total} (update: ${update})`)
    }
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
