/**
 * The task of `cpu_bound.ts`, in a module of its own that imports only the
 * task entry, `@mp/multiprocessing/task`: every worker imports the module
 * that defines a task, and this one costs a worker no `effect` and no
 * library beyond `Task.make`, so the workers start about as fast as bare
 * Deno workers. (A task module that is also the program, as most examples
 * are, imports the whole library in every worker.)
 */
import * as mp from "@mp/multiprocessing/task"

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

/** Counts the primes in a range `[from, to)`. */
export const countPrimes = mp.Task.make(import.meta.url, "countPrimes", {
  handler: ([from, to]: readonly [number, number]) => countPrimesIn(from, to),
})
