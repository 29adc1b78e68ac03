/**
 * A CPU-bound job on every core: count primes by trial division in 8 ranges,
 * sequentially and then on a pool, and print the speed-up.
 *
 * Run: `deno task example:cpu_bound`
 */
import { Effect } from "effect"
import * as mp from "@mp/multiprocessing"
import { describeLoad } from "./support/load.ts"
import { countPrimes, countPrimesIn } from "./tasks/primes.ts"

// The task lives in a lean module of its own (see there): the workers import only that module.
export { countPrimes, countPrimesIn } from "./tasks/primes.ts"

const program = Effect.gen(function* () {
  const step = Number(Deno.args[0] ?? 250_000)
  const ranges = Array.from({ length: 8 }, (_, i) => [i * step, (i + 1) * step] as const)
  let t = performance.now()
  const sequential = ranges.map(([a, b]) => countPrimesIn(a, b))
  const sequentialMs = performance.now() - t
  const pool = yield* mp.Pool.make()
  yield* pool.apply(countPrimes, [0, 10]) // warm the workers up
  t = performance.now()
  const parallel = yield* pool.map(countPrimes, ranges, { chunkSize: 1 })
  const parallelMs = performance.now() - t
  const total = parallel.reduce((a, b) => a + b, 0)
  if (total !== sequential.reduce((a, b) => a + b, 0)) throw new Error("results differ")
  console.log(`primes below ${8 * step}: ${total}`)
  console.log(`sequential ${sequentialMs.toFixed(0)} ms, ${pool.size} workers ${parallelMs.toFixed(0)} ms`)
  console.log(`speed-up: ${(sequentialMs / parallelMs).toFixed(2)}x · ${describeLoad()}`)
})

// Like Python's `if __name__ == "__main__":` (here the workers import only ./tasks/primes.ts, but a program that
// defines its tasks itself is imported by every worker; the guard keeps them from starting the program again). runMain closes the Scope on Ctrl-C and sets the exit code.
if (import.meta.main) mp.runMain(Effect.scoped(program))
