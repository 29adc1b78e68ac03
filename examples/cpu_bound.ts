/**
 * A CPU-bound job on every core: count primes by trial division in 8 ranges,
 * sequentially and then on a pool, and print the speed-up.
 *
 * Run: `deno task example:cpu_bound`
 */
import { Effect } from "effect"
import * as mp from "@mp/multiprocessing"
import { describeLoad } from "./support/load.ts"

/** Counts the primes in `[from, to)` by trial division. */
export const countPrimesIn = (from: number, to: number): number => {
  let count = 0
  for (let n = Math.max(2, from); n < to; n++) {
    let prime = true
    for (let d = 2; d * d <= n; d++) {
      if (n % d === 0) {
        prime = false
        break
      }
    }
    if (prime) count++
  }
  return count
}

export const countPrimes = mp.Task.make(import.meta.url, "countPrimes", {
  handler: ([from, to]: readonly [number, number]) => countPrimesIn(from, to),
})

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

// Like Python's `if __name__ == "__main__":` the workers import this file too (for its tasks); the guard keeps them
// from starting the program again. runMain closes the Scope on Ctrl-C and sets the exit code.
if (import.meta.main) mp.runMain(Effect.scoped(program))
