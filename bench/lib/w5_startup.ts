/**
 * W5 on this library: start a pool of 2, run one trivial task, shut down.
 * `compare.ts` times the whole process; the line printed here is the part
 * inside the program (pool start to workers gone).
 *
 * `deno run -A bench/lib/w5_startup.ts`
 *
 * @module
 */
import * as Effect from "effect/Effect"
import * as mp from "../../mod.ts"
import { check, emit, since, SIZES } from "../common.ts"
import { double } from "./tasks.ts"

if (import.meta.main) {
  const t = performance.now()
  await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
    const pool = yield* mp.Pool.make({ size: SIZES.workers })
    check((yield* pool.apply(double, 21)) === 42, "W5")
    yield* pool.close
  })))
  emit({ inprocess_ms: [since(t)] })
}
