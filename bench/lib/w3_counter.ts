/**
 * W3 on this library: 2 workers × 100,000 increments of an `mp.Value("i")`,
 * each under the value's lock (`value.getLock().withLock(...)`).
 *
 * `deno run -A bench/lib/w3_counter.ts --reps 5`
 *
 * @module
 */
import { Effect } from "effect"
import * as mp from "../../mod.ts"
import { check, emit, emitUnavailable, parseArgs, type Samples, since, SIZES } from "../common.ts"
import { increment, type ValueLike } from "./tasks.ts"

/** The part of `mp.Value` this program uses. */
interface ValueModule {
  readonly make: (type: string, initial: number) => Effect.Effect<ValueLike, unknown, never>
}

const rep = (pool: mp.Pool.Pool, make: ValueModule["make"], s: Samples) =>
  Effect.gen(function* () {
    const value = yield* make("i", 0)
    const t = performance.now()
    yield* pool.map(increment, Array.from({ length: SIZES.workers }, () => ({ value, n: SIZES.increments })), {
      chunkSize: 1,
    })
    ;(s.counter_ms ??= []).push(since(t))
    const total = yield* value.get()
    check(total === SIZES.workers * SIZES.increments, `W3 counter ${total}`)
  })

if (import.meta.main) {
  const { reps } = parseArgs(Deno.args)
  const Value = (mp as unknown as { Value?: ValueModule }).Value
  if (Value === undefined) emitUnavailable("mp.Value is not exported by mod.ts yet")
  else {
    await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
      const pool = yield* mp.Pool.make({ size: SIZES.workers })
      yield* rep(pool, Value.make, {}) // warm-up
      const samples: Samples = {}
      for (let i = 0; i < reps; i++) yield* rep(pool, Value.make, samples)
      emit(samples)
    })))
  }
}
