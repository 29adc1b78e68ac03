/**
 * W7 on this library (library only): a bursty load. 10,000 tasks (`x * 2`,
 * `submit` each, every task of a burst in flight) arrive in 10 bursts of 1,000
 * with 250 ms of idleness between them, on a fixed pool (`size: 2`) and on two
 * elastic ones that shrink in the gaps (`idleTimeout: 100 ms`) and grow back
 * under load: one down to no worker (`minSize: 0`), one that keeps a worker
 * warm (`minSize: 1`), both `maxSize: 2`. A sample is the time spent in
 * bursts (first submit to last result, summed over the 10 bursts): what the
 * callers wait, without the gaps.
 *
 * `deno run -A bench/lib/w7_bursty.ts --reps 3`
 *
 * @module
 */
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as mp from "../../mod.ts"
import { check, doubledSum, emit, parseArgs, type Samples, since, SIZES } from "../common.ts"
import { double } from "./tasks.ts"

/** Bursts per sample, tasks per burst, idle gap between bursts (ms), idle timeout of the elastic pools (ms). */
export const BURSTS = { bursts: 10, tasks: 1_000, gapMs: 250, idleMs: 100 } as const

/** The pools compared, by metric key. */
const POOLS: ReadonlyArray<readonly [string, mp.Pool.PoolOptions]> = [
  ["burst_fixed_ms", { size: SIZES.workers }],
  ["burst_elastic0_ms", { minSize: 0, maxSize: SIZES.workers, idleTimeout: BURSTS.idleMs }],
  ["burst_elastic1_ms", { minSize: 1, maxSize: SIZES.workers, idleTimeout: BURSTS.idleMs }],
]

/** One sample: the bursts, with gaps between them; returns the time spent in bursts. */
const bursts = (pool: mp.Pool.Pool, count: number) =>
  Effect.gen(function* () {
    let busy = 0
    for (let b = 0; b < count; b++) {
      if (b > 0) yield* Effect.sleep(BURSTS.gapMs)
      const t = performance.now()
      const fibers = []
      for (let i = 0; i < BURSTS.tasks; i++) fibers.push(yield* pool.submit(double, i))
      const rs = yield* Fiber.joinAll(fibers)
      busy += since(t)
      check(rs.reduce((a, b) => a + b, 0) === doubledSum(BURSTS.tasks), "W7 burst")
    }
    return busy
  })

if (import.meta.main) {
  const { reps } = parseArgs(Deno.args)
  const samples: Samples = {}
  // The pools take turns, one sample each per round, so that load from elsewhere spreads over them.
  await Effect.runPromise(Effect.scoped(Effect.gen(function* () {
    const pools = []
    for (const [key, options] of POOLS) {
      const pool = yield* mp.Pool.make(options)
      yield* bursts(pool, 2) // warm-up: modules loaded, one shrink and regrowth
      pools.push([key, pool] as const)
    }
    for (let i = 0; i < reps; i++) {
      for (const [key, pool] of pools) (samples[key] ??= []).push(yield* bursts(pool, BURSTS.bursts))
    }
  })))
  emit(samples)
}
