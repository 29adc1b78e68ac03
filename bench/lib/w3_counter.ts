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
import { check, emit, emitUnavailable, parseArgs, type Samples, since, SIZES } from "../common.ts"
import { optionalNamespace } from "./optional.ts"
import { increment, type ValueLike } from "./shared_tasks.ts"

/** The part of `mp.Value` this program uses. */
interface ValueModule {
  readonly make: (type: string, initial: number) => Effect.Effect<ValueLike, unknown, never>
}

const rep = (pool: mp.Pool.Pool, make: ValueModule["make"], s: Samples) =>
  Effect.gen(function* () {
    for (const update of [false, true]) {
      const value = yield* make("i", 0)
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
  const found = await optionalNamespace<ValueModule>("Value")
  if (found === undefined) emitUnavailable("neither mod.ts nor src/shared/mod.ts has mp.Value")
  else {
    const Value = found.module
    await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
      const pool = yield* mp.Pool.make({ size: SIZES.workers })
      yield* rep(pool, Value.make, {}) // warm-up
      const samples: Samples = {}
      for (let i = 0; i < reps; i++) yield* rep(pool, Value.make, samples)
      emit(samples, found.note === undefined ? [] : [found.note])
    })))
  }
}
