/**
 * W3 on this library: 2 workers × 100,000 increments of an `mp.Value("i")`,
 * each under the value's lock, in four ways (see `IncrementMode`):
 * `value.updateSync(n => n + 1)` in the worker, the synchronous fast path
 * (`counter_ms`, the row compared with the peers); Python's idiom done
 * synchronously (`counter_sync_idiom_ms`); and the Effect paths,
 * `getLock().withLock(get, then set)` (`counter_effect_ms`) and
 * `value.update` (`counter_update_ms`).
 *
 * `deno run -A bench/lib/w3_counter.ts --reps 5`
 *
 * @module
 */
import * as Effect from "effect/Effect"
import * as mp from "../../mod.ts"
import { check, emit, parseArgs, type Samples, since, SIZES } from "../common.ts"
import { increment, type IncrementMode } from "./shared_tasks.ts"

const METRICS: Readonly<Record<IncrementMode, string>> = {
  "sync": "counter_ms",
  "sync-idiom": "counter_sync_idiom_ms",
  "effect": "counter_effect_ms",
  "update": "counter_update_ms",
}

const rep = (pool: mp.Pool.Pool, s: Samples) =>
  Effect.gen(function* () {
    for (const mode of Object.keys(METRICS) as Array<IncrementMode>) {
      const value = yield* mp.Value.make("i", 0)
      const payloads = Array.from({ length: SIZES.workers }, () => ({ value, n: SIZES.increments, mode }))
      const t = performance.now()
      yield* pool.map(increment, payloads, { chunkSize: 1 })
      ;(s[METRICS[mode]] ??= []).push(since(t))
      const total = yield* value.get
      check(total === SIZES.workers * SIZES.increments, `W3 counter ${total} (mode: ${mode})`)
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
